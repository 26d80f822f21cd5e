/**
 * The physical limit of the goal loop: the same activity functions and the same domain rules (GoalRun), called one
 * after the other in this process, with no Temporal in between.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { renderBrief, renderGoal, renderTurnState } from '../../goal/brief';
import { GoalRun } from '../../goal/run';
import type { GoalSpec } from '../../goal/spec';
import { tempDir } from '../../test/helpers/workspace';

export interface InProcessLoop {
  /** Runs `turns` turns of the loop (model call, then each tool call). */
  turns(turns: number): Promise<void>;
  /** How long each activity call took (ms), by activity name. */
  readonly durations: Record<'modelTurn' | 'executeTool', number[]>;
}

/** Sets up a goal as the workflow's baseline does (workspace, protected paths, metrics), ready to run turns. */
export async function inProcessLoop(spec: GoalSpec, goalId: string, modelUrl: string): Promise<InProcessLoop> {
  const acts = createActivities({
    home: tempDir('longhaul-bench-home-'),
    openai: { apiKey: 'sk-bench', baseURL: modelUrl },
    defaultModel: 'fake-model',
    defaultApi: 'responses',
  });
  const mock = new MockActivityEnvironment({ heartbeatTimeoutMs: 30_000 });
  const env = {
    run: <I, O>(fn: (input: I) => Promise<O>, input: I): Promise<O> =>
      mock.run<[I], O, (input: I) => Promise<O>>(fn, input),
  };
  const workspace = spec.workspace;
  const run = GoalRun.create(goalId, spec, Date.now());
  const ws = await env.run(acts.prepareWorkspace, { goalId, workspace });
  if (ws.startCommit) run.setStartCommit(ws.startCommit);
  const guard = await env.run(acts.protectWorkspace, {
    goalId,
    workspace,
    protect: spec.protect,
    commands: spec.metrics.map((m) => m.command),
  });
  run.setProtectedFiles(guard.files);
  const metrics = [];
  for (const metric of spec.metrics) {
    metrics.push(await env.run(acts.measureMetric, { goalId, workspace, metric, label: 'baseline' }));
  }
  run.recordBaseline(metrics, [], ws.fingerprint, Date.now());

  const durations: InProcessLoop['durations'] = { modelTurn: [], executeTool: [] };
  const timed = async <T>(name: keyof typeof durations, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      durations[name].push(performance.now() - started);
    }
  };
  return {
    durations,
    async turns(count: number) {
      for (let i = 0; i < count; i++) {
        const n = run.beginTurn();
        const input = {
          goalId,
          workspace,
          turn: n,
          brief: renderBrief(run, Date.now()),
          goal: renderGoal(run),
          state: renderTurnState(run, Date.now()),
          ...(spec.plan !== undefined ? { plan: spec.plan } : {}),
          notes: run.takeNotes(),
          model: spec.model,
          contextWindow: run.modelInfo().contextWindow,
          compactAt: spec.model.compactAt,
        };
        // As the workflow does (workflows/turn.ts): a turn that asks to compact first gets its compaction, then again.
        let result = await timed('modelTurn', () => env.run(acts.modelTurn, { ...input, compaction: 'separate' }));
        let compacted: 'context_full' | 'context_length' | undefined;
        while ('compactFirst' in result) {
          const { reason, keepChars } = result.compactFirst;
          const c = await timed('modelTurn', () => env.run(acts.compactContext, { ...input, reason, keepChars }));
          if (c) run.recordCompaction(c.through, c.usage, Date.now());
          compacted = reason;
          const again = { ...input, compaction: 'separate' as const, compacted };
          result = await timed('modelTurn', () => env.run(acts.modelTurn, again));
        }
        run.recordModelTurn(result.usage, result.calls.length, Date.now(), result.model);
        for (const call of result.calls) {
          const r = await timed('executeTool', () =>
            env.run(acts.executeTool, { goalId, workspace, turn: n, callId: call.callId }),
          );
          run.recordToolOutcome({ sig: r.sig, summary: call.summary, failed: r.isError }, Date.now());
        }
        run.endTurn(Date.now());
      }
    },
  };
}
