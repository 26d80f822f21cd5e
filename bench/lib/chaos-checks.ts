/**
 * What the chaos run asserts once every goal has ended, each as a count of problems (0 passes) with the examples
 * that explain a non-zero count: statuses, model turns, tool calls, edits and guidance, Slack, milestones, secrets.
 * Pure over the evidence the run gathered (the fake model's log, calls.log, statuses, Slack, git), so a failing
 * run can be re-checked from what it left behind.
 */
import type { GoalOutcome } from '../../goal/status';
import type { GoalStatusView } from '../../goal/status';
import type { FakeMessage } from '../../test/fakes/slack-server';
import type { ChaosGoalScript, TurnRequest } from './chaos-model';
import { callLine } from './chaos-model';

/** A steering message the run sent and Temporal accepted. */
export interface Sent {
  readonly kind: 'edit' | 'guidance';
  readonly goal: string;
  /** Unique text: the guidance itself, or the edit's reason (the agent's note quotes it). */
  readonly marker: string;
  /** Date.now() when the send returned. */
  readonly at: number;
}

/** Everything gathered about one goal after it ended. */
export interface GoalEvidence {
  readonly goal: ChaosGoalScript;
  readonly expected: GoalOutcome['status'];
  readonly outcome: GoalOutcome;
  readonly status: GoalStatusView;
  /** calls.log of the workspace. */
  readonly callsLog: string;
  /** The goal's Slack thread parents (exactly one expected) and the replies under the first. */
  readonly slackParents: readonly FakeMessage[];
  readonly slackReplies: readonly FakeMessage[];
  /** Milestone commits on the goal branch. */
  readonly milestoneCommits: number;
}

/** Moments something died: worker SIGKILLs and server stops (Date.now()). */
export interface Faults {
  readonly kills: readonly number[];
  readonly serverStops: readonly number[];
}

export interface CheckResult {
  readonly figures: {
    readonly turns: number;
    /** Turn requests beyond one per turn: model calls asked again because one was in flight at a crash. */
    readonly modelTurnsAskedAgain: number;
    readonly toolCalls: number;
    /** Tool calls that ran more than once, each in flight at a kill or server stop. */
    readonly toolCallsReExecuted: number;
    readonly editsApplied: number;
    readonly guidanceDelivered: number;
    readonly slackEvents: number;
    readonly milestones: number;
  };
  /** Problem counts by kind; every one must be 0. */
  readonly problems: {
    readonly wrongStatus: number;
    readonly turnsMissing: number;
    readonly modelTurnsAskedAgainWithoutFault: number;
    readonly toolCallsLost: number;
    readonly duplicateSideEffects: number;
    readonly editsLost: number;
    readonly editsDuplicated: number;
    readonly guidanceLost: number;
    readonly guidanceDuplicated: number;
    readonly slackDuplicates: number;
    readonly slackMissing: number;
    readonly milestoneMismatch: number;
  };
  /** A line per problem found, for the report (the first few of each kind). */
  readonly details: string[];
}

/** Whether a crash (kill or server stop) happened in [from, to] (ms, with slack for clock granularity). */
function faultBetween(f: Faults, from: number, to: number): boolean {
  return [...f.kills, ...f.serverStops].some((t) => t >= from - 50 && t <= to + 50);
}

