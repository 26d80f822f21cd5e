/**
 * The deployment files: docker-compose.yml against the Compose Specification's JSON schema (as shipped by the
 * `dclint` package) plus what the schema cannot say (secrets only from env files, the worker built from the
 * Dockerfile, readiness ordering, the search attributes of goal/search-attributes.ts); the Dockerfile through
 * dockerfile-utils' linter and dockerfile-ast's parse; and the prebuilt workflow bundle the image runs.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import Ajv from 'ajv';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate as lintDockerfile } from 'dockerfile-utils';
import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';
import { locateTemporalCli } from '../client/temporal-cli';
import { SEARCH_ATTRIBUTES } from '../goal/search-attributes';
import { ConfigError } from '../common/temporal-config';
import { builtBundleIsFresh, workflowBundleFromEnv, writeWorkflowBundle } from '../worker/workflow-bundle';
import { startTestServer } from './helpers/temporal';

const ROOT = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; args?: Record<string, string> };
  env_file?: string | (string | { path: string })[];
  environment?: Record<string, unknown> | string[];
  healthcheck?: { test?: unknown };
  depends_on?: Record<string, { condition: string }> | string[];
  restart?: string;
  entrypoint?: string | string[];
  command?: string | string[];
  volumes?: (string | { target: string })[];
}
interface Compose {
  services: Record<string, Service>;
}

const composeText = read('docker-compose.yml');
const compose = parseYaml(composeText) as Compose;
const services = Object.entries(compose.services);

/** Variable names that hold secrets; such values come from env files only. */
const SECRET_NAME = /PASSWORD|PWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIAL/i;

function envFiles(service: Service): string[] {
  const files = service.env_file === undefined ? [] : [service.env_file].flat();
  return files.map((f) => (typeof f === 'string' ? f : f.path));
}

function environmentNames(service: Service): string[] {
  const env = service.environment ?? {};
  return Array.isArray(env) ? env.map((line) => line.split('=', 1)[0]!) : Object.keys(env);
}

/** KEY=VALUE lines of an env file, comments and blank lines skipped. */
function parseEnvFile(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) vars.set(m[1]!, m[2]!.trim());
  }
  return vars;
}

/** The shell script of a one-shot service (`sh -c`), with Compose's `$$` escapes undone. */
function serviceScript(service: Service): string {
  expect(service.entrypoint).toEqual(['/bin/sh', '-ec']);
  const command = [service.command ?? []].flat();
  expect(command).toHaveLength(1);
  return command[0]!.replace(/\$\$/g, '$');
}

const CLI_TYPE_NAMES: Record<string, string> = { KEYWORD: 'Keyword', DOUBLE: 'Double', INT: 'Int', BOOL: 'Bool' };
const expectedAttributes = Object.fromEntries(SEARCH_ATTRIBUTES.map((k) => [k.name, CLI_TYPE_NAMES[k.type]]));

