/**
 * The draft's rules without Temporal (goal/draft-run.ts): rounds of model turns, idle turns, proposals sent back when
 * a metric gives no number, revisions, what the `draft` query shows and what the model is told.
 */
import type { DraftInput, DraftMeasurement, MeasuredMetric } from '../goal/draft';
import {
  DraftRun,
  MAX_IDLE_TURNS,
  MAX_REMEASURES,
  MAX_REVISION_CHARS,
  MAX_VIEW_EVENTS,
  PROPOSE_NUDGE,
  type DraftState,
} from '../goal/draft-run';

const INPUT: DraftInput = { request: 'the build is too slow', workspace: '/repo' };

function draft(over: Partial<DraftInput> = {}): DraftRun {
  return DraftRun.create('draft-1', { ...INPUT, ...over });
}

/** A metric that parsed: ten seconds, steady, its target far off. */
function metric(over: Partial<MeasuredMetric> = {}): MeasuredMetric {
  return {
    name: 'build_seconds',
    command: 'npm run build',
    direction: 'lower',
    target: { absolute: 1 },
    values: [10, 10, 10, 10],
    error: null,
    runMs: 10_000,
    ...over,
  };
}

const BROKEN = metric({ name: 'score', values: [], error: 'the pattern matched nothing' });

function measurement(metrics: MeasuredMetric[] = [metric()], checksPass = true): DraftMeasurement {
  return {
    metrics,
    checks: [{ name: 'tests', command: 'npm test', passed: checksPass, exitCode: checksPass ? 0 : 1, excerpt: '' }],
    protect: [],
    objective: 'a faster build',
    budget: '10 turns',
    durationMs: 1_000,
  };
}

const proposal = (specYaml = 'objective: faster') => ({ kind: 'proposal' as const, specYaml, plan: '# Plan' });

/** One model turn that calls no tool. */
function idleTurn(run: DraftRun) {
  const next = run.nextTurn();
  expect(next).not.toBeNull();
  expect(run.recordModelTurn(0)).toBe(false);
  return next!;
}

/** One model turn that calls a tool reading a file. */
function readTurn(run: DraftRun) {
  const next = run.nextTurn();
  expect(run.recordModelTurn(1)).toBe(true);
  run.recordToolResult('read_file: package.json');
  expect(run.startMeasuring()).toBeNull();
  return next!;
}

/** One model turn that proposes a spec, and the orchestrator's measurement of it. */
function proposeTurn(run: DraftRun, m: DraftMeasurement = measurement(), specYaml = 'objective: faster') {
  const next = run.nextTurn();
  expect(run.recordModelTurn(1)).toBe(true);
  run.recordToolResult('propose_goal: faster', proposal(specYaml));
  expect(run.startMeasuring()).toBe(specYaml);
  run.recordMeasurement(m);
  return next!;
}

