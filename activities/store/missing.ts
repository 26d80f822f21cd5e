/**
 * The refusal of a worker whose goal store lacks a record the goal wrote there earlier: the goal was started
 * against another goal store (a second `longhaul dev` with its own LONGHAUL_HOME attached to the first one's
 * server, or workers with different LONGHAUL_STORE_URLs on one task queue). Non-retryable: a retry on this worker
 * cannot find the record, and one that happened to land on the goal's own store would hide that the goal's data is
 * being split between two stores.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE } from '../../goal/failures';
import type { GoalStore } from './types';

/** The non-retryable failure (FAILURE.goalStoreMismatch) for `record` of `goalId` missing from `store`. */
export async function goalNotInStore(
  store: Pick<GoalStore, 'description' | 'storeId'>,
  goalId: string,
  record: string,
): Promise<ApplicationFailure> {
  const id = await store.storeId().catch(() => null); // the message matters more than the id
  return ApplicationFailure.create({
    type: FAILURE.goalStoreMismatch,
    nonRetryable: true,
    message:
      `this worker's goal store (${store.description}${id ? `, store id ${id}` : ''}) has no record of goal ${goalId} ` +
      `(${record}): the goal was started against another goal store (another LONGHAUL_HOME or LONGHAUL_STORE_URL), ` +
      'or its records were deleted. Run this worker with the same goal store as the one that started the goal, ' +
      'and stop workers with another store that poll the same Temporal server and task queue ' +
      '(each worker logs its goal store at start).',
  });
}
