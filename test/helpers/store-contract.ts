/**
 * What every goal store does, whatever keeps the records (files, PostgreSQL): one suite, run against each
 * implementation by test/store-files.test.ts and test/store-postgres.test.ts. Each test uses goal ids of its own,
 * so stores that share a database (one schema per test file) do not see each other's tests.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ProtectedManifest } from '../../activities/security/protected-paths';
import {
  findToolCall,
  type GoalStore,
  type StoredAsk,
  type StoredToolResult,
  type StoredTurn,
} from '../../activities/store/types';
import type { MessageItem, TranscriptItem } from '../../goal/transcript';

export function user(text: string): MessageItem {
  return { type: 'message', role: 'user', text };
}

export function assistant(text: string): MessageItem {
  return { type: 'message', role: 'assistant', text };
}

export function call(callId: string, name = 'shell', args = '{"command":"ls"}'): TranscriptItem {
  return { type: 'tool_call', callId, name, arguments: args };
}

export function storedTurn(turn: number, output: TranscriptItem[], notes: MessageItem[] = []): StoredTurn {
  return {
    turn,
    notes,
    output,
    usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
    at: '2025-01-01T00:00:00.000Z',
  };
}

export function result(callId: string, output: string, isError = false): StoredToolResult {
  return { callId, name: 'shell', output, isError, summary: `shell: ${callId}` };
}

/** Text that trips up storage: a NUL (PostgreSQL text rejects it), other control characters, quotes, non-BMP. */
export const AWKWARD_TEXT = 'before\u0000after \u0001\u001f\t\r\n "quoted" \\u0000 \\ naïve 𝄞 emoji 🎯 end';

let run = 0;
const RUN = randomBytes(3).toString('hex');

/** A goal id no other test uses. */
function freshGoal(label = 'goal'): string {
  run += 1;
  return `${label}-${RUN}-${run}`;
}

/**
 * The contract: `makeStore` returns a store (a new one each call, or one over the same records); the suite closes
 * every store it made after each test.
 */
