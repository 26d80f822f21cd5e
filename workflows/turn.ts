/** One model turn and its tool calls, with the model's outages waited out durably. */
import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  patched,
  setCurrentDetails,
  sleep,
} from '@temporalio/workflow';
import { renderBrief, renderGoal, renderTurnState } from '../goal/brief';
import { PERMANENT_FAILURES } from '../goal/failures';
import { allowEnvOf } from '../goal/spec';
import { sandboxInputOf } from '../goal/sandbox';
import { MCP_UNAVAILABLE, mcpInputOf, mcpTurnInputOf } from '../goal/mcp';
import type { GoalRun } from '../goal/run';
import { READ_ONLY_TOOLS, type ToolName } from '../goal/tools';
import type { CompactionReason, ModelTurnResult } from '../activities/agent/turn';
import type { Acts } from './proxies';
import { executeToolCall } from './tool-call';
import { PATCHES } from './patches';
import { publish } from './visibility';

/** How the workflow rides out a model outage once the activity's own retries are exhausted. */
export interface OutagePolicy {
  /** Between attempts after the activity gave up. */
  readonly retryMs: number;
  /** An outage this long ends the goal `blocked`. */
  readonly maxMs: number;
}

export interface TurnResult {
  /** The agent called `done`: the orchestrator verifies even if no file changed. */
  readonly claimedDone: boolean;
  /** A call may have changed the workspace (anything but the read-only tools). */
  readonly mayHaveChanged: boolean;
}

/** One model turn and its tool calls. */
export async function turn(
  run: GoalRun,
  acts: Acts,
  outage: OutagePolicy,
  /** How the turn is named in events, e.g. "clean-up turn 1 of 3"; default "turn N". */
  label?: string,
): Promise<TurnResult> {
  const n = run.beginTurn();
  const { goalId } = run.state;
  publish(run);
  const notes = run.takeNotes();
  const input = {
    goalId,
    workspace: run.spec.workspace,
    turn: n,
    // The whole brief for activity code from before the cache-friendly layout, and its two parts for today's.
    brief: renderBrief(run, Date.now()),
    goal: renderGoal(run),
    state: renderTurnState(run, Date.now()),
    ...(run.spec.plan !== undefined ? { plan: run.spec.plan } : {}),
    notes,
    model: run.spec.model,
    contextWindow: run.modelInfo().contextWindow,
    compactAt: run.spec.model.compactAt,
    ...mcpTurnInputOf(run.spec),
  };
  const summary = `turn ${n} · model`;
  let result: ModelTurnResult | undefined;
  let compacted: CompactionReason | undefined;
  while (!result) {
    const asked = await ridingOutages(run, outage, () =>
      acts.model.modelTurn.executeWithOptions({ summary }, [
        { ...input, compaction: 'separate', ...(compacted ? { compacted } : {}) },
      ]),
    );
    if (!asked) return { claimedDone: false, mayHaveChanged: false };
    if (!('compactFirst' in asked.value)) {
      result = asked.value;
      break;
    }
    // The oldest turns no longer fit (or the model refused the prompt): summarise them, then ask for the turn again.
    const { reason, keepChars } = asked.value.compactFirst;
    const compaction = await ridingOutages(run, outage, () =>
      acts.model.compactContext.executeWithOptions({ summary: `turn ${n} · compact context (${reason})` }, [
        { ...input, reason, keepChars },
      ]),
    );
    if (!compaction) return { claimedDone: false, mayHaveChanged: false };
    if (compaction.value) run.recordCompaction(compaction.value.through, compaction.value.usage, Date.now());
    compacted = reason;
  }
  if (result.compaction) run.recordCompaction(result.compaction.through, result.compaction.usage, Date.now());
  run.recordModelTurn(result.usage, result.calls.length, Date.now(), result.model, label);
  let claimedDone = false;
  let mayHaveChanged = false;
  let wait: { minutes: number; reason: string } | null = null;
  // The shell's environment, command policy and sandbox from the spec; absent from the input when the spec sets none.
  const security = {
    ...allowEnvOf(run.spec),
    ...(run.spec.commands ? { commands: run.spec.commands } : {}),
    ...sandboxInputOf(run.spec),
    ...mcpInputOf(run.spec),
  };
  for (const call of result.calls) {
    setCurrentDetails(`**Turn ${n}**: ${call.summary}`);
    if (!READ_ONLY_TOOLS.includes(call.name as ToolName)) mayHaveChanged = true;
    try {
      const r = await executeToolCall(acts, call.name, `turn ${n} · ${call.summary}`, {
        goalId,
        workspace: run.spec.workspace,
        turn: n,
        callId: call.callId,
        ...security,
      });
      run.recordToolOutcome({ sig: r.sig, summary: call.summary, failed: r.isError }, Date.now());
      if (r.refusedProtected) run.recordRefusal(r.refusedProtected, Date.now());
      const c = r.control;
      if (c?.kind === 'done') claimedDone = true;
      else if (c?.kind === 'progress') run.setFrontier(c);
      else if (c?.kind === 'blocked') run.declareBlocker(c.reason);
      else if (c?.kind === 'wait' && (!wait || c.minutes > wait.minutes)) wait = c;
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
      run.note(`The tool call ${call.summary} could not be executed: ${failureMessage(err)}`);
    }
  }
  run.endTurn(Date.now());
  if (wait) run.requestWait(wait.minutes, wait.reason, Date.now());
  return { claimedDone, mayHaveChanged };
}

