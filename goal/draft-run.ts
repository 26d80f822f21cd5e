/**
 * The draft as an entity: its state and the rules that move it (rounds of model turns, idle turns, proposals sent
 * back when their metric does not parse, revisions), what the `draft` query shows and what the model is told. Pure
 * and deterministic, so the draft workflow only orchestrates and this is testable without Temporal. The state is
 * plain JSON.
 */
import {
  draftWarnings,
  type DraftInput,
  type DraftMeasurement,
  type DraftPhase,
  type DraftProposal,
  type DraftView,
} from './draft';
import type { ToolControl } from './tools';

/** Model turns without any tool call before a round gives up (the model is not going to propose). */
export const MAX_IDLE_TURNS = 2;
/** A proposal whose metric does not parse goes back to the model this many times per round. */
export const MAX_REMEASURES = 2;
/** Events the `draft` query shows (the newest); the state keeps them all. */
export const MAX_VIEW_EVENTS = 50;
/** Longest revision kept; longer text is cut. */
export const MAX_REVISION_CHARS = 20_000;

/** @see DraftInput.maxTurns */
const DEFAULT_MAX_TURNS = 12;
/** @see DraftInput.reviseWindowHours */
const DEFAULT_REVISE_WINDOW_HOURS = 24;

/** What the model is told after a turn without a tool call. */
export const PROPOSE_NUDGE =
  'Call propose_goal with the spec YAML and the plan once you know how to measure the request.';

/** Tool results that show the draft's read-only rule at work. */
const REFUSAL = /^(refused|wrote to the throw-away copy)/;

/** One round: model turns toward a proposal, for the request (the first round) or a revision. */
export interface DraftRound {
  /** Orchestrator messages for the model's next turn. */
  notes: string[];
  /** Model turns taken in this round. */
  turns: number;
  /** Consecutive turns without a tool call. */
  idle: number;
  /** Proposals sent back because a metric gave no number. */
  remeasured: number;
  /** The spec and plan the model proposed in its latest turn, until measured. */
  proposed: { specYaml: string; plan: string } | null;
  /** The round's latest measured proposal. */
  last: DraftProposal | null;
  /** No more turns: a proposal measured cleanly (or the re-measures ran out), or the model stayed idle. */
  over: boolean;
}

/** Everything the draft workflow carries; JSON-plain. */
export interface DraftState {
  draftId: string;
  workspace: string;
  /** Model turns per round. */
  maxTurns: number;
  /** How long the draft waits for a revision before it closes. */
  reviseWindowHours: number;
  phase: DraftPhase;
  /** Model turns so far, all rounds. */
  turn: number;
  /** The request, then each revision in order. */
  requests: string[];
  /** The latest proposal the user was shown (a round's, once the round ends). */
  proposal: DraftProposal | null;
  events: string[];
  refusals: string[];
  /** Why there is no proposal, else null. */
  reason: string | null;
  /** Revisions received and not yet taken up by a round. */
  revisions: string[];
  /** The user closed the draft. */
  closed: boolean;
  /** The round under way; null between rounds. */
  round: DraftRound | null;
  /** What the Temporal UI shows: the latest event with the phase and turn it happened in; null before the first. */
  details: string | null;
}

/** What one model turn of the draft is given. */
export interface DraftTurn {
  readonly turn: number;
  /** The request and its revisions, as the model reads them. */
  readonly brief: string;
  readonly notes: string[];
}

export class DraftRun {
  constructor(readonly state: DraftState) {}

  /** A new draft, its first round (the request) about to start. */
  static create(draftId: string, input: DraftInput): DraftRun {
    return new DraftRun({
      draftId,
      workspace: input.workspace,
      maxTurns: input.maxTurns ?? DEFAULT_MAX_TURNS,
      reviseWindowHours: input.reviseWindowHours ?? DEFAULT_REVISE_WINDOW_HOURS,
      phase: 'exploring',
      turn: 0,
      requests: [input.request],
      proposal: null,
      events: [],
      refusals: [],
      reason: null,
      revisions: [],
      closed: false,
      round: newRound([`The user's request: ${input.request}`]),
      details: null,
    });
  }

  /** The `draft` query's answer. */
  view(): DraftView {
    const s = this.state;
    return {
      draftId: s.draftId,
      workspace: s.workspace,
      phase: s.phase,
      turn: s.turn,
      requests: [...s.requests],
      proposal: s.proposal,
      events: s.events.slice(-MAX_VIEW_EVENTS),
      eventsTotal: s.events.length,
      refusals: [...s.refusals],
      reason: s.reason,
    };
  }

  /** The request and its revisions, as the model reads them. */
  brief(): string {
    return this.state.requests.map((r, i) => (i === 0 ? r : `Revision ${i}: ${r}`)).join('\n');
  }

  /** The round's next model turn (counted, its notes handed over), or null when the round is over. */
  nextTurn(): DraftTurn | null {
    const round = this.state.round;
    if (!round || round.over || round.turns >= this.state.maxTurns) return null;
    round.turns += 1;
    const turn = ++this.state.turn;
    const notes = round.notes;
    round.notes = [];
    return { turn, brief: this.brief(), notes };
  }

