/**
 * Finds Temporal's binaries: the `temporal` CLI and (for tests) the time-skipping test server. Each is looked up
 * in its override variable, then on PATH, then in the project-local install made by `npm run setup`.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Thrown when no Temporal CLI can be found; says how to install one. */
export class TemporalCliNotFoundError extends Error {
  override readonly name = 'TemporalCliNotFoundError';
}

/** Thrown when no time-skipping test server can be found; says how to install one. */
export class TemporalTestServerNotFoundError extends Error {
  override readonly name = 'TemporalTestServerNotFoundError';
}

/** The project-local install made by `npm run setup` (scripts/setup-temporal.sh). */
export const LOCAL_TEMPORAL_CLI = path.resolve(__dirname, '..', '..', '.tools', 'temporal', 'bin', 'temporal');

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface Lookup {
  readonly envVar: string;
  readonly command: string;
  /** The install's path below the repo root. */
  readonly local: readonly string[];
  readonly notFound: (message: string) => Error;
  readonly missing: string;
}

function locate(lookup: Lookup, env: NodeJS.ProcessEnv): string {
  const override = env[lookup.envVar];
  if (override) {
    if (executable(override)) return override;
    throw lookup.notFound(`${lookup.envVar}=${override} is not an executable file: fix it or unset it`);
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, lookup.command);
    if (executable(candidate)) return candidate;
  }
  // From dist/client or from the TypeScript sources (tests), the repo root is two or one levels up.
  for (const up of [['..', '..'], ['..']]) {
    const candidate = path.resolve(__dirname, ...up, ...lookup.local);
    if (executable(candidate)) return candidate;
  }
  throw lookup.notFound(lookup.missing);
}

export function locateTemporalCli(env: NodeJS.ProcessEnv = process.env): string {
  return locate(
    {
      envVar: 'TEMPORAL_CLI_PATH',
      command: 'temporal',
      local: ['.tools', 'temporal', 'bin', 'temporal'],
      notFound: (message) => new TemporalCliNotFoundError(message),
      missing:
        'the Temporal CLI is not installed: run `npm run setup` (installs it into .tools/), or set TEMPORAL_CLI_PATH',
    },
    env,
  );
}

/** The time-skipping test server (Java, native build), used by tests that skip hours of timers in seconds. */
export function locateTestServer(env: NodeJS.ProcessEnv = process.env): string {
  return locate(
    {
      envVar: 'TEMPORAL_TEST_SERVER_PATH',
      command: 'temporal-test-server',
      local: ['.tools', 'temporal-test-server', 'bin', 'temporal-test-server'],
      notFound: (message) => new TemporalTestServerNotFoundError(message),
      missing:
        'the Temporal time-skipping test server is not installed: run `npm run setup` (installs it into .tools/), ' +
        'or set TEMPORAL_TEST_SERVER_PATH',
    },
    env,
  );
}
