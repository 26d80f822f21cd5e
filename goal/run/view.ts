/** The goal as others see it: the `status` view (ISO times, copies of the state's parts) and the final outcome. */
import type { GoalOutcome, GoalStatusView } from '../status';
import { hoursUsed } from './budget';
import { checkStatuses, metricStatuses, progress } from './criteria';
import type { GoalState } from './state';
import { isUnsandboxed } from '../sandbox';

/** Guidance entries shown in the view (the state keeps more). */
const GUIDANCE_SHOWN = 10;

const iso = (t: number) => new Date(t).toISOString();

export function view(s: GoalState, now: number): GoalStatusView {
  const b = s.spec.budget;
  return {
    goalId: s.goalId,
    objective: s.spec.objective,
    goalVersion: s.goalVersion,
    phase: s.phase,
    status: s.status,
    turn: s.turn,
    paused: s.paused !== null,
    metrics: metricStatuses(s),
    checks: checkStatuses(s),
    budget: {
      turns: { used: s.turn, limit: b.maxTurns },
      tokens: { used: s.tokens.total, limit: b.maxTokens ?? null },
      hours: { used: hoursUsed(s, now), limit: b.maxHours ?? null },
      cost: { used: s.costUsd, limit: b.maxCostUsd ?? null },
    },
    model: s.modelName ?? s.spec.model.name ?? null,
    sandbox: isUnsandboxed(s.spec) ? 'off' : 'on',
    frontier: s.frontier ? { ...s.frontier } : null,
    waitingUntil: s.waiting ? { until: iso(s.waiting.until), reason: s.waiting.reason } : null,
    attention: s.attention ? { at: iso(s.attention.at), text: s.attention.text } : null,
    promptCache: promptCache(s),
    context: { ...s.context },
    refreshes: s.refreshes,
    slack: { ...s.slack },
    milestones: { ...s.milestones },
    finalization: {
      reflection: s.finalization.reflection,
      cleanup: s.finalization.cleanup ? { ...s.finalization.cleanup } : null,
      push: s.finalization.push ? { ...s.finalization.push } : null,
      report: s.finalization.report ? { ...s.finalization.report } : null,
      ...(s.finalization.pullRequest ? { pullRequest: { ...s.finalization.pullRequest } } : {}),
    },
    progress: progress(s),
    lastEvent: s.lastEvent ? { at: iso(s.lastEvent.at), text: s.lastEvent.text } : null,
    events: s.events.map((e) => ({ seq: e.seq, at: iso(e.at), text: e.text, ...(e.kind ? { kind: e.kind } : {}) })),
    startedAt: iso(s.startedAt),
    endedAt: s.endedAt === null ? null : iso(s.endedAt),
    reason: s.reason,
    workspace: s.spec.workspace,
    startCommit: s.startCommit,
    pendingEdits: s.pendingEdits.map((p) => ({ version: p.version, at: iso(p.at) })),
    history: s.history.map((h) => ({ ...h, at: iso(h.at) })),
    guidance: s.guidance.slice(-GUIDANCE_SHOWN).map((g) => ({ ...g, at: iso(g.at) })),
    pausedSince: s.paused ? iso(s.paused.since) : null,
    asks: { ...s.asks },
    holdout: s.holdout.map((h) => ({ ...h })),
    checklist: s.checklist.map((c) => ({ ...c })),
    integrity: {
      protectedFiles: s.integrity.protectedFiles,
      violations: s.integrity.violations,
      last: s.integrity.last ? { ...s.integrity.last, at: iso(s.integrity.last.at) } : null,
      refusals: (s.integrity.refusals ?? []).map(({ path, reason, count }) => ({ path, reason, count })),
    },
    warnings: [...s.warnings],
    host: {
      name: s.host.name,
      lostSince: s.host.lostSince === null ? null : iso(s.host.lostSince),
      moving: s.host.move ? { host: s.host.move.host, workspace: s.host.move.workspace } : null,
      lastMove: s.host.lastMove ? { ...s.host.lastMove, at: iso(s.host.lastMove.at) } : null,
      moves: s.host.moves,
    },
  };
}

/** Input tokens and the share of them the provider served from its prompt cache. */
export function promptCache(s: GoalState): NonNullable<GoalStatusView['promptCache']> {
  const cached = s.tokens.cached ?? 0;
  return {
    inputTokens: s.tokens.input,
    cachedTokens: cached,
    hitPercent: s.tokens.input > 0 ? (100 * cached) / s.tokens.input : null,
  };
}

/** The workflow's result once the goal has ended; throws while it still runs. */
export function outcome(s: GoalState): GoalOutcome {
  if (s.status === 'running') throw new Error('outcome() of a goal that is still running');
  return {
    goalId: s.goalId,
    status: s.status,
    reason: s.reason ?? '',
    turns: s.turn,
    tokens: s.tokens.total,
    costUsd: s.costUsd,
    metrics: metricStatuses(s),
    checks: checkStatuses(s),
  };
}
