/**
 * Every `patched()` name the workflows use, in one list: what the patch changed, and the replay fixtures
 * (test/fixtures/histories) recorded before it, which replay its old path. test/patches.test.ts checks that the
 * workflows call `patched()` with these names only and that each named fixture exists. A patch (and its old path)
 * may go once no running goal can be on the old path, with its fixtures re-recorded.
 */
export interface Patch {
  /** The name recorded in history: never change it. */
  readonly id: string;
  /** What runs recorded since the patch do differently. */
  readonly change: string;
  /** Fixtures recorded before the patch (they replay its old path), by workflow id. */
  readonly oldPathFixtures: readonly string[];
}

/** Fixtures recorded at ec440e6, before every patch below. */
const FIRST_RECORDING = ['budget-exhausted', 'continue-as-new', 'simple-achieved', 'steered'] as const;

export const PATCHES = {
  reporterHourlyTimer: {
    id: 'reporter-hourly-timer',
    change:
      'the reporter keeps one timer per hour, never cancelled (it cancelled and restarted a condition timeout at each wake, and a cancel of a fired timer strands the time-skipping server, sdk-java#3088)',
    oldPathFixtures: FIRST_RECORDING,
  },
  waitEndsByItsTimer: {
    id: 'wait-ends-by-its-timer',
    change:
      "the agent's wait ends on time by its timer alone (its predicate also read the clock, and could cancel a timer that had fired)",
    oldPathFixtures: [...FIRST_RECORDING, 'waited'],
  },
  historyBound2000: {
    id: 'history-bound-2000',
    change:
      'a goal whose start input sets no maxHistoryEvents continues as new at 2,000 events, not 10,000 (goal/tuning.ts); until then `startGoal` set 2,000 in the input, so no fixture (all started by it) takes the old path',
    oldPathFixtures: [],
  },
  quickToolsLocal: {
    id: 'quick-tools-local-activities',
    change:
      "a turn's quick tool calls (read_file, list_files, search and the control tools, goal/tools.ts QUICK_TOOLS) run as local activities when the goal has no host (workflows/tool-call.ts); they were regular activities",
    oldPathFixtures: ['compacted', 'waited'],
  },
  turnsAttributePerMinute: {
    id: 'turns-attribute-per-minute',
    change:
      'the LonghaulTurns search attribute, when it alone changed, is upserted at most once a minute (workflows/visibility.ts); it was upserted every turn, an event and a Temporal Cloud action each',
    oldPathFixtures: ['budget-exhausted', 'compacted', 'continue-as-new', 'simple-achieved', 'steered', 'waited'],
  },
  cancelIsNotAnOutage: {
    id: 'cancel-is-not-an-outage',
    change:
      'a model call cancelled with its goal ends the turn (it was taken for an outage: the goal alerted "the model is unreachable ()" and upserted its attention as it ended); no recorded goal was cancelled during a model call, so no fixture takes the old path',
    oldPathFixtures: [],
  },
} as const satisfies Record<string, Patch>;
