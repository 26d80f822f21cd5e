import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startGoal } from '../client/goals';
import { parseGoalSpec } from '../goal/spec';
import { ConfigError } from '../common/temporal-config';
import { metricsFromEnv } from '../worker/telemetry';
import { otlpTracesUrl } from '../common/tracing-url';
import { NO_FINISHING } from './helpers/finishing';
import { freePort } from './helpers/ports';
import { useServerAndFake } from './helpers/suite';
import { startWorkerProcess, waitFor, WORKER_MAIN } from './helpers/worker-process';
import { BUGGY_STATS, FIXED_MEDIAN, gitWorkspace, tempDir } from './helpers/workspace';

describe('telemetry settings', () => {
  test('metrics are off unless LONGHAUL_METRICS_ADDRESS names host:port', () => {
    expect(metricsFromEnv({})).toBeUndefined();
    expect(metricsFromEnv({ LONGHAUL_METRICS_ADDRESS: '0.0.0.0:9464' })).toEqual({
      prometheus: { bindAddress: '0.0.0.0:9464' },
    });
    expect(() => metricsFromEnv({ LONGHAUL_METRICS_ADDRESS: '9464' })).toThrow(ConfigError);
    expect(() => metricsFromEnv({ LONGHAUL_METRICS_ADDRESS: 'http://x:1' })).toThrow(/host:port.*0\.0\.0\.0:9464/);
  });

  test('tracing is off unless an OTLP endpoint is set; the traces path is added to the base endpoint', () => {
    expect(otlpTracesUrl({})).toBeUndefined();
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom' })).toBe('http://c:4318/custom');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(() => otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector' })).toThrow(/must be a URL/);
  });
});

/** A loopback OTLP/HTTP receiver (JSON encoding): records the names of the spans it is sent. */
async function startOtlpReceiver(): Promise<{ url: string; spans: string[]; close: () => Promise<void> }> {
  const spans: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces' && /json/.test(req.headers['content-type'] ?? '')) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans?: { scopeSpans?: { spans?: { name: string }[] }[] }[];
        };
        for (const rs of body.resourceSpans ?? [])
          for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push(s.name);
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('a worker process with metrics, tracing and JSON logs', () => {
  const suite = useServerAndFake();
  beforeAll(() => {
    if (!existsSync(WORKER_MAIN))
      throw new Error(`${WORKER_MAIN} is missing: run \`npm run build\` first (npm test does)`);
  });

  test('serves Prometheus metrics, exports workflow and activity spans over OTLP, and logs JSON lines', async () => {
    const otlp = await startOtlpReceiver();
    const metricsPort = await freePort();
    const taskQueue = `telemetry-${process.pid}`;
    const worker = startWorkerProcess({
      address: suite.env.address,
      taskQueue,
      home: tempDir('longhaul-home-'),
      openaiBaseUrl: suite.fake.url,
      env: {
        LONGHAUL_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        LONGHAUL_LOG_FORMAT: 'json',
        LONGHAUL_LOG_LEVEL: 'INFO',
      },
    });
    try {
      await waitFor(() => worker.output().includes('polling task queue'), 60_000, `the worker\n${worker.output()}`);
      suite.fake.setScript([
        { toolCalls: [{ name: 'write_file', arguments: { path: 'stats.js', content: FIXED_MEDIAN } }] },
      ]);
      const handle = await startGoal(
        suite.env.client,
        parseGoalSpec({
          ...NO_FINISHING,
          objective: 'Make node test.js pass',
          workspace: gitWorkspace(BUGGY_STATS),
          checks: [{ name: 'tests', command: 'node test.js' }],
        }),
        { taskQueue, goalId: `telemetry-${process.pid}` },
      );
      expect((await handle.result()).status).toBe('achieved');

      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(res.status).toBe(200);
      const metrics = await res.text();
      expect(metrics).toMatch(/^# TYPE temporal_\w+/m);
      expect(metrics).toMatch(/^temporal_workflow_task_execution_latency\w*\{[^}]*task_queue="telemetry-/m);
      expect(metrics).toMatch(/^temporal_activity_execution_latency\w*\{[^}]*activity_type="modelTurn"/m);

      await waitFor(
        () =>
          ['RunWorkflow:goalWorkflow', 'StartActivity:modelTurn', 'RunActivity:modelTurn'].every((n) =>
            otlp.spans.includes(n),
          ),
        15_000,
        `spans (got ${JSON.stringify([...new Set(otlp.spans)])})\n${worker.output()}`,
      );
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
      await otlp.close();
    }
    // Every line the worker wrote is one JSON object; the model key is in none of them.
    const lines = worker
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(entry)).toEqual(['time', 'level', 'message', 'attributes']);
    }
    expect(worker.output()).toMatch(
      /"message":"polling task queue \\"telemetry-\d+\\" on 127\.0\.0\.1:\d+ .*metrics on http:\/\/127\.0\.0\.1:\d+\/metrics; traces to http/,
    );
    expect(worker.output()).not.toContain('sk-test-secret-key');
  });
});
