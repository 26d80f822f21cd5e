/** Connecting the CLI to Temporal, with an error that says what to do when nothing answers. */
import { Client, Connection } from '@temporalio/client';
import { dataConverterFromEnv } from '../common/codec';
import type { TemporalConfig } from '../common/temporal-config';
import { otlpTracesUrl } from '../common/tracing-url';
import { temporalConnection } from '../common/temporal-connection';

/** Thrown when the Temporal server cannot be reached. */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
}

/**
 * Connects to Temporal as the environment configures it (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
 * TEMPORAL_TLS_*, TEMPORAL_PROFILE and its config file; see common/temporal-connection.ts), falling back to
 * `config`'s address and namespace. Payloads are encrypted and decrypted as the worker does when
 * LONGHAUL_ENCRYPTION_KEY* is set (common/codec.ts); client calls are traced when OTEL_EXPORTER_OTLP_ENDPOINT is
 * (worker/tracing.ts), and `close` flushes those spans. Throws ConfigError for unusable settings (a bad key
 * included), TemporalUnreachableError when nothing answers.
 */
export async function connectClient(
  config: TemporalConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ client: Client; close: () => Promise<void> }> {
  const { namespace, options } = temporalConnection(config, env);
  const dataConverter = dataConverterFromEnv(env);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: 5000 });
  } catch (err) {
    throw new TemporalUnreachableError(
      `cannot reach Temporal at ${options.address} (${(err as Error).message}): start it with \`longhaul dev\`, or set TEMPORAL_ADDRESS`,
    );
  }
  // OpenTelemetry loads only when tracing is on: most commands are short and should start fast.
  const tracing = otlpTracesUrl(env)
    ? (await import('../worker/tracing')).tracingFromEnv('longhaul-cli', env)
    : undefined;
  const client = new Client({
    connection,
    namespace,
    ...(dataConverter ? { dataConverter } : {}),
    ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
  });
  const close = async () => {
    await connection.close();
    await tracing?.shutdown();
  };
  return { client, close };
}
