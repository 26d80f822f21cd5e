/**
 * OpenTelemetry tracing over OTLP/HTTP (JSON), on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set: client, workflow and activity spans (`StartWorkflow:goalWorkflow`,
 * `RunWorkflow:goalWorkflow`, `StartActivity:modelTurn`, `RunActivity:modelTurn` …) from
 * `@temporalio/interceptors-opentelemetry`, linked into one trace per goal through Temporal headers.
 */
import type { ClientInterceptors } from '@temporalio/client';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import { otlpTracesUrl } from '../common/tracing-url';

/** OpenTelemetry tracing set up for this process: interceptors to install, and the flush at exit. */
export interface Tracing {
  /** Where spans go (for the startup line: the URL holds no credentials; headers are not shown). */
  readonly url: string;
  /** For `new Client({ interceptors })`. */
  readonly clientInterceptors: ClientInterceptors;
  /** For the worker: activity interceptors, the workflow interceptor module and the sink workflow spans leave by. */
  readonly worker: Required<Pick<WorkerOptions, 'interceptors' | 'sinks'>>;
  /** Exports the spans still buffered and stops; call once at exit. */
  shutdown(): Promise<void>;
}

/**
 * Tracing to the OTLP/HTTP (JSON) endpoint the environment names, or undefined when none is set. Spans are batched
 * (BatchSpanProcessor; OTEL_BSP_* tune it) and carry `service.name` = OTEL_SERVICE_NAME or `serviceName`.
 * Extra exporter headers (an API key of the tracing backend) come from OTEL_EXPORTER_OTLP_HEADERS.
 */
export function tracingFromEnv(serviceName: string, env: NodeJS.ProcessEnv = process.env): Tracing | undefined {
  const url = otlpTracesUrl(env);
  if (url === undefined) return undefined;
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME || serviceName });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register(); // the W3C trace-context propagator the interceptors pass contexts through headers with
  const tracer = provider.getTracer('longhaul');
  return {
    url,
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] },
    worker: {
      interceptors: {
        client: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] },
        workflowModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: makeWorkflowExporter(spanProcessor, resource) },
    },
    shutdown: () => provider.shutdown(),
  };
}