describe('a round of model turns', () => {
  test("a new draft explores, and its first turn gives the model the user's request", () => {
    const run = draft();
    expect(run.view()).toMatchObject({ draftId: 'draft-1', workspace: '/repo', phase: 'exploring', turn: 0 });
    expect(run.nextTurn()).toEqual({
      turn: 1,
      brief: 'the build is too slow',
      notes: ["The user's request: the build is too slow"],
    });
    run.recordModelTurn(1);
    run.recordToolResult('read_file: package.json');
    expect(run.nextTurn()).toEqual({ turn: 2, brief: 'the build is too slow', notes: [] });
  });

  test('a round gives up after two turns without a tool call; the model is nudged to propose after the first', () => {
    expect(MAX_IDLE_TURNS).toBe(2);
    const run = draft();
    idleTurn(run);
    expect(run.nextTurn()!.notes).toEqual([PROPOSE_NUDGE]);
    expect(run.recordModelTurn(0)).toBe(false);
    expect(run.nextTurn()).toBeNull();
    run.endRound();
    expect(run.view()).toMatchObject({
      phase: 'no_proposal',
      turn: 2,
      proposal: null,
      reason: 'no proposal after 2 turn(s): the model did not call propose_goal with a valid spec',
    });
  });

  test('a turn with a tool call starts the idle count again', () => {
    const run = draft();
    idleTurn(run);
    readTurn(run);
    expect(idleTurn(run).notes).toEqual([]);
    expect(run.nextTurn()).toMatchObject({ turn: 4, notes: [PROPOSE_NUDGE] });
  });

  test('a round ends after maxTurns turns (12 by default) and says there is no proposal', () => {
    const run = draft({ maxTurns: 3 });
    for (let i = 0; i < 3; i++) readTurn(run);
    expect(run.nextTurn()).toBeNull();
    run.endRound();
    expect(run.state.reason).toBe('no proposal after 3 turn(s): the model did not call propose_goal with a valid spec');

    const byDefault = draft();
    for (let i = 0; i < 12; i++) readTurn(byDefault);
    expect(byDefault.nextTurn()).toBeNull();
  });

  test('every tool result is an event; refusals and writes kept out of the workspace are also refusals', () => {
    const run = draft();
    run.nextTurn();
    run.recordModelTurn(3);
    run.recordToolResult('refused: write_file (read-only draft)');
    run.recordToolResult('wrote to the throw-away copy: shell: rm test.sh');
    run.recordToolResult('read_file: refused.txt');
    expect(run.view().events).toEqual([
      'refused: write_file (read-only draft)',
      'wrote to the throw-away copy: shell: rm test.sh',
      'read_file: refused.txt',
    ]);
    expect(run.view().refusals).toEqual([
      'refused: write_file (read-only draft)',
      'wrote to the throw-away copy: shell: rm test.sh',
    ]);
  });

  test('the Temporal UI shows the latest event with the phase and turn it happened in', () => {
    const run = draft();
    expect(run.state.details).toBeNull();
    readTurn(run);
    expect(run.state.details).toBe('**Draft** (exploring, turn 1): read_file: package.json');
    proposeTurn(run);
    run.endRound();
    expect(run.state.details).toBe('**Draft** (proposed, turn 2): proposal 1');
  });

  test('a turn whose tools propose nothing measures nothing; of two proposals in one turn the last is measured', () => {
    const run = draft();
    readTurn(run);
    run.nextTurn();
    run.recordModelTurn(2);
    run.recordToolResult('propose_goal: first', proposal('objective: first'));
    run.recordToolResult('propose_goal: second', proposal('objective: second'));
    expect(run.startMeasuring()).toBe('objective: second');
    expect(run.view().phase).toBe('measuring');
  });

  test('a proposal is not measured again on a later turn that proposes nothing', () => {
    const run = draft();
    proposeTurn(run, measurement([BROKEN]));
    readTurn(run); // startMeasuring is null
  });
});

describe('proposals and their measurement', () => {
  test('a proposal that measures cleanly ends the round: shown as proposal 1 without warnings', () => {
    const run = draft();
    const m = measurement();
    proposeTurn(run, m);
    expect(run.nextTurn()).toBeNull();
    run.endRound();
    expect(run.view()).toMatchObject({
      phase: 'proposed',
      reason: null,
      proposal: { version: 1, specYaml: 'objective: faster', plan: '# Plan', measurement: m, warnings: [] },
    });
    expect(run.view().events.at(-1)).toBe('proposal 1');
  });

  test('a proposal carries the warnings its measurement earns, and the event counts them', () => {
    const run = draft();
    proposeTurn(run, measurement([metric()], false));
    run.endRound();
    expect(run.view().proposal!.warnings).toEqual([expect.stringMatching(/^check tests fails now \(exit 1\)/)]);
    expect(run.view().events.at(-1)).toBe('proposal 1 with 1 warning(s)');
  });

  test('a metric that gives no number goes back to the model with what failed; the draft explores again', () => {
    const run = draft();
    proposeTurn(run, measurement([metric(), BROKEN, metric({ name: 'size', values: [], error: null })]));
    expect(run.view().phase).toBe('exploring');
    expect(run.nextTurn()!.notes).toEqual([
      'The orchestrator measured your proposal: metric score gave no number (the pattern matched nothing); ' +
        'metric size gave no number (no sample parsed). Fix the spec and call propose_goal again.',
    ]);
  });

  test('a proposal goes back at most twice per round; the third measurement is shown with its warning', () => {
    expect(MAX_REMEASURES).toBe(2);
    const run = draft();
    for (let i = 0; i < 3; i++) proposeTurn(run, measurement([BROKEN]));
    expect(run.nextTurn()).toBeNull();
    run.endRound();
    expect(run.view()).toMatchObject({ phase: 'proposed', turn: 3, proposal: { version: 1 } });
    expect(run.view().proposal!.warnings).toEqual([expect.stringMatching(/^metric score does not give a number/)]);
  });

  test('a round that runs out of turns after a proposal went back shows that proposal', () => {
    const run = draft({ maxTurns: 3 });
    proposeTurn(run, measurement([BROKEN]));
    idleTurn(run);
    idleTurn(run);
    expect(run.nextTurn()).toBeNull();
    run.endRound();
    expect(run.view()).toMatchObject({ phase: 'proposed', reason: null, proposal: { version: 1 } });
  });

  test('a stopped round says why, keeps the proposal shown before, and drops the one it measured', () => {
    const run = draft();
    proposeTurn(run);
    run.endRound();
    run.revise('measure the production build');
    run.startRevision();
    proposeTurn(run, measurement([BROKEN]));
    run.stopRound('401 Incorrect API key');
    expect(run.view()).toMatchObject({
      phase: 'no_proposal',
      reason: 'stopped: 401 Incorrect API key',
      proposal: { version: 1 },
    });
    expect(run.nextTurn()).toBeNull();
  });
});

