/**
 * A long goal: thousands of turns through continue-as-new and context compaction, with an edit and the agent's
 * frontier that must survive both. Size with LONGHAUL_LONG_RUN_TURNS (default 2,000).
 */
import { startGoal } from '../client/goals';
import { editUpdate, statusQuery } from '../goal/messages';
import { parseGoalSpec } from '../goal/spec';
import { allText, promptTokensOf, turnOf, type RecordedRequest } from './fakes/openai-server';
import { createHarness } from './helpers/goal-harness';
import { useServerAndFake } from './helpers/suite';
import { scoreMetric, scoreWorkspace } from './helpers/workspace';
import { NO_FINISHING } from './helpers/finishing';

const TURNS = Number(process.env.LONGHAUL_LONG_RUN_TURNS ?? 2000);
const EDIT_AT = Math.floor(TURNS / 2);
const FRONTIER_2_AT = Math.floor((TURNS * 3) / 4);
const WINDOW = 8_000;
const COMPACT_AT = 0.6;
const MAX_HISTORY = 1_500;

const suite = useServerAndFake();

const isSummary = (r: RecordedRequest) => !Array.isArray(r.body.tools) || r.body.tools.length === 0;

test(`a ${TURNS}-turn goal keeps its history, prompt and numbering bounded and continuous`, async () => {
  const { env, fake } = suite;
  const ws = scoreWorkspace(0);
  let agentTurns = 0;
  // Turn EDIT_AT + 1's model call waits for the edit, so the edit is in every prompt after it, however fast turns are.
  let reachedEdit!: () => void;
  const atEdit = new Promise<void>((resolve) => (reachedEdit = resolve));
  let editSent!: () => void;
  const edited = new Promise<void>((resolve) => (editSent = resolve));
  fake.setScript(async (req) => {
    if (isSummary(req))
      return { text: `summary: read score.txt many times; score is 0 (${req.body.input?.length} items)` };
    agentTurns += 1;
    const n = agentTurns;
    if (n === EDIT_AT + 1) {
      reachedEdit();
      await edited;
    }
    if (n === TURNS) return { toolCalls: [{ name: 'write_file', arguments: { path: 'score.txt', content: '100\n' } }] };
    if (n === 3 || n === FRONTIER_2_AT) {
      const mark = n === 3 ? 'FRONTIER-ONE' : 'FRONTIER-TWO';
      return {
        toolCalls: [
          {
            name: 'record_progress',
            arguments: { done: `${mark} read the score`, remaining: 'raise it', next: 'write 100' },
          },
        ],
      };
    }
    return { toolCalls: [{ name: 'read_file', arguments: { path: 'score.txt' } }] };
  });
  const h = await createHarness(env, fake);
  const spec = parseGoalSpec({
    objective: 'Raise the score to 100 (OBJECTIVE-MARK)',
    workspace: ws,
    metrics: [scoreMetric(100)],
    budget: { maxTurns: TURNS + 10 },
    ...NO_FINISHING,
    model: { contextWindow: WINDOW, compactAt: COMPACT_AT },
    stall: { noProgress: 100, repeatedFailures: 50 },
  });
  const started = Date.now();
  const { outcome, status, runs } = await h.worker.runUntil(async () => {
    const handle = await startGoal(env.client, spec, {
      taskQueue: h.taskQueue,
      goalId: 'long-run',
      tuning: { maxHistoryEvents: MAX_HISTORY },
    });
    await atEdit;
    await handle.executeUpdate(editUpdate, { args: [{ guidance: 'EDIT-MARK keep going', reason: 'mid-run edit' }] });
    editSent();
    const outcome = await handle.result();
    const runs: number[] = [];
    for await (const exec of env.client.workflow.list({ query: "WorkflowId = 'long-run'" })) {
      runs.push((await env.client.workflow.getHandle('long-run', exec.runId).fetchHistory()).events?.length ?? 0);
    }
    return { outcome, status: await handle.query(statusQuery), runs };
  });
  const seconds = (Date.now() - started) / 1000;

  expect(outcome).toMatchObject({ status: 'achieved', turns: TURNS });
  expect(status.turn).toBe(TURNS);
  // Every run continued as new before 2,000 events.
  expect(runs.length).toBeGreaterThan(TURNS / 300);
  expect(Math.max(...runs)).toBeLessThan(2_000);

  const turns = fake.requests.filter((r) => !isSummary(r));
  const summaries = fake.requests.filter(isSummary);
  // Each turn asked once, numbered 1..TURNS across every run.
  expect(turns.map(turnOf)).toEqual(Array.from({ length: TURNS }, (_, i) => i + 1));
  // Compaction happened, again and again, and the prompt stayed under its bound whatever the length.
  expect(summaries.length).toBeGreaterThan(TURNS / 200);
  expect(status.context.compactions).toBe(summaries.length);
  const prompt = turns.map((r) => promptTokensOf(r.body as Record<string, unknown>));
  expect(Math.max(...prompt)).toBeLessThanOrEqual(WINDOW * COMPACT_AT);
  for (const r of summaries) expect(promptTokensOf(r.body as Record<string, unknown>)).toBeLessThanOrEqual(WINDOW);
  // The objective, the latest edit and the frontier are in every request after they were set.
  for (const r of turns) {
    const text = allText(r);
    const n = turnOf(r);
    expect(text).toContain('OBJECTIVE-MARK');
    if (n > 3) expect(text).toContain(n > FRONTIER_2_AT ? 'FRONTIER-TWO' : 'FRONTIER-ONE');
    if (n > EDIT_AT + 1) expect(text).toContain('EDIT-MARK');
  }
  // Tokens of the turns and the summaries all count.
  expect(status.budget.tokens.used).toBeGreaterThan(prompt.reduce((a, b) => a + b, 0));
  console.log(
    `long run: ${TURNS} turns in ${seconds.toFixed(0)} s (${((seconds * 1000) / TURNS).toFixed(0)} ms/turn), ${runs.length} runs, max ${Math.max(...runs)} events/run, ${summaries.length} compactions, max prompt ${Math.max(...prompt)} tokens (bound ${WINDOW * COMPACT_AT})`,
  );
}, 900_000);
