/**
 * The MCP tools that steer a running goal, each the same operation as its CLI command (client/steer.ts): guide_goal,
 * ask_goal, pause_goal, resume_goal, edit_goal, cancel_goal.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { MAX_QUESTION_CHARS } from '../../goal/messages';
import { cancelGoal } from '../goals';
import { editFromText } from '../spec-input';
import { askGoal, editGoal, GoalEndedError, guideGoal, pauseGoal, resumeGoal } from '../steer';
import type { McpContext } from './context';
import { goalIdArg } from './goal-tools';
import { guarded, toolResult } from './results';

export function registerSteerTools(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'guide_goal',
    {
      title: 'Guide a goal',
      description:
        "Guidance for the goal's agent: delivered at its next turn and kept in its brief (the last 10). " +
        'Fire-and-forget; the goal keeps running.',
      inputSchema: { goalId: goalIdArg, text: z.string().describe('what the agent should know or try') },
      annotations: { destructiveHint: false, openWorldHint: false },
    },
    ({ goalId, text }) =>
      guarded('guide_goal', ctx.log, async () => {
        await guideGoal(await ctx.client(), goalId, text);
        return toolResult(`${goalId}: guidance sent; the agent gets it at its next turn`, { goalId, sent: true });
      }),
  );

  server.registerTool(
    'ask_goal',
    {
      title: 'Ask about a goal',
      description:
        "A side question about a running goal, answered by Longhaul's model from a snapshot of the goal and its " +
        'recent transcript. It never changes the run (no tools, not in the transcript); takes one model call.',
      inputSchema: {
        goalId: goalIdArg,
        question: z.string().max(MAX_QUESTION_CHARS).describe('e.g. "what is it trying now, and why?"'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ goalId, question }) =>
      guarded('ask_goal', ctx.log, async () => {
        const r = await askGoal(await ctx.client(), goalId, question);
        return toolResult(r.answer, { goalId, ...r });
      }),
  );

  server.registerTool(
    'pause_goal',
    {
      title: 'Pause a goal',
      description:
        'Pause at the next turn boundary: the running tool call finishes, then no model call until resume_goal. ' +
        'Idempotent; paused time does not count toward the hours budget.',
      inputSchema: { goalId: goalIdArg, reason: z.string().optional().describe('why (shown in its status)') },
      annotations: { destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ goalId, reason }) =>
      guarded('pause_goal', ctx.log, async () => {
        const r = await pauseGoal(await ctx.client(), goalId, reason);
        return toolResult(`${goalId}: paused (after turn ${r.turn}); resume_goal continues it`, { goalId, ...r });
      }),
  );

  server.registerTool(
    'resume_goal',
    {
      title: 'Resume a goal',
      description: 'Resume a paused goal where it stopped; the agent is told it was paused.',
      inputSchema: { goalId: goalIdArg },
      annotations: { destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ goalId }) =>
      guarded('resume_goal', ctx.log, async () => {
        const r = await resumeGoal(await ctx.client(), goalId);
        return toolResult(`${goalId}: resumed at turn ${r.turn}`, { goalId, ...r });
      }),
  );

  server.registerTool(
    'edit_goal',
    {
      title: 'Edit a running goal',
      description:
        'Change a running goal, as `longhaul edit --file` does. The edit is YAML or JSON text with any of: ' +
        'objective, guidance, targets ({ metric_name: { relative: -0.4 } | { absolute: 2.5 } }), metrics (replaces ' +
        'the list), checks, checklist, editable (globs), budget ({ maxTurns, maxTokens, maxHours, maxCostUsd }), ' +
        'reason. Validated first: a bad edit is refused with every problem named and changes nothing. A good one ' +
        'returns the new goal version and applies at the next turn boundary; the agent is told.',
      inputSchema: {
        goalId: goalIdArg,
        edit: z.string().describe('the edit as YAML or JSON, e.g. {"targets": {"build_seconds": {"relative": -0.4}}}'),
      },
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    ({ goalId, edit }) =>
      guarded('edit_goal', ctx.log, async () => {
        const parsed = editFromText(edit);
        const r = await editGoal(await ctx.client(), goalId, parsed);
        return toolResult(
          `${goalId}: edit accepted as goal version ${r.goalVersion}, applies at the next turn boundary\n` +
            r.changes.map((c) => `  - ${c}`).join('\n'),
          { goalId, ...r },
        );
      }),
  );

  server.registerTool(
    'cancel_goal',
    {
      title: 'Cancel a goal',
      description:
        'Cancel a goal: its current activity is cancelled and it records `cancelled`. The workspace, its goal branch ' +
        'and the goal store are kept. Cannot be undone (start a new goal instead).',
      inputSchema: { goalId: goalIdArg },
      annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ goalId }) =>
      guarded('cancel_goal', ctx.log, async () => {
        const client = await ctx.client();
        // Temporal answers a cancel of an ended goal with "not found": say that it has ended instead.
        const { status } = await client.workflow.getHandle(goalId).describe();
        if (status.name !== 'RUNNING') throw new GoalEndedError(goalId, status.name);
        await cancelGoal(client, goalId);
        return toolResult(`cancellation requested for ${goalId}; goal_status shows it as cancelled once it has ended`, {
          goalId,
          cancelRequested: true,
        });
      }),
  );
}
