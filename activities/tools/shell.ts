/**
 * Runs a bash command in its own process group, with a timeout, cancellation, progress reports and bounded
 * output capture. On timeout or abort the whole group (the command and everything it started) is killed; after a
 * normal exit, whatever it left running in the group is stopped.
 */
import { spawn } from 'node:child_process';

export interface ShellProgress {
  readonly elapsedMs: number;
  /** Bytes of output (stdout + stderr) received so far. */
  readonly bytes: number;
}

export interface RunShellOptions {
  readonly command: string;
  readonly cwd: string;
  readonly timeoutMs: number;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  /** Called every `progressIntervalMs` while the command runs (e.g. to heartbeat a Temporal activity). */
  readonly onProgress?: (info: ShellProgress) => void;
  /** @default 2000 */
  readonly progressIntervalMs?: number;
  /** Called with the pid (which is also the process group id) once the command has started. */
  readonly onSpawn?: (pid: number) => void;
  /** Bytes kept per stream; the rest is dropped with a marker. @default 10 MiB */
  readonly maxCaptureBytes?: number;
  /**
   * Runs `bash -c` inside this wrapper (the agent's sandbox: `bwrap` and its arguments, see
   * activities/security/sandbox.ts). The wrapper is the process group leader, so killing the group reaches it.
   * @default none: bash runs directly
   */
  readonly wrapper?: { readonly program: string; readonly args: readonly string[] };
}

export interface ShellResult {
  /** The exit code, or null if the command was ended by a signal. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  /** The command exited but left processes running in its group (e.g. `server &`); they were stopped. */
  readonly backgroundStopped?: boolean;
}

const DEFAULT_MAX_CAPTURE_BYTES = 10 * 1024 * 1024;
const DEFAULT_PROGRESS_INTERVAL_MS = 2000;
/** Between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2000;
/** How long to wait for the output pipes to close after bash exits (background processes may hold them). */
const PIPE_CLOSE_GRACE_MS = 500;
/** After SIGKILL, give up waiting for the pipes to close after this long. */
const AFTER_KILL_GIVE_UP_MS = 3000;

/**
 * Sends `signal` (default SIGKILL; 0 only checks existence) to the process group `pid` (as started by {@link runShell}, whose pid is the group id).
 * Returns false if no such group exists (ESRCH); other errors are thrown.
 */
export function killProcessGroup(pid: number, signal: NodeJS.Signals | number = 'SIGKILL'): boolean {
  // kill(-0) and kill(-1) would hit our own group or every process we may signal: never do that.
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** SIGTERM to what is left of a finished command's group, SIGKILL after a grace; true if anything was left. */
function stopLeftovers(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  let left = false;
  try {
    left = killProcessGroup(pid, 'SIGTERM');
  } catch {
    return false; // EPERM: not ours to stop
  }
  if (left) {
    setTimeout(() => {
      try {
        killProcessGroup(pid, 'SIGKILL');
      } catch {
        // ignore
      }
    }, KILL_GRACE_MS).unref();
  }
  return left;
}

/** SIGKILL to what may be left of a sandboxed command's group; always false (nothing to report). */
function killQuietly(pid: number | undefined): false {
  try {
    if (pid !== undefined) killProcessGroup(pid, 'SIGKILL');
  } catch {
    // EPERM: not ours
  }
  return false;
}

/** Keeps the head of a stream up to a byte budget and counts what it drops. */
class CappedCapture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(private readonly maxBytes: number) {}

  get totalBytes(): number {
    return this.kept + this.dropped;
  }

  add(chunk: Buffer): void {
    const room = this.maxBytes - this.kept;
    if (room >= chunk.length) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
      return;
    }
    if (room > 0) {
      this.chunks.push(chunk.subarray(0, room));
      this.kept += room;
    }
    this.dropped += chunk.length - Math.max(room, 0);
  }

  text(): string {
    const text = Buffer.concat(this.chunks).toString('utf8');
    if (this.dropped === 0) return text;
    return `${text}\n… [${this.dropped} more bytes dropped: output exceeded ${this.maxBytes} bytes] …\n`;
  }
}

