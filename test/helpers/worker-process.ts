/** A Longhaul worker in its own OS process (the built `dist/worker/main.js`), so tests can SIGKILL it. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface WorkerProcessOptions {
  readonly address: string;
  readonly taskQueue: string;
  readonly home: string;
  readonly openaiBaseUrl: string;
  readonly api?: 'responses' | 'chat';
  /** Extra environment, e.g. SLACK_BOT_TOKEN, SLACK_CHANNEL, SLACK_API_URL. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code or signal. */
  readonly exited: Promise<number | string | null>;
}

export const WORKER_MAIN = path.resolve(__dirname, '..', '..', 'dist', 'worker', 'main.js');

/**
 * The environment of a worker process against a test server and the fake model (no other variable of this process
 * leaks in); also used by the benchmarks and the chaos run.
 */
export function workerProcessEnv(o: WorkerProcessOptions & { readonly apiKey?: string }): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: o.address,
    LONGHAUL_TASK_QUEUE: o.taskQueue,
    LONGHAUL_HOME: o.home,
    OPENAI_BASE_URL: o.openaiBaseUrl,
    OPENAI_API_KEY: o.apiKey ?? 'sk-test-secret-key',
    LONGHAUL_MODEL_API: o.api ?? 'responses',
    LONGHAUL_MODEL: 'fake-model',
    ...o.env,
  };
}

export function startWorkerProcess(o: WorkerProcessOptions): WorkerProcess {
  const child = spawn(process.execPath, [WORKER_MAIN], {
    env: workerProcessEnv(o),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  return { child, output: () => output, exited };
}

/** Polls `predicate` every 100 ms until it holds or `timeoutMs` passes. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
