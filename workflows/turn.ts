/** One model turn and its tool calls. */
import { ActivityFailure, isCancellation, setCurrentDetails } from '@temporalio/workflow';
import { renderBrief } from '../goal/brief';
import type { GoalRun } from '../goal/run';
import type { Acts } from './proxies';
import { publish } from './publish';

/** One model turn and its tool calls; returns whether the agent claimed to be done. */
export async function turn(run: GoalRun, acts: Acts): Promise<boolean> {
  const n = run.beginTurn();
  const { goalId } = run.state;
  const workspace = run.spec.workspace;
  publish(run);
  const notes = run.takeNotes();
  const result = await acts.model.modelTurn.executeWithOptions({ summary: `turn ${n} · model` }, [
    {
      goalId,
      workspace,
      turn: n,
      brief: renderBrief(run, Date.now()),
      ...(run.spec.plan !== undefined ? { plan: run.spec.plan } : {}),
      notes,
      model: run.spec.model,
    },
  ]);
  run.recordModelTurn(result.usage, result.calls.length, Date.now());
  let claimedDone = false;
  for (const call of result.calls) {
    setCurrentDetails(`**Turn ${n}**: ${call.summary}`);
    try {
      const r = await acts.work.executeTool.executeWithOptions({ summary: `turn ${n} · ${call.summary}` }, [
        { goalId, workspace, turn: n, callId: call.callId },
      ]);
      if (r.doneClaim) claimedDone = true;
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
      run.note(`The tool call ${call.summary} could not be executed: ${failureMessage(err)}`);
    }
  }
  return claimedDone;
}

function failureMessage(err: ActivityFailure): string {
  return err.cause?.message ?? err.message;
}
