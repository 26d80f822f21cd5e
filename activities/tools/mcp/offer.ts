/**
 * The tools of a goal's MCP servers for its model turn, on the goal's host: the servers resolved and sandboxed as
 * the tool calls will be (so the turn and the calls use the same running server), started if need be, listed.
 */
import type { McpTurnInput } from '../../../goal/mcp';
import type { AgentMode } from '../../../goal/tools';
import type { ToolDefinition } from '../../../goal/transcript';
import type { Redact } from '../../security/redact';
import type { GoalStore } from '../../store/types';
import { sandboxOf } from '../execute';
import type { McpPool } from './pool';
import { mcpToolDefinitions } from './tools';

export interface McpTurnTools {
  (
    input: McpTurnInput & { readonly goalId: string; readonly workspace: string; readonly mode?: AgentMode },
  ): Promise<ToolDefinition[]>;
}

export function mcpToolsOf(deps: {
  readonly pool: McpPool;
  readonly store: GoalStore;
  readonly home: string;
  readonly redact: Redact;
}): McpTurnTools {
  return async (input) => {
    if (!input.mcp || input.mcp.length === 0) return [];
    const sandbox = await sandboxOf(deps.store, deps.home, input);
    return mcpToolDefinitions(deps.pool, input.mcp, {
      workspace: input.workspace,
      ...(sandbox ? { sandbox } : {}),
      ...(input.allowEnv ? { allowEnv: input.allowEnv } : {}),
      redact: deps.redact,
    });
  };
}
