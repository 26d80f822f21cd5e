/**
 * One call of an MCP tool the model made (`<server>__<tool>`): the server started if need be, the call made with
 * the server's timeout, and the result turned into what the model sees, cut and stored as a shell output is. A call
 * the server stopped during is thrown (retryable: the retry starts the server again); a server that cannot start
 * fails the call for good (MCP_UNAVAILABLE); the rest (a bad call, a tool's error, a timeout) is an error result.
 */
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { parseMcpToolName, type McpServerSpec } from '../../../goal/mcp';
import { abortError, fitOutput, oneLine, type ToolRunResult } from '../dispatch';
import type { McpPool } from './pool';
import { connectServer, offeredTools, unavailable, type McpContext } from './tools';

export interface McpCallInput extends McpContext {
  /** The goal's servers (the spec's `mcp`). */
  readonly servers: readonly McpServerSpec[];
  /** The tool name as the model gave it, `<server>__<tool>`. */
  readonly name: string;
  /** The raw JSON arguments as the model produced them (may be malformed). */
  readonly arguments: string;
  readonly signal?: AbortSignal;
  /** The server reported progress (e.g. to heartbeat). */
  readonly onProgress?: () => void;
  readonly maxOutputChars: number;
  readonly storeFullOutput: (text: string) => Promise<string>;
}

const MAX_SUMMARY_CHARS = 200;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export async function runMcpTool(pool: McpPool, input: McpCallInput): Promise<ToolRunResult> {
  const result = await runUnredacted(pool, input);
  return { ...result, summary: input.redact(result.summary) };
}

async function runUnredacted(pool: McpPool, input: McpCallInput): Promise<ToolRunResult> {
  const { name } = input;
  const errorResult = async (output: string, summary: string): Promise<ToolRunResult> => ({
    ...(await fitOutput(output, input)),
    isError: true,
    summary: oneLine(summary, MAX_SUMMARY_CHARS),
  });
  const parsed = parseMcpToolName(name);
  const spec = parsed && input.servers.find((s) => s.name === parsed.server);
  if (!parsed || !spec) {
    const names = input.servers.map((s) => s.name).join(', ');
    return errorResult(
      `${name} is not a tool of this goal's MCP servers (${names}): call one of the tools offered, named SERVER__TOOL.`,
      `${name}: no such MCP tool`,
    );
  }
  const args = parseArguments(input.arguments);
  if (typeof args === 'string') return errorResult(`The arguments for ${name} ${args}.`, `${name}: bad arguments`);

  if (input.signal?.aborted) throw abortError(input.signal);
  const connection = await connectServer(pool, spec, input);
  let tools;
  try {
    tools = await offeredTools(connection);
  } catch (err) {
    if (connection.closed) throw stoppedDuring(spec, name, err, connection.stderrTail(), input);
    throw unavailable(spec, connection.server, err, input.redact, connection.stderrTail());
  }
  const offered = tools.find((t) => t.definition.name === name);
  if (!offered) {
    return errorResult(
      `MCP server "${spec.name}" has no tool ${name}; its tools are: ${tools.map((t) => t.definition.name).join(', ') || '(none)'}.`,
      `${name}: no such tool on ${spec.name}`,
    );
  }
  const started = Date.now();
  let result: CallToolResult;
  try {
    result = await connection.call(offered.tool.name, args, {
      ...(input.signal ? { signal: input.signal } : {}),
      ...(input.onProgress ? { onProgress: input.onProgress } : {}),
    });
  } catch (err) {
    if (input.signal?.aborted) throw abortError(input.signal);
    if (err instanceof McpError && err.code === (ErrorCode.RequestTimeout as number)) {
      const timeout = connection.server.timeoutMs;
      return errorResult(
        `[Timed out after ${seconds(timeout)}: the MCP server "${spec.name}" did not answer the call in time (its timeoutSeconds). ` +
          'The server was asked to cancel it; it may still have done part of the work.]',
        `${name} → timed out after ${seconds(timeout)}`,
      );
    }
    if (connection.closed || (err instanceof McpError && err.code === (ErrorCode.ConnectionClosed as number))) {
      throw stoppedDuring(spec, name, err, connection.stderrTail(), input);
    }
    const why = err instanceof Error ? err.message : String(err);
    return errorResult(`${name} failed: ${why}`, `${name} → error: ${why}`);
  }
  const took = seconds(Date.now() - started);
  return {
    ...(await fitOutput(resultText(result), input)),
    isError: result.isError === true,
    summary: oneLine(`${name} → ${result.isError === true ? 'error' : 'ok'} (${took})`, MAX_SUMMARY_CHARS),
  };
}

/** The parsed arguments, or what is wrong with them (to finish "The arguments for X …"). */
function parseArguments(raw: string): Record<string, unknown> | string {
  const text = raw.trim();
  let json: unknown;
  try {
    json = text === '' ? {} : JSON.parse(text);
  } catch (err) {
    return `are not valid JSON (${err instanceof Error ? err.message : String(err)}): send one JSON object with the fields of the tool's schema`;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return "must be a JSON object with the fields of the tool's schema";
  }
  return json as Record<string, unknown>;
}

/** The server exited during the call: thrown as retryable, so the call's retry starts it again. */
function stoppedDuring(spec: McpServerSpec, name: string, err: unknown, stderr: string, input: McpCallInput): Error {
  const why = err instanceof Error ? err.message : String(err);
  const tail = stderr.slice(-800);
  return new Error(
    input.redact(
      `MCP server "${spec.name}" stopped during the call ${name} (${why})${tail ? `; its stderr ends: ${tail}` : ''}`,
    ),
  );
}

/** A tool result as text: its text parts, what the others are, or its structured content. */
export function resultText(result: CallToolResult): string {
  const parts = (result.content ?? []).map((c) => {
    switch (c.type) {
      case 'text':
        return c.text;
      case 'image':
      case 'audio':
        return `[${c.type} ${c.mimeType}, ${Math.round((c.data.length * 3) / 4)} bytes: not shown]`;
      case 'resource':
        return 'text' in c.resource
          ? c.resource.text
          : `[resource ${c.resource.uri}${c.resource.mimeType ? ` (${c.resource.mimeType})` : ''}: binary, not shown]`;
      case 'resource_link':
        return `[resource ${c.uri}${c.name ? ` (${c.name})` : ''}]`;
      default:
        return `[${(c as { type: string }).type} content: not shown]`;
    }
  });
  if (parts.length === 0 && result.structuredContent !== undefined) {
    return JSON.stringify(result.structuredContent, null, 2);
  }
  const text = parts.join('\n');
  return text === '' ? '(no output)' : text;
}
