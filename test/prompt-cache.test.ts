/**
 * The prompt is laid out for a provider's prompt cache (issue 17): each turn's request repeats the previous one's
 * byte for byte up to its last message (the turn's state), except across a compaction or an edit; and the cached
 * tokens the server reports are counted and priced at the cached rate.
 */
import { startGoal } from '../client/goals';
import { editUpdate, statusQuery } from '../goal/messages';
import { parseGoalSpec } from '../goal/spec';
import { FileGoalStore } from '../activities/store/files';
import { cacheSteps, promptTokensOf, turnOf, type RecordedRequest } from './fakes/openai-server';
import { createHarness } from './helpers/goal-harness';
import { useServerAndFake } from './helpers/suite';
import { gitWorkspace, scoreMetric } from './helpers/workspace';
import { NO_FINISHING } from './helpers/finishing';

const suite = useServerAndFake();

const bodyOf = (r: RecordedRequest) => r.body as Record<string, unknown>;
const isSummary = (r: RecordedRequest) => !Array.isArray(r.body.tools) || r.body.tools.length === 0;
/** The agent reads a 3,000-character file each turn (so the prompt grows fast), then writes the score. */
const readThenWrite = (writeAt: number) => (req: RecordedRequest) => {
  if (isSummary(req)) return { text: 'summary: read notes.txt again and again; the score is still 0' };
  return turnOf(req) >= writeAt
    ? { toolCalls: [{ name: 'write_file', arguments: { path: 'score.txt', content: '100\n' } }] }
    : { toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] };
};
const workspace = () =>
  gitWorkspace({
    'score.txt': '0\n',
    'measure.sh': 'cat score.txt\n',
    'notes.txt': `${'a line of notes\n'.repeat(190)}`,
  });

test('consecutive turns share their whole prompt up to the turn state; only a compaction or an edit resets it', async () => {
  const { env, fake } = suite;
  const TURNS = 30;
  const EDIT_AFTER = 12;
  fake.setScript(readThenWrite(TURNS));
  const h = await createHarness(env, fake);
  const spec = parseGoalSpec({
    ...NO_FINISHING,
    objective: 'Raise the score to 100',
    workspace: workspace(),
    metrics: [scoreMetric(100)],
    budget: { maxTurns: TURNS + 5 },
    model: { contextWindow: 8_000, compactAt: 0.6 },
  });
  const outcome = await h.worker.runUntil(async () => {
    const handle = await startGoal(env.client, spec, { taskQueue: h.taskQueue, goalId: 'cache-layout' });
    while (fake.requests.filter((r) => !isSummary(r)).length < EDIT_AFTER) await new Promise((r) => setTimeout(r, 20));
    await handle.executeUpdate(editUpdate, { args: [{ guidance: 'EDIT-MARK read less', reason: 'mid-run edit' }] });
    return handle.result();
  });
  expect(outcome).toMatchObject({ status: 'achieved', turns: TURNS });

  const pairs: { prev: RecordedRequest; next: RecordedRequest; compacted: boolean }[] = [];
  let prev: RecordedRequest | undefined;
  let compacted = false;
  for (const r of fake.requests) {
    if (isSummary(r)) {
      compacted = true;
      continue;
    }
    if (prev) pairs.push({ prev, next: r, compacted });
    prev = r;
    compacted = false;
  }
  expect(pairs).toHaveLength(TURNS - 1);
  expect(pairs.filter((p) => p.compacted).length).toBeGreaterThanOrEqual(2);

  let edits = 0;
  for (const { prev, next, compacted } of pairs) {
    expect(next.body.prompt_cache_key).toBe('cache-layout');
    expect(next.body.tools).toEqual(prev.body.tools);
    // The last message is the turn's state, never stored: the next prompt has its own in its place.
    expect(JSON.stringify((next.body.input as unknown[]).at(-1))).toContain(
      `# Turn ${turnOf(next)}: where the goal stands now`,
    );
    if (next.body.instructions !== prev.body.instructions) {
      edits += 1;
      expect(next.body.instructions).toContain('EDIT-MARK');
      continue;
    }
    if (compacted) continue;
    const kept = (prev.body.input as unknown[]).slice(0, -1);
    expect(JSON.stringify((next.body.input as unknown[]).slice(0, kept.length))).toBe(JSON.stringify(kept));
    expect(next.body.input.length).toBeGreaterThan(kept.length);
  }
  expect(edits).toBe(1);
  // So the fake's cache serves most of every prompt once it is long enough to be cached at all.
  const uncompacted = pairs.filter(
    (p) =>
      !p.compacted && p.next.body.instructions === p.prev.body.instructions && promptTokensOf(bodyOf(p.next)) >= 2_048,
  );
  expect(uncompacted.length).toBeGreaterThan(5);
  for (const { next } of uncompacted) {
    expect(next.cachedTokens).toBeGreaterThan(0.5 * promptTokensOf(bodyOf(next)));
  }
}, 120_000);

