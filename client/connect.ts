/** Connecting the CLI to Temporal, with an error that says what to do when nothing answers. */
import { Client, Connection } from '@temporalio/client';
import type { TemporalConfig } from '../worker/config';
import { temporalConnection } from '../worker/temporal-connection';

/** Thrown when the Temporal server cannot be reached. */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
}

/**
 * Connects to Temporal as the environment configures it (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
 * TEMPORAL_TLS_*, TEMPORAL_PROFILE and its config file; see worker/temporal-connection.ts), falling back to
 * `config`'s address and namespace. Throws ConfigError for unusable settings, TemporalUnreachableError when
 * nothing answers.
 */
export async function connectClient(
  config: TemporalConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ client: Client; close: () => Promise<void> }> {
  const { namespace, options } = temporalConnection(config, env);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: 5000 });
  } catch (err) {
    throw new TemporalUnreachableError(
      `cannot reach Temporal at ${options.address} (${(err as Error).message}): start it with \`longhaul dev\`, or set TEMPORAL_ADDRESS`,
    );
  }
  return { client: new Client({ connection, namespace }), close: () => connection.close() };
}
