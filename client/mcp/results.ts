/** Tool results of the MCP server: a short text for the model, structured content for programs, errors as tool errors. */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** A successful result: `text` is what a model reads; `structured` (a JSON object) what a program reads. */
export function toolResult(text: string, structured?: object): CallToolResult {
  return {
    content: [{ type: 'text', text }],
    ...(structured ? { structuredContent: { ...structured } } : {}),
  };
}

/**
 * A failure as a tool error (isError: true), so the calling model reads why and how to fix it. The text is the
 * error's message, the same as the CLI prints after "longhaul: " (a refused spec, an edit the goal rejected, a goal
 * that has ended); an unknown goal id names the tool that lists them.
 */
export function toolError(err: unknown): CallToolResult {
  const text =
    err instanceof WorkflowNotFoundError
      ? `no goal with that id (${err.message}): see list_goals`
      : err instanceof Error
        ? err.message
        : String(err);
  return { content: [{ type: 'text', text }], isError: true };
}

/** Runs a tool's body, turning a thrown error into a tool error and logging it (on stderr) for the operator. */
export async function guarded(
  tool: string,
  log: (text: string) => void,
  body: () => Promise<CallToolResult>,
): Promise<CallToolResult> {
  try {
    return await body();
  } catch (err) {
    const result = toolError(err);
    const first = result.content[0];
    log(`longhaul mcp: ${tool} failed: ${first?.type === 'text' ? first.text.split('\n')[0] : 'error'}`);
    return result;
  }
}
