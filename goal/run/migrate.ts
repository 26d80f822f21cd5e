/**
 * Carried state from older workers brought up to the current STATE_VERSION. A goal that continued-as-new on an
 * older worker starts its next run here; a state from a newer worker is refused rather than misread.
 */
import { newHostState } from '../placement';
import type { GoalSpec } from '../spec';
import { newWatchState } from '../watchdog';
import { goalBranch, noFinalization, noSlack, STATE_VERSION, uncheckedChecklist, type GoalState } from './state';

/** Fields added to version 1 while it was current: a v1 state from before each was added lacks it. */
export const LATE_V1_FIELDS = [
  'pendingEdits',
  'history',
  'guidance',
  'paused',
  'pausedMs',
  'asks',
  'events',
  'outbox',
  'modelName',
  'costUsd',
  'watch',
  'stop',
  'frontier',
  'waiting',
  'outage',
  'attention',
  'lastRefreshAt',
  'refreshes',
  'progressVersion',
  'slack',
  'finalization',
  'milestones',
  'context',
  'holdout',
  'checklist',
  'integrity',
  'baselineDir',
  'warnings',
  'host',
] as const satisfies readonly (keyof GoalState)[];

/** Fields that version 2 added: no version-1 state has them. */
type V2_FIELDS = 'storeId';

/** A version-1 state: today's fields, less those added late and in version 2, and a spec that may predate `git`. */
export type GoalStateV1 = Omit<GoalState, 'v' | 'spec' | V2_FIELDS | (typeof LATE_V1_FIELDS)[number]> &
  Partial<Pick<GoalState, (typeof LATE_V1_FIELDS)[number]>> & {
    v: 1;
    spec: Omit<GoalSpec, 'git'> & { git?: GoalSpec['git'] };
  };

/** Thrown when carried state has a version this worker does not know (a newer worker wrote it). */
export class UnknownStateVersionError extends Error {
  constructor(readonly version: unknown) {
    super(
      `the goal's carried state has version ${JSON.stringify(version)}, which this worker does not know (it reads versions 1 to ${STATE_VERSION}): run a worker at least as new as the one that wrote it`,
    );
    this.name = 'UnknownStateVersionError';
  }
}

/** The current state from carried state of any known version; throws UnknownStateVersionError otherwise. */
export function migrateState(state: unknown): GoalState {
  const version = typeof state === 'object' && state !== null ? (state as { v?: unknown }).v : undefined;
  if (version === STATE_VERSION) return withLateV2Fields(state as GoalState);
  if (version === 1) return withLateV2Fields(fromV1(state as GoalStateV1));
  throw new UnknownStateVersionError(version);
}

/** Fields added to version 2 while it is current get the value a new goal starts with: cached input tokens. */
function withLateV2Fields(state: GoalState): GoalState {
  const tokens = state.tokens as Omit<GoalState['tokens'], 'cached'> & { cached?: number };
  return tokens.cached === undefined ? { ...state, tokens: { ...tokens, cached: 0 } } : state;
}

/** Version 2 is version 1 with every late field present: each missing one gets the value a new goal starts with. */
function fromV1(state: GoalStateV1): GoalState {
  return {
    ...state,
    v: STATE_VERSION,
    spec: state.spec as GoalSpec,
    pendingEdits: state.pendingEdits ?? [],
    history: state.history ?? [],
    guidance: state.guidance ?? [],
    paused: state.paused ?? null,
    pausedMs: state.pausedMs ?? 0,
    asks: state.asks ?? { count: 0, tokens: 0 },
    events: state.events ?? [],
    outbox: state.outbox ?? [],
    modelName: state.modelName ?? null,
    costUsd: state.costUsd ?? 0,
    watch: state.watch ?? newWatchState(),
    stop: state.stop ?? null,
    frontier: state.frontier ?? null,
    waiting: state.waiting ?? null,
    outage: state.outage ?? null,
    attention: state.attention ?? null,
    lastRefreshAt: state.lastRefreshAt ?? null,
    refreshes: state.refreshes ?? 0,
    progressVersion: state.progressVersion ?? 0,
    slack: state.slack ?? noSlack(),
    finalization: state.finalization ?? noFinalization(),
    milestones: state.milestones ?? { branch: goalBranch(state.goalId, state.spec.git?.branch), last: null, count: 0 },
    context: state.context ?? { compactions: 0, summarisedThrough: 0, lastPromptTokens: 0 },
    holdout: state.holdout ?? state.spec.holdout.map((h) => ({ name: h.name, latest: null })),
    checklist: state.checklist ?? uncheckedChecklist(state.spec as GoalSpec),
    integrity: state.integrity ?? { protectedFiles: 0, violations: 0, last: null, refusals: [] },
    baselineDir: state.baselineDir ?? null,
    warnings: state.warnings ?? [],
    host: state.host ?? newHostState(null),
    storeId: null, // unknown: the goal predates the check, and its activities are not stamped
  };
}
