/** Opens the goal store the worker's configuration names: files under LONGHAUL_HOME, or PostgreSQL. */
import { FileGoalStore } from './files';
import { PostgresGoalStore } from './postgres';
import type { GoalStore } from './types';

/** Which goal store a worker uses (worker/config.ts reads it from LONGHAUL_STORE_URL and LONGHAUL_STORE_SCHEMA). */
export type GoalStoreChoice =
  { readonly kind: 'files' } | { readonly kind: 'postgres'; readonly url: string; readonly schema?: string };

/** The store of `choice`; a file store lives under `home`. Close it when the worker stops. */
export function openGoalStore(choice: GoalStoreChoice, home: string): GoalStore {
  return choice.kind === 'postgres'
    ? new PostgresGoalStore({ url: choice.url, ...(choice.schema ? { schema: choice.schema } : {}) })
    : new FileGoalStore(home);
}
