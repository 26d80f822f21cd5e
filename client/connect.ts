/** Connecting the CLI to Temporal, with an error that says what to do when nothing answers. */
import { Client, Connection } from '@temporalio/client';
import type { TemporalConfig } from '../worker/config';

/** Thrown when the Temporal server cannot be reached. */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
}

export async function connectClient(config: TemporalConfig): Promise<{ client: Client; close: () => Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.address, connectTimeout: 5000 });
  } catch (err) {
    throw new TemporalUnreachableError(
      `cannot reach Temporal at ${config.address} (${(err as Error).message}): start it with \`longhaul dev\`, or set TEMPORAL_ADDRESS`,
    );
  }
  return { client: new Client({ connection, namespace: config.namespace }), close: () => connection.close() };
}