describe('revisions', () => {
  test('a revision is trimmed and cut to 20000 characters; a blank one is ignored', () => {
    const run = draft();
    run.revise('   ');
    expect(run.revisedOrClosed).toBe(false);
    run.revise('  repeat it 7 times \n');
    run.revise('x'.repeat(MAX_REVISION_CHARS + 10));
    expect(run.state.revisions).toEqual(['repeat it 7 times', 'x'.repeat(MAX_REVISION_CHARS)]);
    expect(run.revisedOrClosed).toBe(true);
  });

  test('a revision starts a new round that tells the model of it; the brief lists the revisions', () => {
    const run = draft();
    proposeTurn(run);
    run.endRound();
    run.revise('repeat it 7 times');
    run.revise('and warm up first');
    run.startRevision();
    expect(run.view()).toMatchObject({
      phase: 'exploring',
      requests: ['the build is too slow', 'repeat it 7 times', 'and warm up first'],
    });
    expect(run.state.revisions).toEqual([]);
    expect(run.nextTurn()).toEqual({
      turn: 2,
      brief: 'the build is too slow\nRevision 1: repeat it 7 times\nRevision 2: and warm up first',
      notes: [
        'The user revises the request: repeat it 7 times\nUpdate the proposal and call propose_goal again.',
        'The user revises the request: and warm up first\nUpdate the proposal and call propose_goal again.',
      ],
    });
  });

  test("a revision's proposal is the next version; every measurement in one round has the same version", () => {
    const run = draft();
    proposeTurn(run);
    run.endRound();
    run.revise('repeat it 7 times');
    run.startRevision();
    proposeTurn(run, measurement([BROKEN]));
    proposeTurn(run);
    run.endRound();
    expect(run.view().proposal!.version).toBe(2);
    expect(run.view().events.filter((e) => e.startsWith('proposal '))).toEqual(['proposal 1', 'proposal 2']);
  });

  test('a new round has its own idle turns and turn budget', () => {
    const run = draft({ maxTurns: 2 });
    idleTurn(run);
    idleTurn(run);
    run.endRound();
    run.revise('try again');
    run.startRevision();
    expect(run.nextTurn()).toMatchObject({ turn: 3 });
    run.recordModelTurn(0);
    expect(run.nextTurn()).toMatchObject({ turn: 4, notes: [PROPOSE_NUDGE] });
  });

  test('the draft waits 24 hours for a revision by default; closing ends the wait', () => {
    expect(draft().reviseWindow).toBe('24 hours');
    expect(draft({ reviseWindowHours: 2 }).reviseWindow).toBe('2 hours');
    const run = draft();
    run.close();
    expect(run.closed).toBe(true);
    expect(run.revisedOrClosed).toBe(true);
    run.finish();
    expect(run.view().phase).toBe('closed');
  });
});

describe('the view and the state', () => {
  test('the view shows the newest 50 events and counts them all', () => {
    const run = draft();
    run.nextTurn();
    run.recordModelTurn(60);
    for (let i = 1; i <= 60; i++) run.recordToolResult(`read_file: f${i}`);
    const view = run.view();
    expect(view.events).toHaveLength(MAX_VIEW_EVENTS);
    expect(view.events[0]).toBe('read_file: f11');
    expect(view.eventsTotal).toBe(60);
  });

  test('the view is a copy: changing it changes nothing in the draft', () => {
    const run = draft();
    const view = run.view();
    (view.requests as string[]).push('not a revision');
    (view.refusals as string[]).push('not a refusal');
    expect(run.view()).toMatchObject({ requests: ['the build is too slow'], refusals: [] });
  });

  test('the state is plain JSON: a draft rebuilt from it carries on the same', () => {
    const run = draft();
    proposeTurn(run, measurement([BROKEN]));
    const copy = new DraftRun(JSON.parse(JSON.stringify(run.state)) as DraftState);
    expect(copy.state).toEqual(run.state);
    for (const r of [run, copy]) {
      proposeTurn(r);
      r.endRound();
    }
    expect(copy.view()).toEqual(run.view());
  });
});