export function checkChaos(
  evidence: readonly GoalEvidence[],
  turns: readonly TurnRequest[],
  sent: readonly Sent[],
  faults: Faults,
): CheckResult {
  const details: string[] = [];
  const problem = (text: string) => {
    if (details.length < 60) details.push(text);
  };
  const p = {
    wrongStatus: 0,
    turnsMissing: 0,
    modelTurnsAskedAgainWithoutFault: 0,
    toolCallsLost: 0,
    duplicateSideEffects: 0,
    editsLost: 0,
    editsDuplicated: 0,
    guidanceLost: 0,
    guidanceDuplicated: 0,
    slackDuplicates: 0,
    slackMissing: 0,
    milestoneMismatch: 0,
  };
  const f = {
    turns: 0,
    modelTurnsAskedAgain: 0,
    toolCalls: 0,
    toolCallsReExecuted: 0,
    editsApplied: 0,
    guidanceDelivered: 0,
    slackEvents: 0,
    milestones: 0,
  };

  for (const e of evidence) {
    const g = e.goal;
    if (e.outcome.status !== e.expected || e.outcome.turns !== g.turns) {
      p.wrongStatus += 1;
      problem(
        `${g.id}: ended ${e.outcome.status} after ${e.outcome.turns} turns; expected ${e.expected} after ${g.turns}`,
      );
    }
    f.turns += e.outcome.turns;

    // Model turns: each asked at least once; asked again only across a crash.
    const mine = turns.filter((t) => t.goal === g.id);
    for (let n = 1; n <= e.outcome.turns; n++) {
      const asks = mine.filter((t) => t.turn === n);
      if (asks.length === 0) {
        p.turnsMissing += 1;
        problem(`${g.id}: turn ${n} never reached the model`);
      } else if (asks.length > 1) {
        f.modelTurnsAskedAgain += asks.length - 1;
        if (!faultBetween(faults, asks[0]!.at, asks.at(-1)!.at)) {
          p.modelTurnsAskedAgainWithoutFault += 1;
          problem(`${g.id}: turn ${n} asked ${asks.length} times with no crash in between`);
        }
      }
    }

    // Tool calls: each turn's line at least once; a repeat only across a crash (the call in flight then).
    const lines = new Map<string, number[]>();
    for (const raw of e.callsLog.split('\n').filter(Boolean)) {
      const m = /^(.*) (\d+)$/.exec(raw);
      if (!m) continue;
      const list = lines.get(m[1]!) ?? [];
      list.push(Number(BigInt(m[2]!) / 1_000_000n));
      lines.set(m[1]!, list);
    }
    for (let n = 1; n <= e.outcome.turns; n++) {
      const runs = lines.get(callLine(g, n)) ?? [];
      f.toolCalls += runs.length > 0 ? 1 : 0;
      if (runs.length === 0) {
        p.toolCallsLost += 1;
        problem(`${g.id}: the tool call of turn ${n} never ran`);
      } else if (runs.length > 1) {
        f.toolCallsReExecuted += runs.length - 1;
        for (let i = 1; i < runs.length; i++) {
          if (!faultBetween(faults, runs[i - 1]!, runs[i]!)) {
            p.duplicateSideEffects += 1;
            problem(`${g.id}: the tool call of turn ${n} ran again with no crash in between (${runs.join(', ')})`);
          }
        }
      }
    }

    // Edits and guidance: each accepted message in the new notes of exactly one turn.
    const notedIn = (marker: string) => new Set(mine.filter((t) => t.newNotes.includes(marker)).map((t) => t.turn));
    for (const s of sent.filter((x) => x.goal === g.id)) {
      const at = [...notedIn(s.marker)];
      const lost = s.kind === 'edit' ? 'editsLost' : 'guidanceLost';
      const dup = s.kind === 'edit' ? 'editsDuplicated' : 'guidanceDuplicated';
      if (at.length === 0) {
        p[lost] += 1;
        problem(`${g.id}: ${s.kind} "${s.marker}" (sent ${new Date(s.at).toISOString()}) never reached the model`);
      } else if (at.length > 1) {
        p[dup] += 1;
        problem(`${g.id}: ${s.kind} "${s.marker}" reached the model as new in turns ${at.join(', ')}`);
      } else if (s.kind === 'edit') f.editsApplied += 1;
      else f.guidanceDelivered += 1;
      if (s.kind === 'edit') {
        const applied = e.status.history.filter((h) => h.reason === s.marker);
        if (applied.length !== 1) {
          p[applied.length === 0 ? lost : dup] += 1;
          problem(`${g.id}: edit "${s.marker}" is in the goal's history ${applied.length} times`);
        }
      }
    }
    const versions = e.status.history.map((h) => h.version);
    if (new Set(versions).size !== versions.length) {
      p.editsDuplicated += 1;
      problem(`${g.id}: goal versions repeat in the history: ${versions.join(', ')}`);
    }

    // Slack: one parent; each significant event's reply once.
    if (e.slackParents.length !== 1) {
      p.slackDuplicates += Math.max(0, e.slackParents.length - 1);
      p.slackMissing += e.slackParents.length === 0 ? 1 : 0;
      problem(`${g.id}: ${e.slackParents.length} Slack thread parents`);
    }
    const keys = e.slackReplies.map((r) => String(r.metadata?.event_payload.key));
    f.slackEvents += keys.length;
    const dupKeys = keys.filter((k, i) => keys.indexOf(k) !== i);
    if (dupKeys.length > 0) {
      p.slackDuplicates += dupKeys.length;
      problem(`${g.id}: Slack events posted more than once: ${[...new Set(dupKeys)].join(', ')}`);
    }
    for (const ev of e.status.events.filter((x) => x.kind !== undefined)) {
      if (!keys.includes(`ev-${ev.seq}`)) {
        p.slackMissing += 1;
        problem(`${g.id}: Slack event ev-${ev.seq} (${ev.kind}: ${ev.text}) was not posted`);
      }
    }

    // Milestones: as many commits on the goal branch as the goal counted.
    f.milestones += e.milestoneCommits;
    if (e.milestoneCommits !== e.status.milestones.count) {
      p.milestoneMismatch += 1;
      problem(`${g.id}: ${e.milestoneCommits} milestone commits, the goal counted ${e.status.milestones.count}`);
    }
  }
  return { figures: f, problems: p, details };
}
