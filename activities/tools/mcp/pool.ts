/**
 * The MCP servers a worker process runs, one per resolved config (server.ts `key`): shared by every goal and turn on
 * this worker whose server resolves the same, restarted when it has exited, stopped after a while unused and when
 * the worker shuts down.
 */
import { McpConnection } from './connection';
import type { ResolvedServer } from './server';

export interface McpPoolOptions {
  /** A server unused this long (and with no call running) is stopped; the next use starts it again. @default 15 min */
  readonly idleMs?: number;
  /** Told when a server is started again after it exited. */
  readonly onRestart?: (server: string) => void;
}

export class McpPool {
  private readonly connections = new Map<string, Promise<McpConnection>>();
  private readonly idleMs: number;
  private readonly timer: NodeJS.Timeout;
  private closing = false;

  constructor(private readonly options: McpPoolOptions = {}) {
    this.idleMs = options.idleMs ?? 15 * 60_000;
    this.timer = setInterval(() => void this.reapIdle(), Math.min(60_000, this.idleMs)).unref();
  }

  /** Servers started and not yet stopped. */
  get size(): number {
    return this.connections.size;
  }

  /**
   * The running server of `server`, started if there is none or it has exited. Rejects with McpStartError when it
   * cannot be started (the next call tries again).
   */
  async connection(server: ResolvedServer): Promise<McpConnection> {
    if (this.closing) throw new Error('the worker is shutting down: its MCP servers are stopped');
    const running = this.connections.get(server.key);
    if (running) {
      const connection = await running.catch(() => null);
      if (connection && !connection.closed) {
        connection.lastUsed = Date.now();
        return connection;
      }
      // It exited (or its start failed for another caller): start it again, once for all callers.
      if (this.connections.get(server.key) === running) {
        this.connections.delete(server.key);
        if (connection) this.options.onRestart?.(server.name);
      }
      return this.connection(server);
    }
    const starting = McpConnection.open(server);
    this.connections.set(server.key, starting);
    starting.catch(() => {
      if (this.connections.get(server.key) === starting) this.connections.delete(server.key);
    });
    return starting;
  }

  /** Stops every server (the worker is shutting down). */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => null))?.close()));
  }

  private async reapIdle(): Promise<void> {
    const now = Date.now();
    for (const [key, pending] of this.connections) {
      const connection = await pending.catch(() => null);
      if (!connection || connection.inFlight > 0 || now - connection.lastUsed < this.idleMs) continue;
      if (this.connections.get(key) !== pending) continue;
      this.connections.delete(key);
      await connection.close();
    }
  }
}
