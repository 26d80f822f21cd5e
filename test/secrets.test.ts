/**
 * Secrets, without Temporal: the environment the agent's commands get (credentials scrubbed unless the spec allows
 * them), the redaction of tool and command output (known secret values and well-known shapes, no false positives
 * on ordinary code), and the spec's env and commands fields.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { commandEnv, isCredentialName, isWorkerSecretName } from '../activities/security/command-env';
import { createRedactor, REDACTED, secretValues } from '../activities/security/redact';
import { runTool, type RunToolInput } from '../activities/tools/dispatch';
import { InvalidSpecError, parseGoalSpec } from '../goal/spec';
import { tempDir } from './helpers/workspace';

const WORKER_ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/dev',
  PWD: '/work/app',
  OLDPWD: '/work',
  LANG: 'C.UTF-8',
  NODE_OPTIONS: '--max-old-space-size=4096',
  GIT_ASKPASS: '/usr/bin/true',
  TOKENIZERS_PARALLELISM: 'false',
  CI: 'true',
  // The worker's own credentials.
  OPENAI_API_KEY: 'sk-worker-openai-key-0123456789abcdef',
  OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-worker-slack',
  TEMPORAL_API_KEY: 'temporal-cloud-api-key-123',
  TEMPORAL_TLS_CLIENT_KEY_DATA: 'tls-client-key-data-456',
  LONGHAUL_ENCRYPTION_KEY: 'Q3VycmVudEtleUN1cnJlbnRLZXk=',
  LONGHAUL_ENCRYPTION_KEYS: '2025-12:T2xkS2V5T2xkS2V5T2xkS2V5,2025-11:T2xkZXJLZXlPbGRlcktleQ==',
  LONGHAUL_STORE_URL: 'postgres://longhaul:store-Pa55word%21@db:5432/longhaul',
  // Cloud and third-party credentials.
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_REGION: 'eu-west-1b',
  AZURE_CLIENT_SECRET: 'azure-client-secret-value',
  GOOGLE_APPLICATION_CREDENTIALS: '/home/dev/gcp.json',
  GITHUB_TOKEN: 'ghs_abcdefghijklmnopqrstuvwxyz0123456789',
  NPM_TOKEN: 'npm_abcdefghijklmnop',
  DOCKER_PASSWORD: 'docker-password-1',
  DB_PASSWORD: 'hunter2hunter2',
  PGPASSWORD: 'pg-password-9',
  STRIPE_API_KEY: 'rk_live_stripe_api_key',
  SSH_AUTH_SOCK: '/tmp/ssh-XXXX/agent.42',
  DATABASE_URL: 'postgres://app:db-url-password@db:5432/app',
  SHORT_TOKEN: 'abc',
};

describe('the environment of the agent and measurement commands', () => {
  const env = commandEnv({}, WORKER_ENV);

  test('ordinary variables stay (PWD is not a password, TOKENIZERS_* not a token)', () => {
    for (const name of [
      'PATH',
      'HOME',
      'PWD',
      'OLDPWD',
      'LANG',
      'NODE_OPTIONS',
      'GIT_ASKPASS',
      'TOKENIZERS_PARALLELISM',
      'CI',
    ]) {
      expect(env[name]).toBe(WORKER_ENV[name]);
    }
  });

  test("the worker's keys, cloud credentials, tokens, passwords, API keys and the SSH agent are removed", () => {
    const kept = Object.keys(env).filter(
      (k) =>
        ![
          'PATH',
          'HOME',
          'PWD',
          'OLDPWD',
          'LANG',
          'NODE_OPTIONS',
          'GIT_ASKPASS',
          'TOKENIZERS_PARALLELISM',
          'CI',
        ].includes(k),
    );
    expect(kept).toEqual([]);
    for (const name of [
      'AWS_REGION',
      'OPENAI_BASE_URL',
      'SHORT_TOKEN',
      'KUBE_TOKEN',
      'ARM_CLIENT_SECRET',
      'MYSQL_PWD',
      'GCP_SA',
    ]) {
      expect(isCredentialName(name)).toBe(true);
    }
  });

  test("the spec may hand named variables back, but never the worker's own credentials", () => {
    const allowed = commandEnv({}, WORKER_ENV, [
      'AWS_REGION',
      'NPM_TOKEN',
      'OPENAI_API_KEY',
      'LONGHAUL_ENCRYPTION_KEY',
    ]);
    expect(allowed['AWS_REGION']).toBe('eu-west-1b');
    expect(allowed['NPM_TOKEN']).toBe('npm_abcdefghijklmnop');
    expect(allowed['OPENAI_API_KEY']).toBeUndefined();
    expect(allowed['LONGHAUL_ENCRYPTION_KEY']).toBeUndefined();
    expect(allowed['AWS_SECRET_ACCESS_KEY']).toBeUndefined();
  });

  test('the goal store URL (with its password) is never passed to commands, even when the spec names it', () => {
    expect(env['LONGHAUL_STORE_URL']).toBeUndefined();
    expect(isWorkerSecretName('LONGHAUL_STORE_URL')).toBe(true);
    expect(commandEnv({}, WORKER_ENV, ['LONGHAUL_STORE_URL'])['LONGHAUL_STORE_URL']).toBeUndefined();
    // The non-secret schema name stays.
    expect(commandEnv({}, { LONGHAUL_STORE_SCHEMA: 'longhaul' })['LONGHAUL_STORE_SCHEMA']).toBe('longhaul');
  });

  test("extra variables (the shell tool's non-interactive settings) are added", () => {
    expect(commandEnv({ PAGER: 'cat' }, WORKER_ENV)['PAGER']).toBe('cat');
  });
});

describe('the goal spec: env.allow and commands', () => {
  const base = { objective: 'o', workspace: '/repo', checks: [{ name: 't', command: 'true' }] };

  function problemsOf(input: unknown): readonly string[] {
    try {
      parseGoalSpec(input);
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidSpecError);
      return (err as InvalidSpecError).problems;
    }
    throw new Error('expected the spec to be refused');
  }

  test('both are optional; absent, the parsed spec has neither (histories and inputs stay as they were)', () => {
    const spec = parseGoalSpec(base);
    expect(spec.env).toBeUndefined();
    expect(spec.commands).toBeUndefined();
    expect(parseGoalSpec({ ...base, env: {}, commands: {} })).toMatchObject({
      env: { allow: [] },
      commands: { deny: [], allow: [] },
    });
  });

  test('valid names and patterns are kept', () => {
    const spec = parseGoalSpec({
      ...base,
      env: { allow: ['AWS_PROFILE', 'NPM_TOKEN'] },
      commands: { deny: ['\\bnpm publish\\b'], allow: ['^git push origin longhaul/'] },
    });
    expect(spec.env).toEqual({ allow: ['AWS_PROFILE', 'NPM_TOKEN'] });
    expect(spec.commands).toEqual({ deny: ['\\bnpm publish\\b'], allow: ['^git push origin longhaul/'] });
  });

  test('a bad name, a worker credential, a bad pattern and an unknown field are each named', () => {
    expect(
      problemsOf({
        ...base,
        env: { allow: ['aws profile', 'OPENAI_API_KEY'] },
        commands: { deny: ['(unclosed'], allow: [''], also: [] },
      }),
    ).toEqual([
      'env.allow[0]: env.allow takes environment variable names: letters, digits and "_", not starting with a digit (e.g. AWS_PROFILE)',
      "env.allow[1]: OPENAI_API_KEY is one of the worker's own credentials (model, Slack, Temporal, encryption keys): it is never passed to commands",
      expect.stringMatching(/^commands\.deny\[0\]: not a valid regular expression: SyntaxError/),
      'commands.allow[0]: a pattern must not be empty',
      'commands: unknown field "also": remove or fix the spelling',
    ]);
  });
});

describe('redaction', () => {
  const redact = createRedactor(['sk-test-secret-key', undefined, null], () => WORKER_ENV);

  test("the values of the worker's secrets are redacted, each key of a key list too", () => {
    const values = [
      'sk-test-secret-key',
      WORKER_ENV['OPENAI_API_KEY']!,
      WORKER_ENV['SLACK_BOT_TOKEN']!,
      WORKER_ENV['TEMPORAL_API_KEY']!,
      WORKER_ENV['TEMPORAL_TLS_CLIENT_KEY_DATA']!,
      WORKER_ENV['LONGHAUL_ENCRYPTION_KEY']!,
      'T2xkS2V5T2xkS2V5T2xkS2V5',
      'T2xkZXJLZXlPbGRlcktleQ==',
      WORKER_ENV['AWS_SECRET_ACCESS_KEY']!,
      WORKER_ENV['AZURE_CLIENT_SECRET']!,
      WORKER_ENV['GITHUB_TOKEN']!,
      WORKER_ENV['NPM_TOKEN']!,
      WORKER_ENV['DOCKER_PASSWORD']!,
      WORKER_ENV['DB_PASSWORD']!,
      WORKER_ENV['PGPASSWORD']!,
      WORKER_ENV['STRIPE_API_KEY']!,
      'db-url-password',
      WORKER_ENV['LONGHAUL_STORE_URL']!,
      'store-Pa55word%21',
      'store-Pa55word!',
    ];
    for (const v of values) {
      expect(redact(`before ${v} after`)).toBe(`before ${REDACTED} after`);
    }
    expect(redact(`keys=${WORKER_ENV['LONGHAUL_ENCRYPTION_KEYS']!}`)).toBe(`keys=${REDACTED}`);
  });

  test('the goal store URL’s password is redacted in the URL, alone, and percent-decoded', () => {
    const url = WORKER_ENV['LONGHAUL_STORE_URL']!;
    expect(redact(`connecting to ${url} ...`)).toBe(`connecting to ${REDACTED} ...`);
    expect(redact('psql: password store-Pa55word! rejected')).toBe(`psql: password ${REDACTED} rejected`);
    expect(redact('postgres://longhaul:store-Pa55word%21@replica:5432/x')).toBe(
      `postgres://longhaul:${REDACTED}@replica:5432/x`,
    );
    const inParam = createRedactor([], () => ({ LONGHAUL_STORE_URL: 'postgres://u@db/x?password=param-Pa55word' }));
    expect(inParam('the password is param-Pa55word')).toBe(`the password is ${REDACTED}`);
    expect(secretValues(WORKER_ENV)).toEqual(expect.arrayContaining(['store-Pa55word%21', 'store-Pa55word!']));
  });

  test('values that are not secrets stay: a region, a base URL, short values', () => {
    const text = 'region eu-west-1b via http://127.0.0.1:11434/v1 abc';
    expect(redact(text)).toBe(text);
    expect(secretValues(WORKER_ENV)).not.toContain('eu-west-1b');
  });

  test.each([
    ['an OpenAI key', 'OPENAI_API_KEY=sk-proj-AbCdEf0123456789GhIjKlMnOpQr', 'OPENAI_API_KEY=[redacted]'],
    ['an Anthropic key', 'key: sk-ant-api03-abcdefghijklmnop1234567890', 'key: [redacted]'],
    ['a Slack bot token', 'token xoxb-123456789012-1234567890123-AbCdEfGhIjKl', 'token [redacted]'],
    ['a Slack user token', '"xoxp-1234567890-abcdefghij"', '"[redacted]"'],
    ['a Slack app token', 'xapp-1-A0123456789-0123456789', '[redacted]'],
    ['a GitHub classic token', 'ghp_0123456789abcdefghijABCDEFGHIJ012345', '[redacted]'],
    ['a GitHub OAuth token', 'gho_0123456789abcdefghijABCDEFGHIJ012345', '[redacted]'],
    ['a GitHub fine-grained token', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', '[redacted]'],
    ['an AWS access key id', 'aws_access_key_id = AKIAABCDEFGHIJKLMNOP', 'aws_access_key_id = [redacted]'],
    ['an AWS temporary key id', 'ASIAABCDEFGHIJKLMNOP', '[redacted]'],
    ['a bearer token', 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def', 'Authorization: Bearer [redacted]'],
    ['basic credentials', 'Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==', 'Authorization: Basic [redacted]'],
    [
      'a password in a URL',
      'remote https://user:s3cr3t-pass@github.com/o/r.git',
      'remote https://user:[redacted]@github.com/o/r.git',
    ],
    [
      'a private key block',
      'a\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----\nz',
      'a\n[redacted]\nz',
    ],
    ['an RSA key block', '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', '[redacted]'],
    ['a key block cut off by truncation', 'x -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg…', 'x [redacted]'],
  ])('%s', (_what, text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  test('ordinary code and output are left alone', () => {
    const ordinary = [
      'const sketch = sketch-artist-component-with-a-long-name;',
      'task-id-0123456789abcdef0123 disk-usage-12345678901234567890 risk-assessment-1234567890-abc',
      'class="sk-fading-circle sk-circle-bounce-delay-thing"',
      'git checkout -b feature/ghp-cleanup; const ghp_count = 3;',
      'AKIA is a prefix; AKIAshort; the token is in TOKEN_FILE',
      'Bearer of bad news',
      'console.log(`-----BEGIN CERTIFICATE-----`)',
      'https://github.com/o/r.git and git@github.com:o/r.git and http://localhost:3000/path',
      'PASS test/stats.test.js (0.4 s)\nTests: 12 passed, 12 total',
    ];
    for (const text of ordinary) expect(redact(text)).toBe(text);
  });

  test('a 5 MB output is redacted in one linear pass', () => {
    const line = 'ok 1 - some test output line with numbers 1234567890 and words\n';
    const big = `${line.repeat(80_000)}leak AKIAABCDEFGHIJKLMNOP\n${line.repeat(1000)}`;
    const started = Date.now();
    const out = redact(big);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(out).toContain('leak [redacted]');
    expect(out.length).toBe(big.length - 'AKIAABCDEFGHIJKLMNOP'.length + REDACTED.length);
  });

  test("a secret added to the worker's environment later is redacted too", () => {
    const env: NodeJS.ProcessEnv = {};
    const r = createRedactor([], () => env);
    expect(r('value late-secret-value')).toBe('value late-secret-value');
    env['LATE_TOKEN'] = 'late-secret-value';
    expect(r('value late-secret-value')).toBe(`value ${REDACTED}`);
  });
});

describe('the shell tool: scrubbed environment and redacted output', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function workspace(): string {
    const ws = tempDir('longhaul-secrets-');
    dirs.push(ws);
    execFileSync('git', ['init', '-q'], { cwd: ws });
    writeFileSync(
      path.join(ws, 'leak.txt'),
      'api_key=sk-proj-AbCdEf0123456789GhIjKlMnOpQr\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----\nend\n',
    );
    return ws;
  }

  const input = (ws: string, command: string, extra: Partial<RunToolInput> = {}): RunToolInput => ({
    workspace: ws,
    name: 'shell',
    arguments: JSON.stringify({ command }),
    defaultShellTimeoutMs: 30_000,
    maxOutputChars: 20_000,
    storeFullOutput: () => Promise.resolve('ref'),
    ...extra,
  });

  const saved = Object.fromEntries(
    ['SHELL_TEST_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'LONGHAUL_STORE_URL'].map((k) => [k, process.env[k]]),
  );
  beforeAll(() => {
    process.env['SHELL_TEST_TOKEN'] = 'shell-test-token-value';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'shell-aws-secret-value';
    process.env['LONGHAUL_STORE_URL'] = 'postgres://longhaul:shell-store-Pa55@db:5432/longhaul';
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test('credentials are not in the environment; an allowed one is, and its value is still redacted', async () => {
    const ws = workspace();
    const r = await runTool(
      input(ws, 'echo "aws=[$AWS_SECRET_ACCESS_KEY] tok=[$SHELL_TEST_TOKEN]"; env | grep -c _TOKEN='),
    );
    expect(r.output).toContain('aws=[] tok=[]');
    const allowed = await runTool(input(ws, 'echo "tok=[$SHELL_TEST_TOKEN]"', { allowEnv: ['SHELL_TEST_TOKEN'] }));
    expect(allowed.output).toContain(`tok=[${REDACTED}]`);
    expect(allowed.output).not.toContain('shell-test-token-value');
  });

  test('the goal store URL is not in the environment, and its password is redacted from output', async () => {
    const ws = workspace();
    const r = await runTool(input(ws, 'echo "url=[$LONGHAUL_STORE_URL]"; echo "typed: shell-store-Pa55"'));
    expect(r.output).toContain('url=[]');
    expect(r.output).toContain(`typed: ${REDACTED}`);
    expect(r.output).not.toContain('shell-store-Pa55');
  });

  test('a file full of secrets is shown redacted, and so is the full output kept in the store', async () => {
    const ws = workspace();
    const stored: string[] = [];
    const r = await runTool(
      input(ws, 'cat leak.txt; for i in $(seq 3000); do echo "line $i sk-proj-AbCdEf0123456789GhIjKlMnOpQr"; done', {
        maxOutputChars: 2_000,
        storeFullOutput: (text) => {
          stored.push(text);
          return Promise.resolve('ref');
        },
      }),
    );
    expect(r.output).toContain(`api_key=${REDACTED}\n${REDACTED}\nend`);
    expect(r.output).not.toMatch(/sk-proj|PRIVATE KEY/);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toContain(`line 3000 ${REDACTED}`);
    expect(stored[0]).not.toMatch(/sk-proj|PRIVATE KEY/);
  });

  test('the summary line is redacted too', async () => {
    const ws = workspace();
    const r = await runTool(input(ws, 'echo ghp_0123456789abcdefghijABCDEFGHIJ012345 >/dev/null'));
    expect(r.summary).toBe(`shell: echo ${REDACTED} >/dev/null → exit 0 (${/\((\d+\.\d) s\)/.exec(r.summary)![1]} s)`);
  });
});
