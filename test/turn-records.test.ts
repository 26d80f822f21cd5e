/**
 * The worker's cache of turn records (activities/store/turn-records.ts): a turn reads from the store only what was
 * written since the last one, never a stale or missing record, within its bounds. Over the file store; the version
 * it checks against is part of both stores' contract (test/helpers/store-contract.ts).
 */
import { buildContext, type ContextInput } from '../activities/agent/context';
import { FileGoalStore } from '../activities/store/files';
import { CachedTurnRecords } from '../activities/store/turn-records';
import type { GoalStore } from '../activities/store/types';
import { tempDirsRemovedAfterAll } from './helpers/temp-dirs';
import { assistant, call, result, storedTurn, user } from './helpers/store-contract';

const tempDir = tempDirsRemovedAfterAll('longhaul-records-');

/** A file store that counts the records read from it. */
function counting(store: GoalStore): { store: GoalStore; reads: () => number } {
  let reads = 0;
  const counted = new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (prop === 'readTurn' || prop === 'readToolResult') reads++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: counted, reads: () => reads };
}

function input(goalId: string, turn: number): ContextInput {
  return { goalId, workspace: '/nowhere', turn, brief: 'Objective: x', notes: [], maxTranscriptChars: 1_000_000 };
}

function texts(items: Awaited<ReturnType<typeof buildContext>>['items']): string[] {
  return items.map((i) => (i.type === 'message' ? i.text : i.type === 'tool_call' ? i.callId : i.output));
}

describe('CachedTurnRecords', () => {
  test('the next turn reads only the records written since the last; the context is the same as without the cache', async () => {
    const home = tempDir();
    const { store, reads } = counting(new FileGoalStore(home));
    const records = new CachedTurnRecords(store);
    for (let t = 1; t <= 5; t++) {
      await store.writeTurn('g', storedTurn(t, [assistant(`turn ${t}`), call(`c${t}`)], [user(`note ${t}`)]));
      await store.writeToolResult('g', t, result(`c${t}`, `out ${t}`));
    }
    const cached = await buildContext(store, input('g', 6), records);
    expect(reads()).toBe(10); // five turns and five results, read once
    expect(cached).toEqual(await buildContext(new FileGoalStore(home), input('g', 6)));

    await store.writeTurn('g', storedTurn(6, [assistant('turn 6'), call('c6')]));
    await store.writeToolResult('g', 6, result('c6', 'out 6'));
    const before = reads();
    const next = await buildContext(store, input('g', 7), records);
    expect(reads() - before).toBe(2); // only turn 6 and its result
    expect(texts(next.items)).toContain('out 6');
  });

  test('a turn appended or written again by another worker on the same store is seen', async () => {
    const home = tempDir();
    const records = new CachedTurnRecords(new FileGoalStore(home));
    const other = new FileGoalStore(home); // another worker process over the same folder
    await other.writeTurn('g', storedTurn(1, [assistant('first attempt')]));
    expect(texts((await buildContext(other, input('g', 2), records)).items)).toContain('first attempt');

    await other.writeTurn('g', storedTurn(1, [assistant('second attempt')])); // a retry, a reset or a reused id
    await other.writeTurn('g', storedTurn(2, [assistant('turn 2 elsewhere')]));
    const items = texts((await buildContext(other, input('g', 3), records)).items);
    expect(items).toContain('second attempt');
    expect(items).not.toContain('first attempt');
    expect(items).toContain('turn 2 elsewhere');
  });

  test('a tool result not stored yet is not cached: once written, it is read', async () => {
    const home = tempDir();
    const store = new FileGoalStore(home);
    const records = new CachedTurnRecords(store);
    await store.writeTurn('g', storedTurn(1, [call('c1')]));
    expect(texts((await buildContext(store, input('g', 2), records)).items).join('\n')).toContain(
      'this tool call was not executed',
    );
    await store.writeToolResult('g', 1, result('c1', 'late output'));
    expect(texts((await buildContext(store, input('g', 2), records)).items)).toContain('late output');
  });

  test("a goal's records are evicted oldest first beyond its share, and goals beyond the total cap", async () => {
    const store = new FileGoalStore(tempDir());
    const big = 'x'.repeat(10_000); // about 20 kB a turn as counted
    const records = new CachedTurnRecords(store, { maxGoalBytes: 50_000, maxBytes: 120_000 });
    for (let t = 1; t <= 6; t++) await store.writeTurn('a', storedTurn(t, [assistant(`${t} ${big}`)]));
    const built = await buildContext(store, input('a', 7), records);
    expect(built.items.filter((i) => i.type === 'message' && i.text.endsWith(big))).toHaveLength(6); // all served
    expect(records.entries('a')).toBe(2); // but only the newest two kept within 50 kB
    expect(records.bytes).toBeLessThanOrEqual(50_000);

    for (const g of ['b', 'c', 'd']) {
      for (let t = 1; t <= 2; t++) await store.writeTurn(g, storedTurn(t, [assistant(`${g}${t} ${big}`)]));
      await buildContext(store, input(g, 3), records);
    }
    expect(records.bytes).toBeLessThanOrEqual(120_000);
    expect(records.entries('a')).toBe(0); // the goal read least recently went first
    expect(records.entries('d')).toBe(2);

    records.forget('d');
    expect(records.entries('d')).toBe(0);
    for (const g of ['a', 'b', 'c']) records.forget(g);
    expect(records.bytes).toBe(0); // the total follows every eviction
  });

  test('a goal idle for longer than idleMs is dropped', async () => {
    let now = 1_000;
    const store = new FileGoalStore(tempDir());
    const records = new CachedTurnRecords(store, { idleMs: 60_000, clock: { now: () => now } });
    await store.writeTurn('g', storedTurn(1, [assistant('hi')]));
    await buildContext(store, input('g', 2), records);
    now += 59_000;
    expect(records.entries('g')).toBe(1);
    await buildContext(store, input('g', 2), records); // read again: idle from now on
    now += 59_000;
    expect(records.entries('g')).toBe(1);
    now += 2_000;
    expect(records.entries('g')).toBe(0);
  });

  test('bounds that cannot hold a goal are refused with the fix', () => {
    expect(() => new CachedTurnRecords(new FileGoalStore(tempDir()), { maxGoalBytes: 10, maxBytes: 5 })).toThrow(
      /maxGoalBytes \(10\) must be > 0 and at most maxBytes \(5\)/,
    );
  });
});
