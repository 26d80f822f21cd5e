/** Mirrors the goal's state into the Temporal UI: search attributes and the current details. */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { renderDetails } from '../goal/details';
import type { GoalRun } from '../goal/run';
import { LonghaulPhase, LonghaulProgress, LonghaulStatus, LonghaulTurns } from '../goal/search-attributes';

/** The search attributes last upserted for each run: an unchanged set is not upserted again (each is a history event). */
const published = new WeakMap<GoalRun, string>();

/** Mirrors the goal's state into search attributes for the Temporal UI and `longhaul list`, and into current details. */
export function publish(run: GoalRun): void {
  const attributes = [
    { key: LonghaulStatus, value: run.state.status },
    { key: LonghaulPhase, value: run.state.phase },
    { key: LonghaulProgress, value: run.progress() },
    { key: LonghaulTurns, value: run.state.turn },
  ];
  const key = JSON.stringify(attributes.map((a) => a.value));
  if (published.get(run) !== key) {
    upsertSearchAttributes(attributes);
    published.set(run, key);
  }
  if (run.state.phase !== 'baseline') setCurrentDetails(renderDetails(run, Date.now()));
}
