/**
 * The draft workflow: a short, read-only agent run that explores a workspace (in a throw-away copy) and proposes a
 * goal spec; the orchestrator measures the proposal's baseline and noise itself, and the user sees it with any
 * warning. The draft then waits for follow-ups (`revise`) that update the same draft, until the user closes it or
 * the revise window passes. Durable and visible in the Temporal UI like a goal. It only orchestrates: the rules live
 * in goal/draft-run.ts, every side effect is an activity.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { closeDraftSignal, draftQuery, reviseSignal, type DraftInput, type DraftView } from '../goal/draft';
import { DraftRun } from '../goal/draft-run';
import { hostQueue } from '../goal/placement';
import { DRAFT_TUNING } from '../goal/tuning';
import { goalActivities, type Placement } from './proxies';

type DraftActs = ReturnType<typeof draftProxies>;

/** The goal's activity proxies and retry policies; a draft's model calls give up sooner (someone is waiting). */
function draftProxies(placement?: Placement) {
  return goalActivities(DRAFT_TUNING.activities, placement);
}

/** With a host, everything runs there (the workspace is there); a lost host ends the draft with what to do. */
function draftActivities(input: DraftInput): DraftActs {
  const host = input.host;
  if (!host) return draftProxies();
  return draftProxies({
    queue: () => hostQueue(workflowInfo().taskQueue, host),
    workspace: () => input.workspace,
    waitMs: DRAFT_TUNING.hostWaitMs,
    lost: () =>
      Promise.reject(
        ApplicationFailure.nonRetryable(
          `no worker of host "${host}" took the draft's work within ${DRAFT_TUNING.hostWaitMs / 60_000} minutes: start \`longhaul worker\` there (LONGHAUL_HOST=${host})`,
        ),
      ),
  });
}

export async function draftWorkflow(input: DraftInput): Promise<DraftView> {
  const draft = DraftRun.create(workflowInfo().workflowId, input);
  const acts = draftActivities(input);
  setHandler(draftQuery, () => draft.view());
  setHandler(reviseSignal, (text: string) => draft.revise(text));
  setHandler(closeDraftSignal, () => draft.close());

  const { draftId, workspace } = draft.state;
  const copy = await acts.work.prepareDraftCopy.executeWithOptions({ summary: 'copy the workspace (throw-away)' }, [
    { draftId, workspace },
  ]);
  for (;;) {
    try {
      await round(draft, acts, input, copy);
      draft.endRound();
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      draft.stopRound(err.cause?.message ?? err.message);
    }
    publish(draft);
    const asked = await condition(() => draft.revisedOrClosed, draft.reviseWindow);
    if (!asked || draft.closed) break;
    draft.startRevision();
  }
  draft.finish();
  await acts.work.removeDraftCopies.executeWithOptions({ summary: 'remove the throw-away copies' }, [{ draftId }]);
  return draft.view();
}

/** The round's model turns, tool calls and measurements, until the entity says the round is over. */
async function round(draft: DraftRun, { model, work }: DraftActs, input: DraftInput, copy: string): Promise<void> {
  const { draftId, workspace } = draft.state;
  for (let next = draft.nextTurn(); next; next = draft.nextTurn()) {
    const n = next.turn;
    const result = await model.modelTurn.executeWithOptions({ summary: `draft turn ${n} · model` }, [
      {
        goalId: draftId,
        workspace: copy,
        turn: n,
        brief: next.brief,
        notes: next.notes,
        model: input.model ?? {},
        mode: 'draft' as const,
      },
    ]);
    // A draft's turns compact inline (its input does not ask for `separate`), so the turn never asks to compact first.
    if ('compactFirst' in result) throw ApplicationFailure.nonRetryable('a draft turn asked for compaction');
    if (!draft.recordModelTurn(result.calls.length)) continue;
    for (const call of result.calls) {
      const r = await work.executeTool.executeWithOptions({ summary: `draft turn ${n} · ${call.summary}` }, [
        { goalId: draftId, workspace: copy, turn: n, callId: call.callId, mode: 'draft' as const },
      ]);
      draft.recordToolResult(r.summary, r.control);
      publish(draft);
    }
    const specYaml = draft.startMeasuring();
    if (specYaml === null) continue;
    const measurement = await work.measureDraft.executeWithOptions({ summary: 'measure the proposal' }, [
      { draftId, workspace, specYaml },
    ]);
    draft.recordMeasurement(measurement);
  }
}

/** The draft's latest event in the Temporal UI. */
function publish(draft: DraftRun): void {
  if (draft.state.details !== null) setCurrentDetails(draft.state.details);
}
