/**
 * How the CLI and the worker reach Temporal: Temporal's environment configuration, read by
 * `@temporalio/envconfig` — a profile of the config file (`TEMPORAL_CONFIG_FILE`, else
 * `~/.config/temporalio/temporal.toml`; `TEMPORAL_PROFILE`, else `default`) overridden by `TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS*` and `TEMPORAL_GRPC_META_*`. With nothing set it is
 * plain gRPC to localhost:7233, namespace "default", as before. The API key and the client key stay in the
 * options handed to the SDK: {@link describeTemporalConnection} is what may be logged.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { existsSync } from 'node:fs';
import { ConfigError, type TemporalConfig } from './temporal-config';

/** Connection options both `Connection.connect` (client) and `NativeConnection.connect` (worker) accept. */
export interface TemporalConnectionOptions {
  readonly address: string;
  /** TLS settings; `true` for TLS with the system's roots (implied by an API key); absent for plain gRPC. */
  readonly tls?: TLSConfig | boolean;
  /** Sent as `Authorization: Bearer …`. A secret: never log it. */
  readonly apiKey?: string;
  /** gRPC headers from the profile's `grpc_meta` or `TEMPORAL_GRPC_META_*`. */
  readonly metadata?: Record<string, string>;
}

export interface TemporalConnection {
  readonly namespace: string;
  readonly options: TemporalConnectionOptions;
}

/**
 * Resolves the connection from the environment (and the config file it names). `config` supplies what neither
 * the environment nor the profile sets: its address and namespace, i.e. localhost:7233 and "default" by default.
 * Throws {@link ConfigError} for a missing config file or profile, an unreadable TLS file or a malformed file.
 */
export function temporalConnection(config: TemporalConfig, env: NodeJS.ProcessEnv = process.env): TemporalConnection {
  // Blank variables count as unset, as in worker/config.ts.
  const vars: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') vars[key] = value;
  const file = vars.TEMPORAL_CONFIG_FILE;
  if (file !== undefined && !existsSync(file)) {
    throw new ConfigError(`TEMPORAL_CONFIG_FILE: ${file} does not exist: fix the path, or unset it`);
  }
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: vars });
  } catch (err) {
    const where = file ?? 'the Temporal config file (~/.config/temporalio/temporal.toml)';
    throw new ConfigError(
      `cannot load the Temporal connection settings${vars.TEMPORAL_PROFILE ? ` (TEMPORAL_PROFILE=${vars.TEMPORAL_PROFILE})` : ''} from ${where} and TEMPORAL_* variables: ${(err as Error).message}`,
    );
  }
  const { address, tls, apiKey, metadata } = loaded.connectionOptions;
  return {
    namespace: loaded.namespace ?? config.namespace,
    options: {
      address: address ?? config.address,
      ...(tls !== undefined && tls !== null ? { tls } : {}),
      ...(apiKey !== undefined ? { apiKey } : {}),
      ...(metadata && Object.keys(metadata).length > 0 ? { metadata: metadata as Record<string, string> } : {}),
    },
  };
}

/** One line for logs and errors: where and how, never the API key or key material. */
export function describeTemporalConnection(connection: TemporalConnection): string {
  const { address, tls, apiKey } = connection.options;
  const security = [
    tls === undefined || tls === false ? 'plain gRPC' : 'TLS',
    ...(typeof tls === 'object' && tls.clientCertPair ? ['client certificate'] : []),
    ...(apiKey !== undefined ? ['API key'] : []),
  ];
  return `${address} (namespace ${connection.namespace}; ${security.join(', ')})`;
}