describe('docker-compose.yml', () => {
  it('is valid under the Compose Specification JSON schema', () => {
    const schemaFile = path.join(
      path.dirname(require.resolve('dclint/package.json')),
      'schemas',
      'compose.schema.json',
    );
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
    expect(schema.title).toBe('Compose Specification');
    delete schema.$schema; // draft-07, Ajv's default; the schema names it by an https URL Ajv does not know
    const validateCompose = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);
    const valid = validateCompose(compose);
    expect(validateCompose.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The schema does catch mistakes: an unknown service key is rejected.
    expect(validateCompose({ services: { worker: { image: 'x:1', enviroment: {} } } })).toBe(false);
  });

  it('runs PostgreSQL, the Temporal server with admin-tools schema setup, the Web UI and the worker', () => {
    const images = Object.fromEntries(services.map(([name, s]) => [name, s.image?.replace(/:.*$/, '')]));
    expect(images).toMatchObject({
      postgresql: 'postgres',
      'temporal-schema': 'temporalio/admin-tools',
      temporal: 'temporalio/server',
      'longhaul-search-attributes': 'temporalio/admin-tools',
      'temporal-ui': 'temporalio/ui',
    });
  });

  it('pins every image it pulls to a version', () => {
    for (const [name, s] of services) {
      if (s.build !== undefined) continue;
      const tag = /:([^/:]+)$/.exec(s.image ?? '')?.[1] ?? '';
      expect({ name, tag: /^(latest|stable)?$/.test(tag) ? 'unpinned' : 'pinned' }).toEqual({ name, tag: 'pinned' });
    }
  });

  it('sets no secret inline: services that need one read it from a git-ignored env file', () => {
    for (const [name, s] of services) {
      expect({ name, inline: environmentNames(s).filter((n) => SECRET_NAME.test(n)) }).toEqual({ name, inline: [] });
    }
    expect(composeText).not.toMatch(/sk-[A-Za-z0-9]{8,}|xox[bp]-[0-9]/);
    const needs: Record<string, string> = {
      postgresql: 'deploy/postgres.env',
      'temporal-schema': 'deploy/postgres.env',
      temporal: 'deploy/postgres.env',
      'longhaul-worker': 'deploy/longhaul.env',
    };
    const ignored = picomatch(
      read('deploy/.gitignore')
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('#')),
      { basename: true },
    );
    for (const [name, file] of Object.entries(needs)) {
      expect({ name, files: envFiles(compose.services[name]!) }).toEqual({ name, files: [file] });
      expect(ignored(file)).toBe(true);
      expect(existsSync(path.join(ROOT, `${file}.example`))).toBe(true);
    }
  });

  it('ships env file templates that hold no secret values and name what the worker reads', () => {
    const worker = parseEnvFile(read('deploy/longhaul.env.example'));
    for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'LONGHAUL_MODEL', 'SLACK_BOT_TOKEN', 'SLACK_CHANNEL']) {
      expect(worker.has(name)).toBe(true);
    }
    const postgres = parseEnvFile(read('deploy/postgres.env.example'));
    expect([...postgres.keys()].sort()).toEqual(['LONGHAUL_DB_PASSWORD', 'POSTGRES_PASSWORD', 'POSTGRES_PWD']);
    // The goal store's URL holds a password too, though its name does not say so.
    expect(worker.get('LONGHAUL_STORE_URL')).toBe('');
    for (const [name, value] of [...worker, ...postgres]) {
      if (SECRET_NAME.test(name)) expect({ name, value }).toEqual({ name, value: '' });
    }
  });

  it('builds the worker from the Dockerfile and mounts the goal store and the workspaces', () => {
    const worker = compose.services['longhaul-worker']!;
    expect(worker.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
    expect(statSync(path.join(ROOT, 'Dockerfile')).isFile()).toBe(true);
    expect(worker.environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233' });
    const targets = (worker.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':')[1] : v.target));
    expect(targets).toEqual(expect.arrayContaining(['/var/lib/longhaul', '/workspaces']));
  });

  it('gives the goal store a database of its own, made by an init script of the postgres image', () => {
    const postgresql = compose.services['postgresql']!;
    const mounts = (postgresql.volumes ?? []).filter((v): v is string => typeof v === 'string');
    expect(mounts).toContain('./deploy/postgres/longhaul-store.sh:/docker-entrypoint-initdb.d/longhaul-store.sh:ro');
    expect(envFiles(postgresql)).toEqual(['deploy/postgres.env']); // where LONGHAUL_DB_PASSWORD comes from
    const script = read('deploy/postgres/longhaul-store.sh');
    expect(script).toContain('CREATE DATABASE %I OWNER %I');
    // The worker's template says how to point LONGHAUL_STORE_URL at it.
    expect(read('deploy/longhaul.env.example')).toContain(
      'LONGHAUL_STORE_URL=postgres://longhaul:<LONGHAUL_DB_PASSWORD>@postgresql:5432/longhaul',
    );
  });

  it('starts each service once what it needs is ready', () => {
    const dependsOn = (name: string) => compose.services[name]!.depends_on;
    expect(dependsOn('temporal-schema')).toEqual({ postgresql: { condition: 'service_healthy' } });
    expect(dependsOn('temporal')).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    expect(dependsOn('longhaul-search-attributes')).toEqual({ temporal: { condition: 'service_healthy' } });
    expect(dependsOn('longhaul-worker')).toEqual({
      'longhaul-search-attributes': { condition: 'service_completed_successfully' },
    });
    for (const [name, s] of services) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        const target = compose.services[dep]!;
        if (condition === 'service_healthy') expect({ name, dep, healthcheck: !!target.healthcheck?.test }).toEqual({ name, dep, healthcheck: true }); // prettier-ignore
        // A one-shot must not be restarted once it succeeded, or its dependents would never start.
        if (condition === 'service_completed_successfully') expect(target.restart).toMatch(/^on-failure/);
      }
    }
  });

  it('registers exactly the search attributes of goal/search-attributes.ts, with their types', () => {
    const script = serviceScript(compose.services['longhaul-search-attributes']!);
    expect(script).toContain('temporal operator search-attribute create $ns --name "$1" --type "$2"');
    const registered = Object.fromEntries([...script.matchAll(/^register (\w+) (\w+)$/gm)].map((m) => [m[1], m[2]]));
    expect(registered).toEqual(expectedAttributes);
  });

  describe('against a real Temporal server', () => {
    let env: TestWorkflowEnvironment;
    beforeAll(async () => {
      env = await startTestServer();
    });
    afterAll(async () => {
      await env?.teardown();
    });

    it('the search-attribute service creates the namespace and the attributes, and can run again', async () => {
      const namespace = 'longhaul-compose';
      const script = serviceScript(compose.services['longhaul-search-attributes']!);
      const run = () =>
        spawnSync('sh', ['-ec', script], {
          env: {
            PATH: `${path.dirname(locateTemporalCli())}${path.delimiter}${process.env.PATH ?? ''}`,
            HOME: mkdtempSync(path.join(os.tmpdir(), 'longhaul-cli-home-')), // no user profile of the CLI
            TEMPORAL_ADDRESS: env.address,
            TEMPORAL_NAMESPACE: namespace,
          },
          encoding: 'utf8',
          timeout: 90_000,
        });
      for (const attempt of [1, 2]) {
        const result = run();
        expect({ attempt, status: result.status, output: result.status === 0 ? '' : result.stdout + result.stderr }).toEqual({ attempt, status: 0, output: '' }); // prettier-ignore
      }
      const { customAttributes } = await env.connection.operatorService.listSearchAttributes({ namespace });
      const names = Object.keys(customAttributes ?? {}).filter((n) => n.startsWith('Longhaul'));
      expect(names.sort()).toEqual(Object.keys(expectedAttributes).sort());
    });
  });
});

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const dockerfile = DockerfileParser.parse(text);
  const froms = dockerfile.getFROMs();
  const finalStageStart = froms[froms.length - 1]!.getRange().start.line;
  const finalStage = dockerfile.getInstructions().filter((i) => i.getRange().start.line >= finalStageStart);
  const argsOf = (instructions: Instruction[]) =>
    instructions.filter((i) => i.getKeyword() === 'ARG').map((i) => i.getArgumentsContent() ?? '');
  const runs = (instructions: Instruction[]) =>
    instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');

  it('passes the dockerfile-utils linter', () => {
    const problems = lintDockerfile(text).map((d) => ({ line: d.range.start.line + 1, message: d.message }));
    expect(problems).toEqual([]);
  });

  it('builds in one stage and runs from another, on Node 20 slim', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const buildStage = dockerfile.getInstructions().filter((i) => i.getRange().start.line < finalStageStart);
    expect(runs(buildStage).join('\n')).toMatch(/npm ci\b/);
    expect(runs(buildStage).join('\n')).toMatch(/npm run build/);
    expect(runs(buildStage).join('\n')).toMatch(/workflow-bundle\.js dist\/workflow-bundle\.js/);
    expect(argsOf(dockerfile.getInstructions())).toContain('NODE_IMAGE=node:20-bookworm-slim');
    expect(text).toMatch(/COPY --from=build \/app\/dist/);
  });

  it("copies the dashboard's pages where `longhaul dashboard` looks for them beside dist/", () => {
    const copies = finalStage.filter((i) => i.getKeyword() === 'COPY').map((i) => i.getArgumentsContent());
    expect(copies).toContain('client/dashboard/static ./client/dashboard/static');
    expect(existsSync(path.join(ROOT, 'client', 'dashboard', 'static', 'index.html'))).toBe(true);
  });

  it('installs production dependencies and git in the runtime stage', () => {
    const finalRuns = runs(finalStage).join('\n');
    expect(finalRuns).toMatch(/npm ci --omit=dev/);
    expect(finalRuns).toMatch(/apt-get install[^\n]*\bgit\b/);
  });

  it('runs the worker as a user that is not root', () => {
    const users = finalStage.filter((i) => i.getKeyword() === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const defaults = Object.fromEntries(argsOf(finalStage).map((a) => a.split('=') as [string, string]));
    const user = users[users.length - 1]!.getArgumentsContent()!.replace(
      /\$\{(\w+)\}/g,
      (_, n: string) => defaults[n] ?? '',
    );
    const [uid] = user.split(':');
    expect(uid).not.toMatch(/^(root|0)?$/);
  });

  it('starts the worker, with the prebuilt workflow bundle', () => {
    const entrypoint = dockerfile.getENTRYPOINTs().at(-1)!;
    expect(JSON.parse(entrypoint.getArgumentsContent()!)).toEqual(['node', 'dist/worker/main.js']);
    const env = dockerfile.getENVs().flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue()]));
    expect(env).toContainEqual(['LONGHAUL_WORKFLOW_BUNDLE', '/app/dist/workflow-bundle.js']);
  });

  it('bakes no secret into the image', () => {
    const withValues = [
      ...dockerfile.getENVs().flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue()])),
      ...dockerfile.getARGs().map((a) => [a.getProperty()?.getName(), a.getProperty()?.getValue()]),
    ].filter(([name, value]) => /KEY|TOKEN|SECRET|PASSWORD/i.test(name ?? '') && value);
    expect(withValues).toEqual([]);
    const ignore = read('.dockerignore').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['*.env', '.env*', 'node_modules', '.git']));
  });
});