/**
 * Runs a model activity until it answers, waiting out outages durably (the activity's own retries exhausted); null
 * once the outage has lasted so long that the goal is stopped `blocked`.
 */
async function ridingOutages<T>(
  run: GoalRun,
  outage: OutagePolicy,
  call: () => Promise<T>,
): Promise<{ value: T } | null> {
  for (;;) {
    try {
      const value = await call();
      run.mcpBack(Date.now());
      return { value };
    } catch (err) {
      if (mcpUnavailable(err)) {
        // Only the user can fix a server that does not start: the goal waits for them instead of spending turns.
        const every = `${Math.round(outage.retryMs / 60_000)} min`;
        run.mcpUnavailable(`${failureMessage(err)}. The goal waits and tries again every ${every}`, Date.now());
        const since = run.state.mcpDown?.since ?? Date.now();
        if (Date.now() - since >= outage.maxMs) {
          const hours = ((Date.now() - since) / 3_600_000).toFixed(1);
          run.stopWith('blocked', `an MCP server has not started for ${hours} hours: ${failureMessage(err)}`);
          return null;
        }
        publish(run);
        await sleep(outage.retryMs);
        continue;
      }
      // A model call cancelled with the goal is not an outage (the goal is ending; nothing to wait out or alert).
      if (!isOutage(err) || (isCancellation(err) && patched(PATCHES.cancelIsNotAnOutage.id))) throw err;
      run.modelOutage(failureMessage(err), Date.now());
      const since = run.state.outage?.since ?? Date.now();
      if (Date.now() - since >= outage.maxMs) {
        run.stopWith(
          'blocked',
          `the model has been unreachable for ${((Date.now() - since) / 3_600_000).toFixed(1)} hours: ${failureMessage(err)}`,
        );
        return null;
      }
      publish(run);
      await sleep(outage.retryMs);
    }
  }
}

/** A model activity failed because an MCP server of the spec cannot be started on the goal's host. */
function mcpUnavailable(err: unknown): err is ActivityFailure {
  return (
    err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === MCP_UNAVAILABLE
  );
}

/** A model failure that outlived the activity's retries (rate limits, 5xx, timeouts), not a permanent one. */
function isOutage(err: unknown): err is ActivityFailure {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  return !(cause instanceof ApplicationFailure && cause.type && PERMANENT_FAILURES.includes(cause.type));
}

function failureMessage(err: ActivityFailure): string {
  return err.cause?.message ?? err.message;
}
