/**
 * The worker-side half of "a worker refuses goals whose store it cannot see": every activity of a goal carries the
 * id of the goal store its baseline wrote to (`storeId`, stamped by workflows/proxies.ts), and a worker whose own
 * store has another id refuses it before doing anything (a non-retryable GoalStoreMismatch; the goal ends blocked
 * with the fix), instead of reading an empty transcript or writing a goal's records into the wrong store.
 */
import { goalNotInStore } from './missing';
import type { GoalStore } from './types';

type Activity = (input: never) => Promise<unknown>;

/** Wraps each activity so an input stamped with another store's id is refused. */
export function checkingStore<T extends Record<string, Activity>>(store: GoalStore, activities: T): T {
  let own: Promise<string> | undefined;
  const ownId = () => (own ??= store.storeId()); // the id never changes: read once per worker
  const wrapped: Record<string, Activity> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (input: never) => {
      const stamp = stampOf(input);
      if (stamp && stamp.storeId !== (await ownId())) {
        throw await goalNotInStore(store, stamp.goalId, `the goal's records are in goal store ${stamp.storeId}`);
      }
      return fn(input);
    };
  }
  return wrapped as T;
}

function stampOf(input: unknown): { storeId: string; goalId: string } | null {
  if (typeof input !== 'object' || input === null) return null;
  const { storeId, goalId } = input as { storeId?: unknown; goalId?: unknown };
  if (typeof storeId !== 'string') return null;
  return { storeId, goalId: typeof goalId === 'string' ? goalId : '(unknown)' };
}
