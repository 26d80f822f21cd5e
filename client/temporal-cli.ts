/** Finds the `temporal` CLI: TEMPORAL_CLI_PATH, then `temporal` on PATH, then the project-local install. */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Thrown when no Temporal CLI can be found; says how to install one. */
export class TemporalCliNotFoundError extends Error {
  override readonly name = 'TemporalCliNotFoundError';
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

export function locateTemporalCli(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TEMPORAL_CLI_PATH) {
    if (executable(env.TEMPORAL_CLI_PATH)) return env.TEMPORAL_CLI_PATH;
    throw new TemporalCliNotFoundError(
      `TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} is not an executable file: fix it or unset it`,
    );
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'temporal');
    if (executable(candidate)) return candidate;
  }
  // From dist/client or from the TypeScript sources (tests), the repo root is two or one levels up.
  for (const candidate of [
    LOCAL_TEMPORAL_CLI,
    path.resolve(__dirname, '..', '.tools', 'temporal', 'bin', 'temporal'),
  ]) {
    if (executable(candidate)) return candidate;
  }
  throw new TemporalCliNotFoundError(
    'the Temporal CLI is not installed: run `npm run setup` (installs it into .tools/), or set TEMPORAL_CLI_PATH',
  );
}