  /**
   * After a model turn: true when it called tools (run them, then `recordToolResult` each). A turn without one is
   * idle: the model is nudged to propose, and after MAX_IDLE_TURNS in a row the round gives up.
   */
  recordModelTurn(toolCalls: number): boolean {
    const round = this.currentRound();
    round.proposed = null;
    if (toolCalls > 0) {
      round.idle = 0;
      return true;
    }
    round.idle += 1;
    if (round.idle >= MAX_IDLE_TURNS) round.over = true;
    else round.notes = [PROPOSE_NUDGE];
    return false;
  }

  /** A tool call's result: an event, a refusal when the read-only rule acted, the proposal when it is one. */
  recordToolResult(summary: string, control?: ToolControl): void {
    this.note(summary);
    if (REFUSAL.test(summary)) this.state.refusals.push(summary);
    if (control?.kind === 'proposal') this.currentRound().proposed = { specYaml: control.specYaml, plan: control.plan };
  }

  /** The spec to measure when the turn proposed one (the draft is then measuring), else null. */
  startMeasuring(): string | null {
    const proposed = this.state.round?.proposed;
    if (!proposed) return null;
    this.state.phase = 'measuring';
    return proposed.specYaml;
  }

  /**
   * The orchestrator's measurement of the proposal: the round's proposal, with its warnings. One whose metric gave
   * no number goes back to the model (up to MAX_REMEASURES times); otherwise the round is over.
   */
  recordMeasurement(measurement: DraftMeasurement): void {
    const round = this.currentRound();
    const proposed = round.proposed;
    if (!proposed) throw new Error('recordMeasurement: the turn proposed nothing to measure');
    round.proposed = null;
    round.last = {
      version: (this.state.proposal?.version ?? 0) + 1,
      specYaml: proposed.specYaml,
      plan: proposed.plan,
      measurement,
      warnings: draftWarnings(measurement),
    };
    const broken = measurement.metrics.filter((m) => m.error !== null || m.values.length === 0);
    if (broken.length === 0 || round.remeasured >= MAX_REMEASURES) {
      round.over = true;
      return;
    }
    round.remeasured += 1;
    this.state.phase = 'exploring';
    round.notes = [
      `The orchestrator measured your proposal: ${broken.map((m) => `metric ${m.name} gave no number (${m.error ?? 'no sample parsed'})`).join('; ')}. Fix the spec and call propose_goal again.`,
    ];
  }

  /** The round is over: its latest proposal is shown, or the draft says why there is none. */
  endRound(): void {
    const last = this.currentRound().last;
    this.state.round = null;
    if (!last) {
      this.state.reason = `no proposal after ${this.state.turn} turn(s): the model did not call propose_goal with a valid spec`;
      this.state.phase = 'no_proposal';
      return;
    }
    this.state.proposal = last;
    this.state.phase = 'proposed';
    this.state.reason = null;
    this.note(`proposal ${last.version}${last.warnings.length ? ` with ${last.warnings.length} warning(s)` : ''}`);
  }

  /**
   * The round stopped on a failure (the model unreachable or refusing the key, a measurement that kept failing): said,
   * and the draft stays open for a revision; a proposal measured in this round is not shown.
   */
  stopRound(why: string): void {
    this.state.round = null;
    this.state.reason = `stopped: ${why}`;
    this.state.phase = 'no_proposal';
  }

  /** Signal `revise`: kept for the next round (blank text is ignored, long text cut). */
  revise(text: string): void {
    const t = String(text ?? '').trim();
    if (t) this.state.revisions.push(t.slice(0, MAX_REVISION_CHARS));
  }

  /** Signal `close`. */
  close(): void {
    this.state.closed = true;
  }

  /** What ends the wait after a round: a revision or the user closing the draft. */
  get revisedOrClosed(): boolean {
    return this.state.revisions.length > 0 || this.state.closed;
  }

  get closed(): boolean {
    return this.state.closed;
  }

  /** How long the draft waits for a revision after a round (a Temporal duration). */
  get reviseWindow(): `${number} hours` {
    return `${this.state.reviseWindowHours} hours`;
  }

  /** The revisions received become the requests' latest and start the next round, which tells the model of them. */
  startRevision(): void {
    const revisions = this.state.revisions.splice(0);
    this.state.requests.push(...revisions);
    this.state.phase = 'exploring';
    this.state.round = newRound(
      revisions.map((r) => `The user revises the request: ${r}\nUpdate the proposal and call propose_goal again.`),
    );
  }

  /** The draft is over (closed, or the revise window passed). */
  finish(): void {
    this.state.phase = 'closed';
  }

  private currentRound(): DraftRound {
    const round = this.state.round;
    if (!round) throw new Error('the draft has no round under way');
    return round;
  }

  private note(text: string): void {
    this.state.events.push(text);
    this.state.details = `**Draft** (${this.state.phase}, turn ${this.state.turn}): ${text}`;
  }
}

function newRound(notes: string[]): DraftRound {
  return { notes, turns: 0, idle: 0, remeasured: 0, proposed: null, last: null, over: false };
}
