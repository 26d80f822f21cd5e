/**
 * Building a turn's context from the goal store (the file store here; the stores themselves are tested by
 * test/store-files.test.ts and test/store-postgres.test.ts through one contract).
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildContext, type ContextInput } from '../activities/agent/context';
import { FileGoalStore } from '../activities/store/files';
import type { GoalStore } from '../activities/store/types';
import { tempDirsRemovedAfterAll } from './helpers/temp-dirs';
import { assistant, call, result, storedTurn, user } from './helpers/store-contract';

const tempDir = tempDirsRemovedAfterAll('longhaul-store-');

const G = 'goal-1';

describe('buildContext', () => {
  function setup(): { store: GoalStore; ws: string; input: (over?: Partial<ContextInput>) => ContextInput } {
    const store = new FileGoalStore(tempDir());
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
    tempDir.track(outside);
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
    tempDir.track(outside);
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