export function describeGoalStoreContract(name: string, makeStore: () => GoalStore | Promise<GoalStore>): void {
  const opened: GoalStore[] = [];
  async function open(): Promise<GoalStore> {
    const store = await makeStore();
    opened.push(store);
    return store;
  }
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });

  describe(`${name}: turns`, () => {
    test('a turn reads back as written, and a missing turn is null', async () => {
      const store = await open();
      const G = freshGoal();
      const t = storedTurn(1, [assistant('hi'), call('c1')], [user('Baseline: ...')]);
      await store.writeTurn(G, t);
      expect(await store.readTurn(G, 1)).toEqual(t);
      expect(await store.readTurn(G, 2)).toBeNull();
      expect(await store.readTurn(freshGoal('other'), 1)).toBeNull();
    });

    test('a turn reads back exactly: key order, a NUL and other awkward characters included', async () => {
      const store = await open();
      const G = freshGoal();
      const t = storedTurn(1, [assistant(AWKWARD_TEXT), call('c1', 'shell', `{"command":"printf '\\\\0'"}`)]);
      await store.writeTurn(G, t);
      const back = await store.readTurn(G, 1);
      expect(back).toEqual(t);
      expect(JSON.stringify(back)).toBe(JSON.stringify(t));
    });

    test('rewriting a turn (a retried activity) overwrites it without leaving duplicates', async () => {
      const store = await open();
      const G = freshGoal();
      await store.writeTurn(G, storedTurn(3, [assistant('first attempt')]));
      await store.writeTurn(G, storedTurn(3, [assistant('second attempt')]));
      expect((await store.readTurn(G, 3))?.output).toEqual([assistant('second attempt')]);
      expect(await store.readTurns(G, 100)).toHaveLength(1);
      expect(await store.turnNumbers(G, 100)).toEqual([3]);
    });

    test('readTurns returns the turns before the given one, oldest first, in numeric order', async () => {
      const store = await open();
      const G = freshGoal();
      for (const n of [10, 2, 1, 100, 9]) await store.writeTurn(G, storedTurn(n, [assistant(`turn ${n}`)]));
      expect((await store.readTurns(G, 1000)).map((t) => t.turn)).toEqual([1, 2, 9, 10, 100]);
      expect((await store.readTurns(G, 10)).map((t) => t.turn)).toEqual([1, 2, 9]);
      expect(await store.readTurns(G, 1)).toEqual([]);
      expect((await store.readTurns(G, Infinity)).map((t) => t.turn)).toEqual([1, 2, 9, 10, 100]);
    });

    test('readTurns can take only the last few, still oldest first', async () => {
      const store = await open();
      const G = freshGoal();
      for (const n of [1, 2, 3, 4, 5]) await store.writeTurn(G, storedTurn(n, [assistant(`turn ${n}`)]));
      expect((await store.readTurns(G, 5, 2)).map((t) => t.turn)).toEqual([3, 4]);
      expect((await store.readTurns(G, 100, 10)).map((t) => t.turn)).toEqual([1, 2, 3, 4, 5]);
    });

    test('turnNumbers lists the stored turns before the given one, in order, without reading them', async () => {
      const store = await open();
      const G = freshGoal();
      for (const n of [7, 3, 12]) await store.writeTurn(G, storedTurn(n, []));
      expect(await store.turnNumbers(G, 100)).toEqual([3, 7, 12]);
      expect(await store.turnNumbers(G, 12)).toEqual([3, 7]);
      expect(await store.turnNumbers(freshGoal('other'), 100)).toEqual([]);
    });

    test('turnVersions lists the turns like turnNumbers, and a turn written again gets another version', async () => {
      const store = await open();
      const G = freshGoal();
      for (const n of [7, 3, 12]) await store.writeTurn(G, storedTurn(n, [assistant(`turn ${n}`)]));
      const before = await store.turnVersions(G, 100);
      expect(before.map((v) => v.turn)).toEqual([3, 7, 12]);
      expect((await store.turnVersions(G, 12)).map((v) => v.turn)).toEqual([3, 7]);
      expect((await store.turnVersions(G, 100, 3)).map((v) => v.turn)).toEqual([7, 12]); // after a summary of 1..3
      expect(await store.turnVersions(G, 100)).toEqual(before); // unchanged records: the same versions
      await store.writeTurn(G, storedTurn(7, [assistant('turn 7, second attempt')]));
      const after = await store.turnVersions(G, 100);
      expect(after[0]).toEqual(before[0]);
      expect(after[1]?.version).not.toBe(before[1]?.version);
      expect(after[2]).toEqual(before[2]);
      expect(await store.turnVersions(freshGoal('other'), 100)).toEqual([]);
    });

    test('readTurns of a goal with no turns is empty', async () => {
      const store = await open();
      expect(await store.readTurns(freshGoal(), 5)).toEqual([]);
    });

    test('tool results are not turns', async () => {
      const store = await open();
      const G = freshGoal();
      await store.writeTurn(G, storedTurn(1, [call('c1')]));
      await store.writeToolResult(G, 1, result('c1', 'out'));
      await store.writeToolResult(G, 2, result('c2', 'out'));
      expect((await store.readTurns(G, 10)).map((t) => t.turn)).toEqual([1]);
      expect(await store.readTurn(G, 2)).toBeNull();
    });

    test('findToolCall finds a call by id in a stored turn', async () => {
      const store = await open();
      const G = freshGoal();
      await store.writeTurn(G, storedTurn(1, [assistant('x'), call('c1', 'read_file', '{"path":"a"}'), call('c2')]));
      expect(await findToolCall(store, G, 1, 'c1')).toEqual(call('c1', 'read_file', '{"path":"a"}'));
      expect(await findToolCall(store, G, 1, 'nope')).toBeNull();
      expect(await findToolCall(store, G, 2, 'c1')).toBeNull();
    });
  });

  describe(`${name}: tool results`, () => {
    test('a tool result reads back per turn and call, and rewriting overwrites it', async () => {
      const store = await open();
      const G = freshGoal();
      const r = {
        ...result('c1', 'first'),
        control: { kind: 'done' as const, summary: 'all green' },
        fullOutputRef: 'blob:abc',
      };
      await store.writeToolResult(G, 1, r);
      expect(await store.readToolResult(G, 1, 'c1')).toEqual(r);
      expect(await store.readToolResult(G, 2, 'c1')).toBeNull();
      expect(await store.readToolResult(G, 1, 'c2')).toBeNull();
      await store.writeToolResult(G, 1, result('c1', 'second'));
      expect(await store.readToolResult(G, 1, 'c1')).toEqual(result('c1', 'second'));
    });

    test('the same call id in different turns is stored separately', async () => {
      const store = await open();
      const G = freshGoal();
      await store.writeToolResult(G, 1, result('call_0', 'one'));
      await store.writeToolResult(G, 2, result('call_0', 'two'));
      expect((await store.readToolResult(G, 1, 'call_0'))?.output).toBe('one');
      expect((await store.readToolResult(G, 2, 'call_0'))?.output).toBe('two');
    });

    test('a tool output with NUL bytes and awkward characters reads back exactly', async () => {
      const store = await open();
      const G = freshGoal();
      const r = result('c1', `${AWKWARD_TEXT}\n${'\u0000'.repeat(3)}binary\u0000tail`, true);
      await store.writeToolResult(G, 1, r);
      expect(await store.readToolResult(G, 1, 'c1')).toEqual(r);
    });
  });

  describe(`${name}: blobs`, () => {
    test('a blob is stored once per content and read back by its sha256 reference', async () => {
      const store = await open();
      const G = freshGoal();
      const text = 'line\n'.repeat(10_000);
      const ref = await store.putBlob(G, text);
      expect(ref).toBe(`blob:${createHash('sha256').update(text).digest('hex')}`);
      expect(await store.putBlob(G, text)).toBe(ref);
      expect(await store.putBlob(G, 'other')).not.toBe(ref);
      expect(await store.getBlob(G, ref)).toBe(text);
    });

    test('a large blob with NUL bytes and non-BMP characters reads back exactly', async () => {
      const store = await open();
      const G = freshGoal();
      const text = `${AWKWARD_TEXT}\n`.repeat(20_000); // ~1.3 MB
      const ref = await store.putBlob(G, text);
      expect(await store.getBlob(G, ref)).toBe(text);
      expect(await store.getBlob(G, await store.putBlob(G, ''))).toBe('');
    });

    test('the bare digest works as a reference too', async () => {
      const store = await open();
      const G = freshGoal();
      const ref = await store.putBlob(G, 'x');
      expect(await store.getBlob(G, ref.slice('blob:'.length))).toBe('x');
    });

    test('getBlob refuses anything that is not a sha256 reference', async () => {
      const store = await open();
      const G = freshGoal();
      for (const bad of [
        'blob:../../etc/passwd',
        'blob:abc',
        `blob:${'A'.repeat(64)}`,
        '',
        `blob:${'a'.repeat(63)}/`,
      ]) {
        await expect(store.getBlob(G, bad)).rejects.toThrow(`not a blob reference: ${bad}`);
      }
    });

    test('a well-formed reference to an unknown blob, or to another goal’s, rejects with ENOENT', async () => {
      const store = await open();
      const G = freshGoal();
      await expect(store.getBlob(G, `blob:${'0'.repeat(64)}`)).rejects.toMatchObject({ code: 'ENOENT' });
      const ref = await store.putBlob(freshGoal('other'), 'theirs');
      await expect(store.getBlob(G, ref)).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  describe(`${name}: ledger`, () => {
    test('records are appended and read back in order', async () => {
      const store = await open();
      const G = freshGoal();
      expect(await store.readLedger(G)).toEqual([]);
      await store.appendLedger(G, [
        { metric: 'm', value: 1 },
        { metric: 'm', value: 2 },
      ]);
      await store.appendLedger(G, [{ check: 'c', passed: true }]);
      expect(await store.readLedger(G)).toEqual([
        { metric: 'm', value: 1 },
        { metric: 'm', value: 2 },
        { check: 'c', passed: true },
      ]);
      expect(await store.readLedger(freshGoal('other'))).toEqual([]);
    });

    test('appending nothing adds nothing', async () => {
      const store = await open();
      const G = freshGoal();
      await store.appendLedger(G, []);
      expect(await store.readLedger(G)).toEqual([]);
    });

    test('records read back exactly: nesting, key order, a NUL in a string, and many at once', async () => {
      const store = await open();
      const G = freshGoal();
      const odd = { z: 1, a: { nested: [1, 'two', null, { deep: true }] }, text: AWKWARD_TEXT, n: -0.5 };
      const many = Array.from({ length: 1000 }, (_, i) => ({ i, commit: `c${i}` }));
      await store.appendLedger(G, [odd]);
      await store.appendLedger(G, many);
      const back = await store.readLedger(G);
      expect(back).toEqual([odd, ...many]);
      expect(JSON.stringify(back[0])).toBe(JSON.stringify(odd));
    });
  });

  describe(`${name}: summaries`, () => {
    test('the summary is null before the first, and each write replaces it', async () => {
      const store = await open();
      const G = freshGoal();
      expect(await store.readSummary(G)).toBeNull();
      await store.writeSummary(G, { through: 10, text: 'first ten', at: '2025-01-01T00:00:00.000Z' });
      await store.writeSummary(G, { through: 20, text: `twenty ${AWKWARD_TEXT}`, at: '2025-01-02T00:00:00.000Z' });
      expect(await store.readSummary(G)).toEqual({
        through: 20,
        text: `twenty ${AWKWARD_TEXT}`,
        at: '2025-01-02T00:00:00.000Z',
      });
      expect(await store.readSummary(freshGoal('other'))).toBeNull();
    });
  });

  describe(`${name}: protected manifests`, () => {
    test('the manifest is null before the baseline and reads back as written', async () => {
      const store = await open();
      const G = freshGoal();
      expect(await store.readProtectedManifest(G)).toBeNull();
      const manifest: ProtectedManifest = {
        patterns: ['test/**', 'bench.sh'],
        files: { 'test/a.test.ts': 'a'.repeat(64), 'bench.sh': 'b'.repeat(64) },
      };
      await store.writeProtectedManifest(G, manifest);
      expect(await store.readProtectedManifest(G)).toEqual(manifest);
      expect(await store.readProtectedManifest(freshGoal('other'))).toBeNull();
    });
  });

  describe(`${name}: asks`, () => {
    test('side questions and their answers are appended and read back in order', async () => {
      const store = await open();
      const G = freshGoal();
      expect(await store.readAsks(G)).toEqual([]);
      const asks: StoredAsk[] = [
        { at: '2025-01-01T00:00:00.000Z', turn: 3, question: 'why?', answer: 'because' },
        { at: '2025-01-01T00:01:00.000Z', turn: 4, question: `and ${AWKWARD_TEXT}?`, answer: 'so' },
      ];
      for (const a of asks) await store.appendAsk(G, a);
      expect(await store.readAsks(G)).toEqual(asks);
      expect(await store.readAsks(freshGoal('other'))).toEqual([]);
    });
  });

  describe(`${name}: odd ids`, () => {
    const oddGoals = ['../escape', 'a/b', '.hidden', '..', '', 'x'.repeat(300), 'naïve', 'a b', 'nul\u0000id'];

    test('odd goal ids are distinct goals', async () => {
      const store = await open();
      const ids = oddGoals.map((g) => `${g}${freshGoal('')}`).concat(oddGoals);
      // An id that looks like the digest of another (a store may key long ids by their digest) is another goal.
      const long = `${'y'.repeat(300)}${freshGoal('')}`;
      ids.push(long, `sha256:${createHash('sha256').update(long).digest('hex')}`);
      for (const [i, id] of ids.entries()) await store.appendLedger(id, [{ i }]);
      for (const [i, id] of ids.entries()) expect(await store.readLedger(id)).toContainEqual({ i });
      for (const [i, id] of ids.entries()) {
        await store.writeTurn(id, storedTurn(1, [assistant(`goal ${i}`)]));
      }
      for (const [i, id] of ids.entries()) {
        expect((await store.readTurn(id, 1))?.output).toEqual([assistant(`goal ${i}`)]);
      }
    });

    test('odd call ids are distinct calls and read back', async () => {
      const store = await open();
      const G = `../goal${freshGoal('')}`;
      const long = 'c'.repeat(300);
      const ids = [
        '../../../../pwned',
        'call/0',
        '.pid',
        long,
        `sha256:${createHash('sha256').update(long).digest('hex')}`,
        'nul\u0000call',
        'nul',
      ];
      for (const id of ids) await store.writeToolResult(G, 1, result(id, `out ${id.length} ${id}`));
      for (const id of ids) expect(await store.readToolResult(G, 1, id)).toEqual(result(id, `out ${id.length} ${id}`));
    });
  });
}