test("a goal's cost prices cached input at the cached rate, counted per turn and in status", async () => {
  const { env, fake } = suite;
  const TURNS = 8;
  const script = readThenWrite(TURNS);
  fake.setScript((req) => ({ ...script(req), usage: { output: 20 } }));
  const h = await createHarness(env, fake, 'chat');
  const price = { inputPerMTok: 2, cachedInputPerMTok: 0.5, outputPerMTok: 8 };
  const spec = parseGoalSpec({
    ...NO_FINISHING,
    objective: 'Raise the score to 100',
    workspace: workspace(),
    metrics: [scoreMetric(100)],
    budget: { maxTurns: TURNS + 2, maxCostUsd: 5 },
    model: { name: 'local-priced', api: 'chat', price },
  });
  const { outcome, status } = await h.worker.runUntil(async () => {
    const handle = await startGoal(env.client, spec, { taskQueue: h.taskQueue, goalId: 'cache-cost' });
    const outcome = await handle.result();
    return { outcome, status: await handle.query(statusQuery) };
  });
  expect(outcome).toMatchObject({ status: 'achieved', turns: TURNS });
  expect(fake.requests).toHaveLength(TURNS);

  const input = fake.requests.map((r) => promptTokensOf(bodyOf(r)));
  const cached = fake.requests.map((r) => r.cachedTokens ?? 0);
  expect(cached[0]).toBe(0); // nothing earlier to share a prefix with
  expect(cached.filter((c) => c > 0).length).toBeGreaterThanOrEqual(TURNS - 2);
  for (const c of cached) expect(c === 0 || (c >= 1024 && (c - 1024) % 128 === 0)).toBe(true);
  expect(cached.map((c, i) => cacheSteps(c) === c && c <= input[i]!)).not.toContain(false);

  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const expected =
    sum(input.map((n, i) => (n - cached[i]!) * price.inputPerMTok + cached[i]! * price.cachedInputPerMTok)) / 1e6 +
    (TURNS * 20 * price.outputPerMTok) / 1e6;
  expect(outcome.costUsd).toBeCloseTo(expected, 12);
  // At the full input price it would have cost more.
  expect(outcome.costUsd).toBeLessThan((sum(input) * price.inputPerMTok + TURNS * 20 * price.outputPerMTok) / 1e6);

  expect(status.promptCache).toEqual({
    inputTokens: sum(input),
    cachedTokens: sum(cached),
    hitPercent: (100 * sum(cached)) / sum(input),
  });
  // Each turn's record in the goal store keeps what the server reported.
  const store = new FileGoalStore(h.home);
  for (let turn = 1; turn <= TURNS; turn++) {
    const record = await store.readTurn('cache-cost', turn);
    expect(record?.usage.cachedInputTokens ?? 0).toBe(cached[turn - 1]);
  }
}, 120_000);
