/** The MCP tools that start goals and read them: start_goal, goal_status, list_goals. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { GOAL_STATUSES } from '../../goal/status';
import { formatList, formatStatus } from '../format';
import { goalStatus, listGoals } from '../goals';
import type { McpContext } from './context';
import { guarded, toolResult } from './results';
import { startGoalFromRequest } from './start';

export const goalIdArg = z.string().min(1).describe('the goal id start_goal returned (or one from list_goals)');

export function startGoalArgs(cwd: string) {
  return {
    spec: z
      .string()
      .optional()
      .describe(
        'the goal spec as YAML or JSON text: objective, workspace (a git repository), and at least one metric, check ' +
          'or checklist item; optional guidance, plan, protect, budget, model, git, … (`longhaul init` writes an ' +
          `example with every field). A relative workspace is resolved against this server's working directory, ` +
          `${cwd}: give an absolute path when in doubt.`,
      ),
    specFile: z
      .string()
      .optional()
      .describe(
        'instead of spec: the path of a spec file, e.g. the goal.yaml `longhaul draft` wrote (relative to ' +
          `${cwd}); a relative workspace in it is taken from the file's folder, as \`longhaul start FILE\` does`,
      ),
    goalId: z.string().min(1).optional().describe('the goal id (default: made from the objective)'),
    host: z
      .string()
      .optional()
      .describe("the worker host that has the workspace (default LONGHAUL_HOST, else this machine's name)"),
    anyHost: z
      .boolean()
      .optional()
      .describe('no host: any worker may run it (one worker, or workspaces on a shared file system)'),
  };
}

export function registerGoalTools(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'start_goal',
    {
      title: 'Start a Longhaul goal',
      description:
        'Hand a long, verifiable coding goal to Longhaul: a durable agent works on it in the workspace until the ' +
        'orchestrator itself verifies the exit criteria (metrics, checks, checklist), the budget runs out, or it is ' +
        'cancelled — minutes to days, surviving restarts. Returns at once with the goal id; check on it later with ' +
        'goal_status. A spec that does not validate is refused with every bad field named and the fix, and nothing ' +
        'starts. Give the spec as text (spec) or as a file path (specFile), not both.',
      inputSchema: startGoalArgs(ctx.cwd),
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (args) =>
      guarded('start_goal', ctx.log, async () => {
        const started = await startGoalFromRequest(ctx, args);
        const { text, ...structured } = started;
        return toolResult(text, structured);
      }),
  );

  server.registerTool(
    'goal_status',
    {
      title: "A goal's status",
      description:
        "A goal's status: running or its final status (achieved, budget_exhausted, stalled, blocked, cancelled, " +
        'failed), phase, turn, each metric (baseline, latest, best, target, verdict), checks, budget used vs limits, ' +
        'what needs attention, the latest events. Goals take minutes to days: call it now and then, not in a loop.',
      inputSchema: { goalId: goalIdArg },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ goalId }) =>
      guarded('goal_status', ctx.log, async () => {
        const status = await goalStatus(await ctx.client(), goalId);
        return toolResult(formatStatus(status, { events: 5 }), status);
      }),
  );

  server.registerTool(
    'list_goals',
    {
      title: 'List Longhaul goals',
      description: 'Goals newest first, with status, phase, turns, progress (0–1 toward the target) and objective.',
      inputSchema: {
        status: z.enum(GOAL_STATUSES).optional().describe('only goals with this status'),
        limit: z.number().int().min(1).max(500).optional().describe('at most this many (default 50)'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ status, limit }) =>
      guarded('list_goals', ctx.log, async () => {
        const goals = await listGoals(await ctx.client(), {
          limit: limit ?? 50,
          ...(status ? { status } : {}),
        });
        return toolResult(formatList(goals), { goals });
      }),
  );
}
