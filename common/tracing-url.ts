/** Whether tracing is on, and where spans go: read without loading OpenTelemetry (the CLI checks it first). */
import { ConfigError } from './temporal-config';

/** The OTLP/HTTP traces URL the environment names, or undefined when tracing is off. */
export function otlpTracesUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return undefined;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const url = traces || (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (url === undefined) return undefined;
  try {
    new URL(url);
  } catch {
    const name = traces ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
    throw new ConfigError(`${name} must be a URL, e.g. http://otel-collector:4318`);
  }
  return url;
}
