/**
 * The embedded Temporal dev server for `longhaul dev`: state in SQLite (WAL) under LONGHAUL_HOME, the
 * Longhaul search attributes registered, the Web UI on its port. Restarting on the same file resumes
 * the goals that were running.
 */
import { Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
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
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(
      earlyExit !== undefined
        ? `the Temporal dev server exited (code ${earlyExit}) at start: is port ${port} or ${uiPort} in use? See ${logFile}`
        : `the Temporal dev server did not become ready on ${address}: see ${logFile}`,
    );
  }
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
