/** The parent's side of bench/lib/model-child.ts: the scripted model in its own process, and the arrivals it reports. */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface ModelArrival {
  /** Date.now() when the turn request arrived. */
  readonly wall: number;
  readonly workspace: string;
}

export interface ModelProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Every turn request reported so far (up to ~100 ms late); clear it to start over. */
  readonly arrivals: ModelArrival[];
  close(): Promise<void>;
}

export async function startModelProcess(latencyMs: number): Promise<ModelProcess> {
  const child = fork(path.join(__dirname, 'model-child.js'), [], {
    env: { ...process.env, BENCH_MODEL_LATENCY_MS: String(latencyMs) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const arrivals: ModelArrival[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the model process exited (${code}) before listening`)));
    child.on('message', (m: { url?: string; arrivals?: ModelArrival[] }) => {
      if (m.url) resolve(m.url);
      if (m.arrivals) arrivals.push(...m.arrivals);
    });
  });
  return {
    url,
    child,
    arrivals,
    async close() {
      child.disconnect();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
