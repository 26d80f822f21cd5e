/**
 * What the MCP server's tools and resources share: the Temporal settings, LONGHAUL_HOME, the folder relative paths
 * are taken from, a log that writes to stderr (stdout is the protocol), and one Temporal client for the server's
 * life, connected at the first call that needs it.
 */
import type { Client } from '@temporalio/client';
import type { TemporalConfig } from '../../common/temporal-config';
import { connectClient } from '../connect';

export interface McpContext {
  readonly config: TemporalConfig;
  /** LONGHAUL_HOME: where the progress documents and reports are read from (this machine's files). */
  readonly home: string;
  /** The server's working directory: what a relative path in a tool's arguments is relative to. */
  readonly cwd: string;
  /** One line for the operator, on stderr. */
  readonly log: (text: string) => void;
  /** The Temporal client; throws TemporalUnreachableError (with the fix) when nothing answers, and tries again next time. */
  client(): Promise<Client>;
}

export interface McpContextOptions {
  readonly config: TemporalConfig;
  readonly home: string;
  readonly cwd: string;
  readonly log: (text: string) => void;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

export function createMcpContext(opts: McpContextOptions): McpContext & { close(): Promise<void> } {
  let connecting: ReturnType<typeof connectClient> | null = null;
  return {
    config: opts.config,
    home: opts.home,
    cwd: opts.cwd,
    log: opts.log,
    async client() {
      // Connected lazily, so the server answers `initialize` and lists its tools while Temporal is still starting.
      connecting ??= connectClient(opts.config, opts.env);
      try {
        return (await connecting).client;
      } catch (err) {
        connecting = null; // not cached: the next call tries again, e.g. once `longhaul dev` is up
        throw err;
      }
    },
    async close() {
      const pending = connecting;
      connecting = null;
      if (pending) await pending.then((c) => c.close()).catch(() => undefined);
    },
  };
}
