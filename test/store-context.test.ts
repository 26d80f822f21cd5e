import { mkdirSync, mkdtempSync, promises as fs, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildContext, type ContextInput } from '../activities/context';
import { GoalStore, type StoredToolResult, type StoredTurn } from '../activities/store';
import type { MessageItem, TranscriptItem } from '../goal/transcript';

const tempDirs: string[] = [];

function tempDir(prefix = 'longhaul-store-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const G = 'goal-1';

function user(text: string): MessageItem {
  return { type: 'message', role: 'user', text };
}

function assistant(text: string): MessageItem {
  return { type: 'message', role: 'assistant', text };
}

function call(callId: string, name = 'shell', args = '{"command":"ls"}'): TranscriptItem {
  return { type: 'tool_call', callId, name, arguments: args };
}

function storedTurn(turn: number, output: TranscriptItem[], notes: MessageItem[] = []): StoredTurn {
  return {
    turn,
    notes,
    output,
    usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
    at: '2025-01-01T00:00:00.000Z',
  };
}

function result(callId: string, output: string, isError = false): StoredToolResult {
  return { callId, name: 'shell', output, isError, summary: `shell: ${callId}` };
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

describe('GoalStore turns', () => {
  test('a turn reads back as written, and a missing turn is null', async () => {
    const store = new GoalStore(tempDir());
    const t = storedTurn(1, [assistant('hi'), call('c1')], [user('Baseline: ...')]);
    await store.writeTurn(G, t);
    expect(await store.readTurn(G, 1)).toEqual(t);
    expect(await store.readTurn(G, 2)).toBeNull();
    expect(await store.readTurn('other-goal', 1)).toBeNull();
  });

  test('rewriting a turn (a retried activity) overwrites it without leaving duplicates or temp files', async () => {
    const home = tempDir();
    const store = new GoalStore(home);
    await store.writeTurn(G, storedTurn(3, [assistant('first attempt')]));
    await store.writeTurn(G, storedTurn(3, [assistant('second attempt')]));
    expect((await store.readTurn(G, 3))?.output).toEqual([assistant('second attempt')]);
    expect(await store.readTurns(G, 100)).toHaveLength(1);
    expect(filesUnder(store.goalDir(G))).toEqual([path.join('turns', '000003.json')]);
  });

  test('readTurns returns the turns before the given one, oldest first, in numeric order', async () => {
    const store = new GoalStore(tempDir());
    for (const n of [10, 2, 1, 100, 9]) await store.writeTurn(G, storedTurn(n, [assistant(`turn ${n}`)]));
    expect((await store.readTurns(G, 1000)).map((t) => t.turn)).toEqual([1, 2, 9, 10, 100]);
    expect((await store.readTurns(G, 10)).map((t) => t.turn)).toEqual([1, 2, 9]);
    expect(await store.readTurns(G, 1)).toEqual([]);
  });

  test('readTurns of a goal with no turns is empty', async () => {
    expect(await new GoalStore(tempDir()).readTurns(G, 5)).toEqual([]);
  });

  test('readTurns ignores tool-result folders and stray files in the turns folder', async () => {
    const store = new GoalStore(tempDir());
    await store.writeTurn(G, storedTurn(1, [call('c1')]));
    await store.writeToolResult(G, 1, result('c1', 'out'));
    const turns = path.join(store.goalDir(G), 'turns');
    writeFileSync(path.join(turns, '000002.json.abc123.tmp'), '{');
    writeFileSync(path.join(turns, 'notes.json'), '{}');
    expect((await store.readTurns(G, 10)).map((t) => t.turn)).toEqual([1]);
  });

  test('a corrupt turn file is an error, not a missing turn', async () => {
    const store = new GoalStore(tempDir());
    await store.writeTurn(G, storedTurn(1, []));
    writeFileSync(path.join(store.goalDir(G), 'turns', '000001.json'), '{ not json');
    await expect(store.readTurn(G, 1)).rejects.toThrow(SyntaxError);
  });

  test('findToolCall finds a call by id in a stored turn', async () => {
    const store = new GoalStore(tempDir());
    await store.writeTurn(G, storedTurn(1, [assistant('x'), call('c1', 'read_file', '{"path":"a"}'), call('c2')]));
    expect(await store.findToolCall(G, 1, 'c1')).toEqual(call('c1', 'read_file', '{"path":"a"}'));
    expect(await store.findToolCall(G, 1, 'nope')).toBeNull();
    expect(await store.findToolCall(G, 2, 'c1')).toBeNull();
  });
});

describe('GoalStore tool results and pids', () => {
  test('a tool result reads back per turn and call, and rewriting overwrites it', async () => {
    const store = new GoalStore(tempDir());
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
    expect((await store.readToolResult(G, 1, 'c1'))?.output).toBe('second');
  });

  test('the same call id in different turns is stored separately', async () => {
    const store = new GoalStore(tempDir());
    await store.writeToolResult(G, 1, result('call_0', 'one'));
    await store.writeToolResult(G, 2, result('call_0', 'two'));
    expect((await store.readToolResult(G, 1, 'call_0'))?.output).toBe('one');
    expect((await store.readToolResult(G, 2, 'call_0'))?.output).toBe('two');
  });

  test('a tool pid is remembered per call; none recorded is null', async () => {
    const store = new GoalStore(tempDir());
    expect(await store.readToolPid(G, 1, 'c1')).toBeNull();
    store.writeToolPidSync(G, 1, 'c1', 4242);
    expect(await store.readToolPid(G, 1, 'c1')).toBe(4242);
    expect(await store.readToolPid(G, 1, 'c2')).toBeNull();
    // The pid file does not shadow the result.
    expect(await store.readToolResult(G, 1, 'c1')).toBeNull();
  });
});

describe('GoalStore blobs', () => {
  test('a blob is stored once per content and read back by its sha256 reference', async () => {
    const store = new GoalStore(tempDir());
    const text = 'line\n'.repeat(10_000);
    const ref = await store.putBlob(G, text);
    expect(ref).toMatch(/^blob:[0-9a-f]{64}$/);
    expect(await store.putBlob(G, text)).toBe(ref);
    expect(await store.putBlob(G, 'other')).not.toBe(ref);
    expect(await store.getBlob(G, ref)).toBe(text);
    expect(filesUnder(path.join(store.goalDir(G), 'blobs'))).toHaveLength(2);
    expect(store.blobPath(G, ref)).toBe(path.join(store.goalDir(G), 'blobs', `${ref.slice(5)}.txt`));
  });

  test('the bare digest works as a reference too', async () => {
    const store = new GoalStore(tempDir());
    const ref = await store.putBlob(G, 'x');
    expect(await store.getBlob(G, ref.slice('blob:'.length))).toBe('x');
  });

  test('getBlob refuses anything that is not a sha256 reference', async () => {
    const store = new GoalStore(tempDir());
    for (const bad of ['blob:../../etc/passwd', 'blob:abc', `blob:${'A'.repeat(64)}`, '', `blob:${'a'.repeat(63)}/`]) {
      await expect(store.getBlob(G, bad)).rejects.toThrow(`not a blob reference: ${bad}`);
    }
  });

  test('a well-formed reference to an unknown blob rejects', async () => {
    const store = new GoalStore(tempDir());
    await expect(store.getBlob(G, `blob:${'0'.repeat(64)}`)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('GoalStore ledger', () => {
  test('records are appended as JSON lines and read back in order', async () => {
    const store = new GoalStore(tempDir());
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
    const text = await fs.readFile(path.join(store.goalDir(G), 'ledger.jsonl'), 'utf8');
    expect(text.split('\n')).toHaveLength(4);
  });

  test('appending nothing adds nothing', async () => {
    const store = new GoalStore(tempDir());
    await store.appendLedger(G, []);
    expect(await store.readLedger(G)).toEqual([]);
  });
});

describe('GoalStore file names', () => {
  test('a plain goal id is its folder name under goals/', () => {
    const home = tempDir();
    expect(new GoalStore(home).goalDir('goal-2025.01_x')).toBe(path.join(home, 'goals', 'goal-2025.01_x'));
  });

  test('odd goal ids map to distinct, safe folder names inside goals/', () => {
    const home = tempDir();
    const store = new GoalStore(home);
    const odd = ['../escape', 'a/b', '.hidden', '..', '', 'x'.repeat(129), 'naïve', 'a b'];
    const dirs = odd.map((id) => store.goalDir(id));
    for (const dir of dirs) {
      expect(path.dirname(dir)).toBe(path.join(home, 'goals'));
      expect(path.basename(dir)).toMatch(/^x-[0-9a-f]{32}$/);
    }
    expect(new Set(dirs).size).toBe(odd.length);
    expect(store.goalDir('../escape')).toBe(store.goalDir('../escape'));
  });

  test('odd call ids are stored inside the goal folder and read back', async () => {
    const home = tempDir();
    const store = new GoalStore(home);
    const ids = ['../../../../pwned', 'call/0', '.pid', 'c'.repeat(300)];
    for (const id of ids) {
      await store.writeToolResult('../goal', 1, result(id, `out ${id.length}`));
      store.writeToolPidSync('../goal', 1, id, 7);
    }
    for (const id of ids) {
      expect((await store.readToolResult('../goal', 1, id))?.output).toBe(`out ${id.length}`);
      expect(await store.readToolPid('../goal', 1, id)).toBe(7);
    }
    const goalDir = store.goalDir('../goal');
    expect(readdirSync(home)).toEqual(['goals']);
    expect(readdirSync(path.join(home, 'goals'))).toEqual([path.basename(goalDir)]);
    const files = filesUnder(goalDir);
    expect(files).toHaveLength(ids.length * 2);
    for (const f of files) expect(f).toMatch(/^turns\/000001\.results\/x-[0-9a-f]{32}\.json(\.pid)?$/);
  });
});

describe('buildContext', () => {
  function setup(): { store: GoalStore; ws: string; input: (over?: Partial<ContextInput>) => ContextInput } {
    const store = new GoalStore(tempDir());
    const ws = tempDir('longhaul-ctx-ws-');
    const input = (over: Partial<ContextInput> = {}): ContextInput => ({
      goalId: G,
      workspace: ws,
      turn: 1,
      brief: 'Objective: make it fast\nBudget: turn 1 of 50',
      notes: [],
      maxTranscriptChars: 1_000_000,
      ...over,
    });
    return { store, ws, input };
  }

  test('the instructions carry the rules, the workspace and the brief with the turn number', async () => {
    const { store, ws, input } = setup();
    const built = await buildContext(store, input({ turn: 7 }));
    expect(built.instructions).toMatch(/^You are Longhaul's coding agent/);
    expect(built.instructions).toContain('Never edit tests, benchmarks or measurement scripts');
    expect(built.instructions).toContain('call `done` with a short summary');
    expect(built.instructions).toContain(`\n\nWorkspace: ${ws}\n\n`);
    expect(built.instructions.endsWith('# The goal (turn 7)\nObjective: make it fast\nBudget: turn 1 of 50')).toBe(
      true,
    );
    expect(built.instructions).not.toContain('# Plan');
  });

  test('the first turn has just the default continue message and nothing omitted', async () => {
    const { store, input } = setup();
    expect(await buildContext(store, input({ turn: 1 }))).toMatchObject({
      items: [user('Turn 1: continue toward the goal.')],
      omittedTurns: 0,
    });
  });

  test('notes replace the default continue message, in order, at the end', async () => {
    const { store, input } = setup();
    const notes = [user('Baseline: 10 s'), user('You called no tool.')];
    const built = await buildContext(store, input({ notes }));
    expect(built.items).toEqual(notes);
  });

  test('the plan file is included and re-read on every turn', async () => {
    const { store, ws, input } = setup();
    writeFileSync(path.join(ws, 'PLAN.md'), '1. measure\n2. optimize\n');
    const first = await buildContext(store, input({ plan: 'PLAN.md' }));
    expect(first.instructions).toContain('\n\n# Plan (PLAN.md, re-read every turn)\n1. measure\n2. optimize\n');
    writeFileSync(path.join(ws, 'PLAN.md'), '1. measure (done)\n2. optimize\n');
    const second = await buildContext(store, input({ plan: 'PLAN.md', turn: 2 }));
    expect(second.instructions).toContain('# Plan (PLAN.md, re-read every turn)\n1. measure (done)\n');
  });

  test('a plan in a subfolder of the workspace is read', async () => {
    const { store, ws, input } = setup();
    mkdirSync(path.join(ws, 'docs'));
    writeFileSync(path.join(ws, 'docs', 'plan.md'), 'the plan');
    expect((await buildContext(store, input({ plan: 'docs/plan.md' }))).instructions).toContain(
      '# Plan (docs/plan.md, re-read every turn)\nthe plan',
    );
  });

  test('a missing plan file is noted as not existing yet', async () => {
    const { store, input } = setup();
    const built = await buildContext(store, input({ plan: 'PLAN.md' }));
    expect(built.instructions).toContain(
      '# Plan (PLAN.md, re-read every turn)\n(the plan file PLAN.md does not exist yet)',
    );
  });

  test('a long plan is truncated at 20000 characters', async () => {
    const { store, ws, input } = setup();
    writeFileSync(path.join(ws, 'PLAN.md'), 'p'.repeat(25_000));
    const built = await buildContext(store, input({ plan: 'PLAN.md' }));
    expect(built.instructions).toContain(`\n${'p'.repeat(20_000)}\n[plan truncated at 20000 characters]`);
    expect(built.instructions).not.toContain('p'.repeat(20_001));
  });

  test('a relative plan path escaping the workspace is ignored; an absolute one is the user’s choice and read', async () => {
    const { store, ws, input } = setup();
    const outside = path.join(path.dirname(ws), `${path.basename(ws)}-secret.md`);
    writeFileSync(outside, 'SECRET');
    tempDirs.push(outside);
    for (const plan of [`../${path.basename(outside)}`, '.', '..']) {
      const built = await buildContext(store, input({ plan }));
      expect(built.instructions).not.toContain('# Plan');
      expect(built.instructions).not.toContain('SECRET');
    }
    // A drafted goal's PLAN.md lives beside its goal.yaml, outside the workspace (a draft never writes there).
    const built = await buildContext(store, input({ plan: outside }));
    expect(built.instructions).toContain(`# Plan (${outside}, re-read every turn)\nSECRET`);
  });

  test('a plan that is a symlink to a file outside the workspace is not read', async () => {
    const { store, ws, input } = setup();
    const outside = path.join(path.dirname(ws), `${path.basename(ws)}-linked-secret.md`);
    writeFileSync(outside, 'SECRET');
    tempDirs.push(outside);
    symlinkSync(outside, path.join(ws, 'PLAN.md'));
    const built = await buildContext(store, input({ plan: 'PLAN.md' }));
    expect(built.instructions).not.toContain('SECRET');
  });

  test('earlier turns are rendered oldest first: notes, output, then each call’s result in call order', async () => {
    const { store, input } = setup();
    await store.writeTurn(G, storedTurn(1, [assistant('looking'), call('a'), call('b')], [user('Baseline: x')]));
    await store.writeToolResult(G, 1, result('b', 'B out'));
    await store.writeToolResult(G, 1, result('a', 'A out', true));
    await store.writeTurn(G, storedTurn(2, [assistant('nothing to do')], [user('note 2')]));
    // The current turn and later ones are not part of the transcript.
    await store.writeTurn(G, storedTurn(3, [assistant('from the future')]));
    const built = await buildContext(store, input({ turn: 3, notes: [user('now')] }));
    expect(built.items).toEqual([
      user('Baseline: x'),
      assistant('looking'),
      call('a'),
      call('b'),
      { type: 'tool_result', callId: 'a', output: 'A out', isError: true },
      { type: 'tool_result', callId: 'b', output: 'B out', isError: false },
      user('note 2'),
      assistant('nothing to do'),
      user('now'),
    ]);
    expect(built.omittedTurns).toBe(0);
  });

  test('a tool call without a stored result becomes an error result', async () => {
    const { store, input } = setup();
    await store.writeTurn(G, storedTurn(1, [call('a'), call('b')]));
    await store.writeToolResult(G, 1, result('a', 'ok'));
    const built = await buildContext(store, input({ turn: 2 }));
    expect(built.items.slice(2, 4)).toEqual([
      { type: 'tool_result', callId: 'a', output: 'ok', isError: false },
      {
        type: 'tool_result',
        callId: 'b',
        output: 'error: this tool call was not executed (the turn was interrupted).',
        isError: true,
      },
    ]);
  });

  /** Stores turns 1..n, each a note, a message, a call and its result: 100 transcript characters per turn. */
  async function storeTurns(store: GoalStore, n: number): Promise<void> {
    for (let t = 1; t <= n; t++) {
      // note 10 + message 20 + call (name 5 + args 15) + result 50 = 100 characters.
      await store.writeTurn(
        G,
        storedTurn(
          t,
          [assistant(`t${t}`.padEnd(20, '.')), call(`c${t}`, 'shell', `{"n":${t}}`.padEnd(15))],
          [user(`n${t}`.padEnd(10, '.'))],
        ),
      );
      await store.writeToolResult(G, t, result(`c${t}`, `r${t}`.padEnd(50, '.')));
    }
  }

  test('a transcript exactly at the bound is kept whole', async () => {
    const { store, input } = setup();
    await storeTurns(store, 3);
    const built = await buildContext(store, input({ turn: 4, maxTranscriptChars: 300 }));
    expect(built.omittedTurns).toBe(0);
    expect(built.items).toHaveLength(3 * 4 + 1);
  });

  test('over the bound the oldest whole turns are dropped, with a note saying how many', async () => {
    const { store, input } = setup();
    await storeTurns(store, 5);
    const built = await buildContext(store, input({ turn: 6, maxTranscriptChars: 250 }));
    expect(built.omittedTurns).toBe(3);
    expect(built.items[0]).toEqual(user('[3 earlier turns omitted to bound the context; the goal above is current.]'));
    const calls = built.items.filter((i) => i.type === 'tool_call').map((i) => (i as { callId: string }).callId);
    expect(calls).toEqual(['c4', 'c5']);
    expect(built.items.at(-1)).toEqual(user('Turn 6: continue toward the goal.'));
  });

  test('a single omitted turn is announced in the singular', async () => {
    const { store, input } = setup();
    await storeTurns(store, 3);
    const built = await buildContext(store, input({ turn: 4, maxTranscriptChars: 299 }));
    expect(built.omittedTurns).toBe(1);
    expect(built.items[0]).toEqual(user('[1 earlier turn omitted to bound the context; the goal above is current.]'));
  });

  test('dropping turns never separates a tool call from its result', async () => {
    const { store, input } = setup();
    await storeTurns(store, 6);
    for (const max of [0, 50, 99, 100, 101, 150, 199, 250, 351, 599, 600]) {
      const built = await buildContext(store, input({ turn: 7, maxTranscriptChars: max }));
      const callIds = built.items.flatMap((i) => (i.type === 'tool_call' ? [i.callId] : []));
      const resultIds = built.items.flatMap((i) => (i.type === 'tool_result' ? [i.callId] : []));
      expect(resultIds).toEqual(callIds);
      for (const id of callIds) {
        const callAt = built.items.findIndex((i) => i.type === 'tool_call' && i.callId === id);
        const resultAt = built.items.findIndex((i) => i.type === 'tool_result' && i.callId === id);
        expect(resultAt).toBeGreaterThan(callAt);
      }
      expect(callIds.length + built.omittedTurns).toBe(6);
      expect(callIds.length).toBe(Math.max(1, Math.min(6, Math.floor(max / 100)))); // the last turn always stays
    }
  });

  test('the notes of the current turn do not count against the bound', async () => {
    const { store, input } = setup();
    await storeTurns(store, 2);
    const built = await buildContext(
      store,
      input({ turn: 3, maxTranscriptChars: 200, notes: [user('x'.repeat(5000))] }),
    );
    expect(built.omittedTurns).toBe(0);
  });
});
