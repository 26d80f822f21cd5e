/**
 * The draft workflow: a short, read-only agent run that explores a workspace (in a throw-away copy) and proposes a
 * goal spec; the orchestrator measures the proposal's baseline and noise itself, and the user sees it with any
 * warning. The draft then waits for follow-ups (`revise`) that update the same draft, until the user closes it or
 * the revise window passes. Durable and visible in the Temporal UI like a goal.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  closeDraftSignal,
  draftQuery,
  draftWarnings,
  reviseSignal,
  type DraftInput,
  type DraftPhase,
  type DraftProposal,
  type DraftView,
} from '../goal/draft';
import { hostQueue } from '../goal/placement';
import { goalActivities } from './proxies';

/** Model turns without any tool call before a round gives up (the model is not going to propose). */
const MAX_IDLE_TURNS = 2;
/** A proposal whose metric does not parse goes back to the model this many times per round. */
const MAX_REMEASURES = 2;

/** How long a draft's activity waits for its host's worker before the draft gives up (someone is waiting). */
const HOST_WAIT_MS = 300_000;

/**
 * The goal's activity proxies and retry policies; a draft's model calls give up sooner (someone is waiting). With a
 * host, everything runs there (the workspace is there); a lost host ends the draft with what to do.
 */
function draftActivities(input: DraftInput) {
  const host = input.host;
  if (!host) return goalActivities(30_000, 8);
  return goalActivities(30_000, 8, {
    queue: () => hostQueue(workflowInfo().taskQueue, host),
    workspace: () => input.workspace,
    waitMs: HOST_WAIT_MS,
    lost: () =>
      Promise.reject(
        ApplicationFailure.nonRetryable(
          `no worker of host "${host}" took the draft's work within ${HOST_WAIT_MS / 60_000} minutes: start \`longhaul worker\` there (LONGHAUL_HOST=${host})`,
        ),
      ),
  });
}

export async function draftWorkflow(input: DraftInput): Promise<DraftView> {
  const draftId = workflowInfo().workflowId;
  const { model, work } = draftActivities(input);
  const state = {
    phase: 'exploring' as DraftPhase,
    turn: 0,
    requests: [input.request],
    proposal: null as DraftProposal | null,
    events: [] as string[],
    refusals: [] as string[],
    reason: null as string | null,
    pending: [] as string[],
    closed: false,
  };
  const view = (): DraftView => ({
    draftId,
    workspace: input.workspace,
    phase: state.phase,
    turn: state.turn,
    requests: [...state.requests],
    proposal: state.proposal,
    events: state.events.slice(-50),
    eventsTotal: state.events.length,
    refusals: [...state.refusals],
    reason: state.reason,
  });
  const note = (text: string) => {
    state.events.push(text);
    setCurrentDetails(`**Draft** (${state.phase}, turn ${state.turn}): ${text}`);
  };
  setHandler(draftQuery, view);
  setHandler(reviseSignal, (text: string) => {
    const t = String(text ?? '').trim();
    if (t) state.pending.push(t.slice(0, 20_000));
  });
  setHandler(closeDraftSignal, () => {
    state.closed = true;
  });

  const copy = await work.prepareDraftCopy.executeWithOptions({ summary: 'copy the workspace (throw-away)' }, [
    { draftId, workspace: input.workspace },
  ]);
  let notes = [`The user's request: ${input.request}`];
  for (;;) {
    state.phase = 'exploring';
    let proposal: DraftProposal | null = null;
    try {
      proposal = await round(notes);
    } catch (err) {
      // The model unreachable or refusing the key, a measurement that kept failing: said, and the draft stays open.
      if (!(err instanceof ActivityFailure)) throw err;
      state.reason = `stopped: ${err.cause?.message ?? err.message}`;
    }
    if (proposal) {
      state.proposal = proposal;
      state.phase = 'proposed';
      state.reason = null;
      note(
        `proposal ${proposal.version}${proposal.warnings.length ? ` with ${proposal.warnings.length} warning(s)` : ''}`,
      );
    } else {
      state.phase = 'no_proposal';
    }
    const hours = input.reviseWindowHours ?? 24;
    const asked = await condition(() => state.pending.length > 0 || state.closed, `${hours} hours`);
    if (!asked || state.closed) break;
    const revisions = state.pending.splice(0);
    state.requests.push(...revisions);
    notes = revisions.map(
      (r) => `The user revises the request: ${r}\nUpdate the proposal and call propose_goal again.`,
    );
  }
  state.phase = 'closed';
  await work.removeDraftCopies.executeWithOptions({ summary: 'remove the throw-away copies' }, [{ draftId }]);
  return view();

  /** Turns until a proposal measures cleanly (or the round's turns run out); null when there is none. */
  async function round(first: string[]): Promise<DraftProposal | null> {
    let pending = first;
    let idle = 0;
    let remeasured = 0;
    let last: DraftProposal | null = null;
    for (let t = 0; t < (input.maxTurns ?? 12); t++) {
      const n = ++state.turn;
      const result = await model.modelTurn.executeWithOptions({ summary: `draft turn ${n} · model` }, [
        {
          goalId: draftId,
          workspace: copy,
          turn: n,
          brief: state.requests.map((r, i) => (i === 0 ? r : `Revision ${i}: ${r}`)).join('\n'),
          notes: pending,
          model: input.model ?? {},
          mode: 'draft' as const,
        },
      ]);
      pending = [];
      if (result.calls.length === 0) {
        if (++idle >= MAX_IDLE_TURNS) break;
        pending = ['Call propose_goal with the spec YAML and the plan once you know how to measure the request.'];
        continue;
      }
      idle = 0;
      let proposed: { specYaml: string; plan: string } | null = null;
      for (const call of result.calls) {
        const r = await work.executeTool.executeWithOptions({ summary: `draft turn ${n} · ${call.summary}` }, [
          { goalId: draftId, workspace: copy, turn: n, callId: call.callId, mode: 'draft' as const },
        ]);
        note(r.summary);
        if (/^(refused|wrote to the throw-away copy)/.test(r.summary)) state.refusals.push(r.summary);
        if (r.control?.kind === 'proposal') proposed = r.control;
      }
      if (!proposed) continue;
      state.phase = 'measuring';
      const measurement = await work.measureDraft.executeWithOptions({ summary: 'measure the proposal' }, [
        { draftId, workspace: input.workspace, specYaml: proposed.specYaml },
      ]);
      last = {
        version: (state.proposal?.version ?? 0) + 1,
        specYaml: proposed.specYaml,
        plan: proposed.plan,
        measurement,
        warnings: draftWarnings(measurement),
      };
      const broken = measurement.metrics.filter((m) => m.error !== null || m.values.length === 0);
      if (broken.length === 0 || remeasured >= MAX_REMEASURES) return last;
      remeasured += 1;
      state.phase = 'exploring';
      pending = [
        `The orchestrator measured your proposal: ${broken.map((m) => `metric ${m.name} gave no number (${m.error ?? 'no sample parsed'})`).join('; ')}. Fix the spec and call propose_goal again.`,
      ];
    }
    if (!last) {
      state.reason = `no proposal after ${state.turn} turn(s): the model did not call propose_goal with a valid spec`;
    }
    return last;
  }
}
