/** One tool call of a turn: a quick one as a local activity where the goal allows it, any other as a regular one. */
import { isCancellation, patched, TemporalFailure } from '@temporalio/workflow';
import type { ExecuteToolInput, ExecuteToolResult } from '../activities/tools/execute';
import { QUICK_TOOLS, type ToolName } from '../goal/tools';
import { PATCHES } from './patches';
import type { Acts } from './proxies';

/**
 * Runs the call `input` names (the tool `name`) with the activity summary `summary`. A quick tool (goal/tools.ts) runs
 * as a local activity when the goal has no host elsewhere (`acts.local`): inside the workflow task, one server round
 * trip less. Should the local activity fail for any reason but cancellation (its short timeout on a huge search, a
 * worker hiccup), the regular activity runs the call: executeTool returns a result already stored as is, so a call
 * is never run twice once it has a result. A tool's own failure is a result (isError), not a failure, and never
 * falls back.
 */
export async function executeToolCall(
  acts: Acts,
  name: string,
  summary: string,
  input: ExecuteToolInput,
): Promise<ExecuteToolResult> {
  if (acts.local && QUICK_TOOLS.includes(name as ToolName) && patched(PATCHES.quickToolsLocal.id)) {
    try {
      return await acts.local.executeTool.executeWithOptions({ summary }, [input]);
    } catch (err) {
      // A local activity's failure is its cause itself (an ApplicationFailure, a TimeoutFailure), not an ActivityFailure.
      if (isCancellation(err) || !(err instanceof TemporalFailure)) throw err;
    }
  }
  return acts.work.executeTool.executeWithOptions({ summary }, [input]);
}