/** Runs `bash -c command` and resolves when it has finished (or been killed). Rejects only if it cannot start. */
export function runShell(opts: RunShellOptions): Promise<ShellResult> {
  const started = Date.now();
  const maxBytes = opts.maxCaptureBytes ?? DEFAULT_MAX_CAPTURE_BYTES;

  if (opts.signal?.aborted) {
    return Promise.resolve({
      exitCode: null,
      signal: null,
      stdout: '',
      stderr: '',
      durationMs: 0,
      timedOut: false,
      aborted: true,
    });
  }

  return new Promise<ShellResult>((resolve, reject) => {
    const bash = ['bash', '-c', opts.command];
    const [program, ...args] = opts.wrapper ? [opts.wrapper.program, ...opts.wrapper.args, ...bash] : bash;
    const child = spawn(program ?? 'bash', args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout = new CappedCapture(maxBytes);
    const stderr = new CappedCapture(maxBytes);
    child.stdout.on('data', (chunk: Buffer) => stdout.add(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.add(chunk));

    let timedOut = false;
    let aborted = false;
    let exit: { code: number | null; signal: string | null } | undefined;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];

    const killGroup = () => {
      const pid = child.pid;
      if (pid === undefined) return;
      try {
        killProcessGroup(pid, 'SIGTERM');
      } catch {
        // EPERM: nothing more we can do.
      }
      // Unref'd, so it also reaches stragglers after we have resolved without keeping the process alive.
      const sigkill = setTimeout(() => {
        try {
          killProcessGroup(pid, 'SIGKILL');
        } catch {
          // ignore
        }
      }, KILL_GRACE_MS);
      sigkill.unref();
      const giveUp = setTimeout(finish, KILL_GRACE_MS + AFTER_KILL_GIVE_UP_MS);
      timers.push(giveUp);
    };

    const finish = () => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      clearInterval(progress);
      opts.signal?.removeEventListener('abort', onAbort);
      // Pipes may still be held open by background processes: stop reading them.
      child.stdout.destroy();
      child.stderr.destroy();
      // Whatever the command left running in its group is stopped too: no process outlives its call.
      // In a sandbox, its pid namespace ends them with the command (those still dying are not the command's doing).
      const backgroundStopped =
        !timedOut &&
        !aborted &&
        exit !== undefined &&
        (opts.wrapper ? killQuietly(child.pid) : stopLeftovers(child.pid));
      resolve({
        ...(backgroundStopped ? { backgroundStopped } : {}),
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        stdout: stdout.text(),
        stderr: stderr.text(),
        durationMs: Date.now() - started,
        timedOut,
        aborted,
      });
    };

    const onAbort = () => {
      if (settled || timedOut || aborted) return;
      aborted = true;
      killGroup();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    timers.push(
      setTimeout(() => {
        if (settled || aborted) return;
        timedOut = true;
        killGroup();
      }, opts.timeoutMs),
    );

    const progress = setInterval(() => {
      try {
        opts.onProgress?.({ elapsedMs: Date.now() - started, bytes: stdout.totalBytes + stderr.totalBytes });
      } catch {
        // A failing progress callback must not break the command.
      }
    }, opts.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS);

    child.on('error', (err) => {
      if (child.pid !== undefined) return; // errors after spawn (e.g. a failed kill) are not fatal
      settled = true;
      for (const t of timers) clearTimeout(t);
      clearInterval(progress);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.once('spawn', () => {
      if (child.pid === undefined) return;
      try {
        opts.onSpawn?.(child.pid);
      } catch {
        // A failing callback must not break the command.
      }
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      timers.push(setTimeout(finish, PIPE_CLOSE_GRACE_MS));
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      exit ??= { code, signal };
      finish();
    });
  });
}
