/**
 * The embedded Temporal dev server for `longhaul dev`: state in SQLite (WAL) under LONGHAUL_HOME, the
 * Longhaul search attributes registered, the Web UI on its port. Restarting on the same file resumes
 * the goals that were running.
 */
import { Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../goal/search-attributes';
import { locateTemporalCli } from './temporal-cli';

export interface DevServerOptions {
  /** LONGHAUL_HOME: the SQLite file and the server log go here. */
  readonly home: string;
  /** gRPC port. @default 7233 */
  readonly port?: number;
  /** Web UI port. @default port + 1000 */
  readonly uiPort?: number;
  /** Bind address. @default '127.0.0.1' */
  readonly ip?: string;
  /** How long to wait for the server to accept connections. @default 60_000 */
  readonly startTimeoutMs?: number;
}

export interface DevServer {
  readonly address: string;
  readonly uiUrl: string;
  readonly dbFile: string;
  readonly logFile: string;
  readonly process: ChildProcess;
  /** Stops the server gracefully (SIGTERM, then SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/**
 * Thrown before the server starts when one of its ports is taken (usually by another `longhaul dev`): started
 * anyway, its server would fail to bind while its worker attached to the other server, whose goals keep their
 * data in another goal store.
 */
export class DevPortInUseError extends Error {
  override readonly name = 'DevPortInUseError';
  constructor(
    /** What the port is for. */
    readonly role: 'gRPC' | 'Web UI',
    readonly address: string,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown when the server that answers on the port is not the one just started (its process failed to bind). */
export class DevServerNotOursError extends Error {
  override readonly name = 'DevServerNotOursError';
}

/** What the Temporal CLI prints when a port is taken ("can't set frontend port 7233: … address already in use"). */
const BIND_ERROR = /address already in use|can't set [\w ]*port/i;
/** The CLI's banner, printed once its ports are bound: "Temporal Server:      localhost:7233". */
const STARTED_BANNER = /Temporal Server:/;
/** How long readiness waits for the banner after the port answers (a CLI that prints none costs this once). */
const BANNER_GRACE_MS = 1000;

const SA_TYPE_NAMES: Record<string, string> = {
  KEYWORD: 'Keyword',
  DOUBLE: 'Double',
  INT: 'Int',
  TEXT: 'Text',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
};

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort ?? port + 1000;
  const ip = opts.ip ?? '127.0.0.1';
  await checkPortsFree(ip, port, uiPort, opts.uiPort !== undefined);
  mkdirSync(opts.home, { recursive: true });
  const dbFile = path.join(opts.home, 'temporal.db');
  const logFile = path.join(opts.home, 'temporal-server.log');
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbFile,
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    '--ip',
    ip,
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--log-level',
    'warn',
    ...SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${SA_TYPE_NAMES[k.type] ?? 'Keyword'}`]),
  ];
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(locateTemporalCli(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  // Kept (its start) to tell whether the server that answers is this one: a bind error, or the banner.
  let output = '';
  const keep = (d: Buffer) => {
    if (output.length < 64 * 1024) output += d.toString();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = `${ip}:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  let ready = false;
  let earlyExit: number | null | undefined;
  void exited.then((code) => {
    earlyExit = code;
  });
  while (!ready && Date.now() < deadline && earlyExit === undefined) {
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      ready = true;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  // Something answers; it is this server only if the child bound its ports: it prints its banner and stays up.
  // (Another server that took the port after the check above would answer too, while this child fails to bind.)
  const bannerDeadline = Date.now() + BANNER_GRACE_MS;
  while (ready && earlyExit === undefined && !STARTED_BANNER.test(output) && !BIND_ERROR.test(output)) {
    if (Date.now() >= bannerDeadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const bindError = output
    .split('\n')
    .find((l) => BIND_ERROR.test(l))
    ?.trim();
  if (ready && earlyExit === undefined && !bindError) {
    return {
      address,
      uiUrl: `http://${ip}:${uiPort}`,
      dbFile,
      logFile,
      process: child,
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
        log.end();
      },
    };
  }
  child.kill('SIGKILL');
  void exited.then(() => log.end());
  const why = bindError ? `: "${bindError}"` : earlyExit !== undefined ? ` (code ${earlyExit})` : '';
  if (ready) {
    throw new DevServerNotOursError(
      `another Temporal server answers on ${address}, but the one \`longhaul dev\` started failed${why}: ${await conflictFix(ip, port)} See ${logFile}`,
    );
  }
  throw new Error(
    earlyExit !== undefined
      ? `the Temporal dev server exited at start${why}: is port ${port} or ${uiPort} in use? ${await conflictFix(ip, port)} See ${logFile}`
      : `the Temporal dev server did not become ready on ${address}: see ${logFile}`,
  );
}

/** How to get out of a port conflict: stop the other server, or free ports for this one. */
async function conflictFix(ip: string, port: number): Promise<string> {
  const other = await freePortPair(ip, port);
  return `stop the other \`longhaul dev\` (or Temporal server), or give this one other ports, e.g. \`longhaul dev --port ${other}\` (its Web UI then on ${other + 1000}; \`--ui-port\` sets that one).`;
}

/** A port after `port` that is free on `ip`, its Web UI port (+1000) too; `port + 1` if none of the next 20 is. */
async function freePortPair(ip: string, port: number): Promise<number> {
  for (let p = port + 1; p <= Math.min(port + 20, 64_535); p++) {
    if ((await bindProblem(ip, p)) === null && (await bindProblem(ip, p + 1000)) === null) return p;
  }
  return port + 1;
}

/**
 * Rejects with a DevPortInUseError when the gRPC or the Web UI port cannot be bound on `ip`. Checked by binding
 * it for a moment, which also catches a listener on all addresses (0.0.0.0).
 */
async function checkPortsFree(ip: string, port: number, uiPort: number, uiPortGiven: boolean): Promise<void> {
  const ports = [
    { role: 'gRPC', port, flag: '--port' },
    { role: 'Web UI', port: uiPort, flag: uiPortGiven ? '--ui-port' : '--port + 1000; --ui-port sets it' },
  ] as const;
  for (const p of ports) {
    const problem = await bindProblem(ip, p.port);
    if (!problem) continue;
    const address = `${ip}:${p.port}`;
    const consequence =
      p.role === 'gRPC'
        ? " (this one's worker would attach to that server and its goals, whose data is in another goal store)"
        : '';
    throw new DevPortInUseError(
      p.role,
      address,
      problem === 'EADDRINUSE'
        ? `${address}, the ${p.role} port (${p.flag}), is already in use, probably by another \`longhaul dev\`${consequence}: ${await conflictFix(ip, port)}`
        : `${address}, the ${p.role} port (${p.flag}), cannot be listened on (${problem}): pick another, e.g. \`longhaul dev --port ${await freePortPair(ip, port < 1024 ? 7232 : port)}\`.`,
    );
  }
}

/** The error code of binding ip:port (EADDRINUSE, EACCES, EADDRNOTAVAIL), or null when it can be bound. */
async function bindProblem(ip: string, port: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') resolve(err.code);
      else reject(err);
    });
    probe.listen({ host: ip, port, exclusive: true }, () => probe.close(() => resolve(null)));
  });
}
