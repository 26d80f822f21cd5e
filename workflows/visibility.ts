/** Mirrors the goal's state into the Temporal UI: search attributes and the current details. */
import { patched, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { renderDetails } from '../goal/details';
import type { GoalRun } from '../goal/run';
import { LonghaulPhase, LonghaulProgress, LonghaulStatus, LonghaulTurns } from '../goal/search-attributes';
import { PATCHES } from './patches';

/** A change of the turn count alone is upserted at most this often (each upsert is a history event and an action). */
const TURNS_REFRESH_MS = 60_000;

/**
 * The search attributes last upserted for each run (all, and all but the turn count) and when: an unchanged set is
 * not upserted again (each upsert is a history event and a Temporal Cloud action).
 */
const published = new WeakMap<GoalRun, { key: string; rest: string; at: number }>();

/**
 * Mirrors the goal's state into search attributes for the Temporal UI and `longhaul list`, and into current details.
 * Status, phase and progress are upserted as they change; a turn count that alone changed, at most once a minute
 * (since the `turns-attribute-per-minute` patch: it was every turn), so `list` may show a turn count up to a minute
 * old while `status` (a query) is exact.
 */
export function publish(run: GoalRun): void {
  const attributes = [
    { key: LonghaulStatus, value: run.state.status },
    { key: LonghaulPhase, value: run.state.phase },
    { key: LonghaulProgress, value: run.progress() },
    { key: LonghaulTurns, value: run.state.turn },
  ];
  const values = attributes.map((a) => a.value);
  const key = JSON.stringify(values);
  const rest = JSON.stringify(values.slice(0, 3));
  const last = published.get(run);
  const now = Date.now();
  const turnsOnly = last !== undefined && last.rest === rest && now - last.at < TURNS_REFRESH_MS;
  if (last?.key !== key && !(turnsOnly && patched(PATCHES.turnsAttributePerMinute.id))) {
    upsertSearchAttributes(attributes);
    published.set(run, { key, rest, at: now });
  }
  if (run.state.phase !== 'baseline') setCurrentDetails(renderDetails(run, Date.now()));
}
