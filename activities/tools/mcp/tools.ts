/**
 * The goal's MCP servers as the model sees them: each server's tools, named `<server>__<tool>` and described with
 * their JSON schemas, offered next to the built-in tools; and the failure that says a server cannot be started.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { MCP_SEPARATOR, MCP_UNAVAILABLE, type McpServerSpec } from '../../../goal/mcp';
import type { ToolDefinition } from '../../../goal/transcript';
import type { Redact } from '../../security/redact';
import type { McpConnection } from './connection';
import { McpStartError } from './connection';
import type { McpPool } from './pool';
import { McpServerUnavailableError, resolveServer, type ResolvedServer, type ServerContext } from './server';

/** OpenAI's limit on a function name, and the characters it allows. */
const MAX_NAME_CHARS = 64;
/** A tool's description is cut to this many characters (the model reads it every turn). */
const MAX_DESCRIPTION_CHARS = 2000;
/** At most this many tools of one server are offered. */
export const MAX_TOOLS_PER_SERVER = 100;

/** An MCP tool as offered: the name the model calls, and the server's own name of the tool. */
export interface OfferedTool {
  readonly definition: ToolDefinition;
  readonly tool: Tool;
}

/** `<server>__<tool>`, with characters a model API refuses in a name replaced by "_", cut to 64 characters. */
export function offeredName(server: string, tool: string): string {
  return `${server}${MCP_SEPARATOR}${tool.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, MAX_NAME_CHARS);
}

/** A server's tools as offered to the model (a name that two tools would share is offered once, for the first). */
export async function offeredTools(connection: McpConnection): Promise<OfferedTool[]> {
  const server = connection.server.name;
  const offered = new Map<string, OfferedTool>();
  for (const tool of (await connection.tools()).slice(0, MAX_TOOLS_PER_SERVER)) {
    const name = offeredName(server, tool.name);
    if (offered.has(name)) continue;
    const { $schema: _ignored, ...parameters } = tool.inputSchema as Record<string, unknown>;
    const about = tool.description ?? tool.title ?? tool.annotations?.title ?? '';
    const description = `[MCP server ${server}] ${about}`.trim();
    offered.set(name, {
      definition: {
        name,
        description:
          description.length > MAX_DESCRIPTION_CHARS
            ? `${description.slice(0, MAX_DESCRIPTION_CHARS - 1)}…`
            : description,
        parameters: { type: 'object', ...parameters },
      },
      tool,
    });
  }
  return [...offered.values()];
}

/** What the servers are resolved and their failures redacted with. */
export interface McpContext extends ServerContext {
  readonly redact: Redact;
}

/**
 * The running server of `spec` (started if need be). A server that cannot be started here fails the activity
 * for good with MCP_UNAVAILABLE and a message naming the server, how it is started and what it said on stderr.
 */
export async function connectServer(pool: McpPool, spec: McpServerSpec, ctx: McpContext): Promise<McpConnection> {
  let server: ResolvedServer | undefined;
  try {
    server = resolveServer(spec, ctx);
    return await pool.connection(server);
  } catch (err) {
    throw unavailable(spec, server, err, ctx.redact);
  }
}

/** The tool definitions of the goal's servers, in the spec's order. */
export async function mcpToolDefinitions(
  pool: McpPool,
  servers: readonly McpServerSpec[],
  ctx: McpContext,
): Promise<ToolDefinition[]> {
  const lists = await Promise.all(
    servers.map(async (spec) => {
      const connection = await connectServer(pool, spec, ctx);
      try {
        return await offeredTools(connection);
      } catch (err) {
        throw unavailable(spec, connection.server, err, ctx.redact, connection.stderrTail());
      }
    }),
  );
  return lists.flat().map((t) => t.definition);
}

const MAX_STDERR_IN_MESSAGE = 800;
/** The whole message (it goes to status, Slack and workflow history). */
const MAX_MESSAGE_CHARS = 1500;

/** The non-retryable failure of a server that cannot be started (or listed), with what it wrote to stderr last. */
export function unavailable(
  spec: McpServerSpec,
  server: ResolvedServer | undefined,
  err: unknown,
  redact: Redact,
  stderr?: string,
): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof McpServerUnavailableError) {
    return ApplicationFailure.create({ type: MCP_UNAVAILABLE, nonRetryable: true, message: redact(err.message) });
  }
  const how = server?.display ?? spec.command ?? spec.url ?? '';
  const why = err instanceof Error ? err.message : String(err);
  const tail = (err instanceof McpStartError ? err.stderrTail : (stderr ?? ''))
    .slice(-MAX_STDERR_IN_MESSAGE)
    .trim()
    .replace(/\s*\n\s*/g, ' | ');
  const what = spec.url !== undefined ? `cannot be reached (${how})` : `cannot start (command: ${how})`;
  const message = `MCP server "${spec.name}" ${what}: ${why}${tail ? `; its stderr ends: ${tail}` : ''}`;
  const short = message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : message;
  return ApplicationFailure.create({ type: MCP_UNAVAILABLE, nonRetryable: true, message: redact(short) });
}
