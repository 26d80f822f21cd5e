/**
 * The chaos run's worker: the shipped worker (`worker/main.js`, with a prebuilt workflow bundle as deployed) in a
 * child process, with Slack and the fake model configured, that the run SIGKILLs and starts again. An exit the run
 * did not cause is counted and the worker started again, so a crash shows in the figures instead of hanging the run.
 */
import { workerProcessEnv } from '../../test/helpers/worker-process';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { SHIPPED_WORKER } from './worker-child';

export interface ChaosWorkerOptions {
  readonly address: string;
  readonly taskQueue: string;
  readonly home: string;
  readonly modelUrl: string;
  readonly bundlePath: string;
  readonly openaiKey: string;
  readonly slack: { readonly token: string; readonly channel: string; readonly url: string };
  /** Every worker's output goes here, one block per process. */
  readonly logFile: string;
}

export class ChaosWorker {
  /** SIGKILLs sent by the run. */
  kills = 0;
  /** Exits the run did not cause (crashes). */
  unexpectedExits = 0;
  /** Processes started (the first included). */
  starts = 0;
  /** Date.now() of every kill. */
  readonly killTimes: number[] = [];
  /** ms from spawn to "polling task queue", per start. */
  readonly startupMs: number[] = [];
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(private readonly o: ChaosWorkerOptions) {}

  /** Whether a worker process is alive. */
  get running(): boolean {
    return this.child !== null;
  }

  /** Starts a worker process and resolves once it polls (rejects if it does not within `timeoutMs`). */
  async start(timeoutMs = 60_000): Promise<void> {
    const o = this.o;
    const started = Date.now();
    this.starts += 1;
    const n = this.starts;
    const child = spawn(process.execPath, [SHIPPED_WORKER], {
      env: workerProcessEnv({
        address: o.address,
        taskQueue: o.taskQueue,
        home: o.home,
        openaiBaseUrl: o.modelUrl,
        apiKey: o.openaiKey,
        env: {
          LONGHAUL_WORKFLOW_BUNDLE: o.bundlePath,
          LONGHAUL_LOG_LEVEL: 'WARN',
          SLACK_BOT_TOKEN: o.slack.token,
          SLACK_CHANNEL: o.slack.channel,
          SLACK_API_URL: o.slack.url,
        },
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let output = '';
    let onReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (onReady = resolve));
    const collect = (d: Buffer) => {
      const text = d.toString();
      appendFileSync(o.logFile, text);
      if (output.length < 100_000) output += text;
      if (output.includes('polling task queue')) onReady();
    };
    appendFileSync(o.logFile, `\n--- worker ${n} (pid ${child.pid}) started ${new Date(started).toISOString()}\n`);
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    this.exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        appendFileSync(o.logFile, `--- worker ${n} exited: ${signal ?? code}\n`);
        if (this.child === child) this.child = null;
        if (!this.stopping && signal !== 'SIGKILL') {
          // Not ours: count it and bring a worker back, as a process supervisor would.
          this.unexpectedExits += 1;
          setTimeout(() => void this.start().catch(() => undefined), 1_000);
        }
        resolve();
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`worker ${n} did not poll within ${timeoutMs} ms:\n${output.slice(-3000)}`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
    this.startupMs.push(Date.now() - started);
  }

  /** SIGKILLs the worker (nothing is flushed or drained) and waits for it to be gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.kills += 1;
    this.killTimes.push(Date.now());
    child.kill('SIGKILL');
    await this.exited;
  }

  /** Stops the worker for good (SIGTERM: the SDK shuts down gracefully). */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}
