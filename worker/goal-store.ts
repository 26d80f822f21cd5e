/**
 * The worker's goal store, opened and checked at start-up: its id is read (a new store gets one), so a store the
 * worker cannot use stops it before it takes any goal, and the start-up line names the store and its id (workers
 * that share goals must show the same id).
 */
import { openGoalStore } from '../activities/store/open';
import type { GoalStore } from '../activities/store/types';
import type { WorkerConfig } from './config';

/** Thrown at start-up when the goal store cannot be read or written; says which store and what to check. */
export class GoalStoreUnavailableError extends Error {
  override readonly name = 'GoalStoreUnavailableError';
}

export interface CheckedGoalStore {
  readonly store: GoalStore;
  /** The store's id (GoalStore.storeId). */
  readonly storeId: string;
}

/** Opens the configured store and reads its id; closes it again and rejects when that fails. */
export async function openCheckedGoalStore(config: Pick<WorkerConfig, 'store' | 'home'>): Promise<CheckedGoalStore> {
  const store = openGoalStore(config.store, config.home);
  try {
    return { store, storeId: await store.storeId() };
  } catch (err) {
    await store.close().catch(() => undefined);
    const check =
      config.store.kind === 'postgres'
        ? 'check LONGHAUL_STORE_URL (and LONGHAUL_STORE_SCHEMA) and that the database is up'
        : 'check that LONGHAUL_HOME is a folder this user can write';
    throw new GoalStoreUnavailableError(
      `the goal store ${store.description} cannot be used: ${err instanceof Error ? err.message : String(err)}; ${check}`,
    );
  }
}