describe('the prebuilt workflow bundle', () => {
  it('is used when LONGHAUL_WORKFLOW_BUNDLE names it, and its absence is an error that says how to build it', () => {
    expect(workflowBundleFromEnv({})).toBeUndefined();
    expect(workflowBundleFromEnv({ LONGHAUL_WORKFLOW_BUNDLE: __filename })).toEqual({ codePath: __filename });
    expect(() => workflowBundleFromEnv({ LONGHAUL_WORKFLOW_BUNDLE: '/nonexistent/bundle.js' })).toThrow(ConfigError);
    expect(() => workflowBundleFromEnv({ LONGHAUL_WORKFLOW_BUNDLE: '/nonexistent/bundle.js' })).toThrow(
      /node dist\/worker\/workflow-bundle\.js/,
    );
  });

  it("the build's bundle is used while it is newer than every compiled workflow file, not once one is newer", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'longhaul-built-'));
    try {
      const bundle = path.join(dir, 'workflow-bundle.js');
      expect(builtBundleIsFresh(bundle)).toBe(false); // no bundle
      for (const sub of ['workflows', 'goal']) {
        mkdirSync(path.join(dir, sub));
        writeFileSync(path.join(dir, sub, 'a.js'), '');
      }
      const past = new Date(Date.now() - 60_000);
      for (const sub of ['workflows', 'goal']) utimesSync(path.join(dir, sub, 'a.js'), past, past);
      writeFileSync(bundle, '');
      expect(builtBundleIsFresh(bundle)).toBe(true);
      utimesSync(path.join(dir, 'goal', 'a.js'), new Date(), new Date(Date.now() + 60_000)); // a tsc run after it
      expect(builtBundleIsFresh(bundle)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // `npm run build` (before the tests) left a fresh one beside the compiled worker.
    expect(builtBundleIsFresh(path.resolve(__dirname, '..', 'dist', 'workflow-bundle.js'))).toBe(true);
  });

  it('holds the goal workflow', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'longhaul-bundle-'));
    try {
      const file = path.join(dir, 'workflow-bundle.js');
      const quiet = () => undefined;
      await writeWorkflowBundle(file, { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error, log: quiet }); // prettier-ignore
      const code = readFileSync(file, 'utf8');
      expect(code).toContain('__TEMPORAL__');
      expect(code).toMatch(/goalWorkflow/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The goal store's init script against a real PostgreSQL (the tests' cluster, as its superuser): run twice it
 * creates the role and the database once and sets a password full of quotes that then logs in; without a
 * password it creates nothing. Needs root and LONGHAUL_TEST_STORE_URL (scripts/setup-postgres.sh), as on CI.
 */
const storeUrl = process.env.LONGHAUL_TEST_STORE_URL || undefined;
const asRoot = process.getuid?.() === 0;
(storeUrl && asRoot ? describe : describe.skip)('deploy/postgres/longhaul-store.sh', () => {
  const name = `longhaul_deploy_${process.pid}`;
  const port = new URL(storeUrl ?? 'postgres://x').port || '5432';
  const runScript = (env: Record<string, string>) =>
    spawnSync('runuser', ['-u', 'postgres', '--', 'sh', '-s'], {
      input: read('deploy/postgres/longhaul-store.sh'),
      cwd: '/',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PGHOST: '/var/run/postgresql', PGPORT: port, POSTGRES_USER: 'postgres', LONGHAUL_DB_USER: name, LONGHAUL_DB_NAME: name, ...env }, // prettier-ignore
      encoding: 'utf8',
      timeout: 30_000,
    });
  const superuser = (sql: string) =>
    spawnSync('runuser', ['-u', 'postgres', '--', 'psql', '-X', '-q', '-p', port, '-tAc', sql], {
      cwd: '/',
      encoding: 'utf8',
    });

  afterAll(() => {
    superuser(`DROP DATABASE IF EXISTS ${name}`);
    superuser(`DROP ROLE IF EXISTS ${name}`);
  });

  it('creates the role and the database once, with a password that logs in', async () => {
    const password = `it's a "pw" $HOME \`id\` \\ ${name}`;
    for (const attempt of [1, 2]) {
      const run = runScript({ LONGHAUL_DB_PASSWORD: password });
      expect({ attempt, status: run.status, stderr: run.stderr }).toEqual({ attempt, status: 0, stderr: `longhaul-store: database ${name} owned by ${name} is ready\n` }); // prettier-ignore
      expect(run.stdout).not.toContain(password);
    }
    const { Client } = await import('pg');
    const client = new Client({ host: '127.0.0.1', port: Number(port), user: name, database: name, password });
    await client.connect();
    try {
      const { rows } = await client.query<{ u: string; d: string }>(
        'SELECT current_user AS u, current_database() AS d',
      );
      expect(rows).toEqual([{ u: name, d: name }]);
    } finally {
      await client.end();
    }
  });

  it('creates nothing without LONGHAUL_DB_PASSWORD, and says so', () => {
    const other = `${name}_none`;
    const run = runScript({ LONGHAUL_DB_USER: other, LONGHAUL_DB_NAME: other });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('LONGHAUL_DB_PASSWORD is not set');
    expect(superuser(`SELECT count(*) FROM pg_roles WHERE rolname = '${other}'`).stdout.trim()).toBe('0');
  });
});
