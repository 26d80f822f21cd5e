/**
 * One running MCP server and the client connected to it: started and initialised once, its tool list cached until
 * the server says it changed (`notifications/tools/list_changed`), closed when the server exits or the pool ends it.
 * What the server wrote to stderr last is kept, for the message when it cannot start or stops.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import type { ResolvedServer } from './server';

/** Characters of the server's stderr kept (its tail). */
const STDERR_TAIL_CHARS = 2000;

/** Thrown when a server could not be started or initialised: the message, with its stderr's tail. */
export class McpStartError extends Error {
  override readonly name = 'McpStartError';
  constructor(
    readonly server: string,
    message: string,
    readonly stderrTail: string,
  ) {
    super(message);
  }
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: () => void;
}

export class McpConnection {
  private toolList: Promise<Tool[]> | undefined;
  private stderr = '';
  private closedFlag = false;
  /** Calls running now: an idle connection has none. */
  inFlight = 0;
  lastUsed = Date.now();

  private constructor(
    readonly server: ResolvedServer,
    private readonly client: Client,
  ) {}

  /** Starts the server and initialises the session; rejects with McpStartError (naming the server) if it cannot. */
  static async open(server: ResolvedServer): Promise<McpConnection> {
    const client = new Client({ name: 'longhaul', version: '0.1.0' }, { capabilities: {} });
    const transport = server.transport();
    const connection = new McpConnection(server, client);
    const stderr = (transport as { stderr?: Readable | null }).stderr;
    stderr?.on('data', (chunk: Buffer) => connection.keepStderr(chunk.toString()));
    client.onclose = () => {
      connection.closedFlag = true;
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      connection.toolList = undefined;
    });
    try {
      await client.connect(transport, { timeout: server.timeoutMs });
    } catch (err) {
      await client.close().catch(() => undefined);
      // What the server wrote last may still be on its way: wait for its stderr to end (briefly, if it does not).
      if (stderr && !stderr.readableEnded) {
        await Promise.race([once(stderr, 'end'), new Promise((r) => setTimeout(r, 500).unref())]).catch(
          () => undefined,
        );
      }
      const why = err instanceof Error ? err.message : String(err);
      throw new McpStartError(server.name, why, connection.stderrTail());
    }
    return connection;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  stderrTail(): string {
    return this.stderr.trim();
  }

  /** The server's tools: read once, again after the server announced a change. */
  tools(): Promise<Tool[]> {
    if (!this.toolList) {
      const reading = this.readTools();
      this.toolList = reading;
      reading.catch(() => {
        if (this.toolList === reading) this.toolList = undefined;
      });
    }
    return this.toolList;
  }

  async call(tool: string, args: Record<string, unknown>, opts: CallOptions): Promise<CallToolResult> {
    this.inFlight += 1;
    this.lastUsed = Date.now();
    try {
      const result = await this.client.callTool({ name: tool, arguments: args }, undefined, {
        timeout: this.server.timeoutMs,
        maxTotalTimeout: this.server.timeoutMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onProgress ? { onprogress: opts.onProgress } : {}),
      });
      return result as CallToolResult;
    } finally {
      this.inFlight -= 1;
      this.lastUsed = Date.now();
    }
  }

  /** Ends the session; a stdio server's process is stopped (the SDK closes its stdin, then terminates it). */
  async close(): Promise<void> {
    this.closedFlag = true;
    await this.client.close().catch(() => undefined);
  }

  private async readTools(): Promise<Tool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.client.listTools(cursor === undefined ? {} : { cursor }, {
        timeout: this.server.timeoutMs,
      });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined && tools.length < 10_000);
    return tools;
  }

  private keepStderr(text: string): void {
    this.stderr = (this.stderr + text).slice(-STDERR_TAIL_CHARS);
  }
}
