/**
 * Records the goal histories that test/replay.test.ts replays (test/fixtures/histories), by running representative
 * goals on a real dev server with the fake model, and rewrites the README there. Skipped unless RECORD_HISTORIES=1:
 *
 *   RECORD_HISTORIES=1 npx jest test/record-histories.test.ts
 */
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ASK_INSTRUCTIONS } from '../activities/agent/ask';
import { startGoal } from '../client/goals';
import { locateTemporalCli } from '../client/temporal-cli';
import { closeDraftSignal, draftQuery, reviseSignal } from '../goal/draft';
import { askUpdate, editUpdate, guideSignal, pauseUpdate, resumeUpdate, statusQuery } from '../goal/messages';
import { SEARCH_ATTRIBUTES } from '../goal/search-attributes';
import { parseGoalSpec, type GoalSpecInput } from '../goal/spec';
import type { draftWorkflow } from '../workflows/draft';
import type { goalWorkflow } from '../workflows/goal';
import { allText, FakeOpenAI, type FakeScript, type RecordedRequest } from './fakes/openai-server';
import { deferred } from './helpers/deferred';
import { createHarness } from './helpers/goal-harness';
import { fetchRunChain, HISTORIES_DIR, writeHistories } from './helpers/replay';
import { startTestServer } from './helpers/temporal';
import { scoreMetric, scoreWorkspace, writeScore } from './helpers/workspace';

const describeRecording = process.env.RECORD_HISTORIES === '1' ? describe : describe.skip;

interface Recording {
  readonly workflowId: string;
  readonly about: string;
  readonly files: readonly string[];
  readonly events: readonly number[];
  readonly outcome: string;
}
const recordings: Recording[] = [];
/** The goals (and the draft) recorded below. */
const GOALS = 8;

const isAsk = (req: RecordedRequest) => String(req.body.instructions ?? '').startsWith(ASK_INSTRUCTIONS.slice(0, 40));

function scoreGoal(target: number, maxTurns: number): GoalSpecInput {
  return {
    objective: 'Raise the score',
    workspace: scoreWorkspace(1),
    metrics: [scoreMetric(target)],
    budget: { maxTurns },
  };
}

/**
 * Runs a goal with the fake model answering `script`, lets `steer` act on it while it runs, and writes the history
 * of every run it made.
 */
async function record(
  env: TestWorkflowEnvironment,
  fake: FakeOpenAI,
  goal: { workflowId: string; about: string; spec: GoalSpecInput; script: FakeScript },
  steer: (handle: WorkflowHandle<typeof goalWorkflow>) => Promise<void> = () => Promise.resolve(),
): Promise<Recording> {
  fake.requests.length = 0;
  fake.setScript(goal.script);
  const h = await createHarness(env, fake);
  const outcome = await h.worker.runUntil(async () => {
    const handle = await startGoal(env.client, parseGoalSpec(goal.spec), {
      taskQueue: h.taskQueue,
      goalId: goal.workflowId,
    });
    await steer(handle);
    return handle.result();
  });
  const runs = await fetchRunChain(env.client, goal.workflowId);
  const recording = {
    workflowId: goal.workflowId,
    about: goal.about,
    files: writeHistories(goal.workflowId, runs),
    events: runs.map((r) => r.events?.length ?? 0),
    outcome: `${outcome.status} after ${outcome.turns} turn(s)`,
  };
  recordings.push(recording);
  return recording;
}

describeRecording('recording goal histories for replay', () => {
  let env: TestWorkflowEnvironment;
  let fake: FakeOpenAI;
  beforeAll(async () => {
    env = await startTestServer();
    fake = await FakeOpenAI.start();
  });
  afterAll(async () => {
    await fake?.close();
    await env?.teardown();
    if (recordings.length === GOALS) writeReadme(); // only a complete recording describes the folder
  });

  test('a simple goal achieved in two turns', async () => {
    const r = await record(env, fake, {
      workflowId: 'simple-achieved',
      about: 'baseline, two model turns with a write_file each, verification after each; achieved',
      spec: scoreGoal(5, 10),
      script: (_req, i) => writeScore(i === 0 ? 3 : 5),
    });
    expect(r.outcome).toBe('achieved after 5 turn(s)'); // 2 turns, then 3 clean-up turns
  });

  test('a goal steered while it runs: guidance, an edit, pause, ask while paused, resume', async () => {
    const turn2 = deferred();
    const release2 = deferred();
    const main = () => fake.requests.filter((r) => !isAsk(r)).length;
    const r = await record(
      env,
      fake,
      {
        workflowId: 'steered',
        about:
          'guide signal and edit update (target 5 → 9) during turn 2, pause update, then at the turn boundary ' +
          'an ask update (an activity in an update handler) while paused, resume update; achieved at turn 3',
        spec: scoreGoal(5, 10),
        script: async (req) => {
          if (isAsk(req)) return { text: 'Raising the score step by step; it is 4 of 9.' };
          if (main() === 1) return writeScore(2);
          if (main() === 2) {
            turn2.resolve();
            await release2.promise;
            return writeScore(4);
          }
          return writeScore(9);
        },
      },
      async (handle) => {
        await turn2.promise;
        await handle.signal(guideSignal, 'Write 9 into score.txt');
        await handle.executeUpdate(editUpdate, {
          args: [{ targets: { score: { absolute: 9 } }, reason: 'aim higher' }],
        });
        await handle.executeUpdate(pauseUpdate, { args: [{ reason: 'review' }] });
        release2.resolve();
        // Queries answer after a workflow task completes: once turn 2 is verified, the goal holds at the boundary.
        for (;;) {
          const s = await handle.query(statusQuery);
          if (s.turn === 2 && s.metrics[0]?.latest === 4) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await handle.executeUpdate(askUpdate, { args: ['what are you doing?'] });
        await handle.executeUpdate(resumeUpdate, { args: [] });
      },
    );
    expect(r.outcome).toBe('achieved after 6 turn(s)'); // 3 turns, then 3 clean-up turns
  });

  test('a goal that runs out of turns', async () => {
    const r = await record(env, fake, {
      workflowId: 'budget-exhausted',
      about: 'two turns that raise the score short of the target; budget_exhausted (maxTurns 2)',
      spec: scoreGoal(100, 2),
      script: (_req, i) => writeScore(i + 2),
    });
    expect(r.outcome).toBe('budget_exhausted after 5 turn(s)'); // 2 turns, then 3 clean-up turns
  });

  test('a goal whose wait ends by its timer', async () => {
    const wait = { name: 'wait', arguments: { minutes: 60, reason: 'the nightly job' } };
    const r = await record(env, fake, {
      workflowId: 'waited',
      about:
        'the agent asks to wait an hour; the wait, capped by the hours budget (maxHours 0.002, 7.2 s), ' +
        'ends by its timer; budget_exhausted',
      spec: { ...scoreGoal(100, 10), budget: { maxTurns: 10, maxHours: 0.002 } },
      script: (_req, i) => (i === 0 ? { toolCalls: [wait] } : writeScore(2)),
    });
    expect(r.outcome).toMatch(/^budget_exhausted after/);
  });

  test('a goal whose context is compacted', async () => {
    // A window of 3,000 tokens (prompt budget 1,800): each turn reads a 3,000-character file, so from turn 3 on the
    // oldest turns no longer fit and are summarised before the model is asked.
    const ws = scoreWorkspace(1);
    writeFileSync(path.join(ws, 'notes.txt'), `${'a line of notes about the score\n'.repeat(100)}`);
    const isSummary = (req: RecordedRequest) => !Array.isArray(req.body.tools) || req.body.tools.length === 0;
    let turns = 0;
    const r = await record(env, fake, {
      workflowId: 'compacted',
      about: 'five turns that each read a long file on a 3,000-token window: older turns summarised; achieved',
      spec: { ...scoreGoal(5, 10), model: { contextWindow: 3_000, compactAt: 0.6 } },
      script: (req) => {
        if (isSummary(req)) return { text: 'summary: read notes.txt; the score is 1' };
        turns += 1;
        return turns < 5 ? { toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] } : writeScore(5);
      },
    });
    expect(r.outcome).toMatch(/^achieved after/);
    expect(fake.requests.filter(isSummary).length).toBeGreaterThan(0);
  });

  test('a goal whose quick tool calls run as local activities', async () => {
    const reads = {
      toolCalls: [
        { name: 'read_file', arguments: { path: 'score.txt' } },
        { name: 'list_files', arguments: { path: '.' } },
        { name: 'search', arguments: { pattern: '\\d' } },
        { name: 'record_progress', arguments: { done: 'read the score', remaining: 'raise it', next: 'write 5' } },
      ],
    };
    const r = await record(env, fake, {
      workflowId: 'quick-tools-local',
      about:
        'a turn of read_file, list_files, search and record_progress (local activities, since the ' +
        '`quick-tools-local-activities` patch), then a write_file turn; achieved',
      spec: scoreGoal(5, 10),
      script: (_req, i) => (i === 0 ? reads : writeScore(5)),
    });
    expect(r.outcome).toBe('achieved after 5 turn(s)'); // 2 turns, then 3 clean-up turns
  });

  test('a goal that continues-as-new', async () => {
    // Its own server, with a tiny history threshold so that Temporal suggests continue-as-new every few turns.
    const canEnv = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: locateTemporalCli() },
        searchAttributes: [...SEARCH_ATTRIBUTES],
        ip: '127.0.0.1',
        extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=60'],
      },
    });
    try {
      const r = await record(canEnv, fake, {
        workflowId: 'continue-as-new',
        about:
          'six turns on a server that suggests continue-as-new at 60 events: each run after the first ' +
          'starts from the carried state; achieved',
        spec: scoreGoal(100, 20),
        script: (_req, i) => writeScore(i + 1 >= 6 ? 100 : i + 1),
      });
      expect(r.outcome).toBe('achieved after 9 turn(s)'); // 6 turns, then 3 clean-up turns
      expect(r.files.length).toBeGreaterThan(1);
    } finally {
      await canEnv.teardown();
    }
  });
});

describeRecording('recording a draft history for replay', () => {
  test('a draft: explore, propose, measure, a revision, proposed again, closed', async () => {
    const env = await startTestServer();
    const fake = await FakeOpenAI.start();
    try {
      const spec = `objective: Raise the score\nmetrics:\n  - { name: score, command: cat score.txt, measure: stdout_number, pattern: '(\\d+)', direction: higher, target: { absolute: 5 } }\n`;
      fake.setScript((req) =>
        allText(req).includes('The user revises')
          ? {
              toolCalls: [
                {
                  name: 'propose_goal',
                  arguments: { specYaml: spec.replace('absolute: 5', 'absolute: 9'), plan: '# Plan\n' },
                },
              ],
            }
          : fake.requests.length === 1
            ? { toolCalls: [{ name: 'read_file', arguments: { path: 'score.txt' } }] }
            : { toolCalls: [{ name: 'propose_goal', arguments: { specYaml: spec, plan: '# Plan\n' } }] },
      );
      const h = await createHarness(env, fake);
      const view = await h.worker.runUntil(async () => {
        const handle = await env.client.workflow.start<typeof draftWorkflow>('draftWorkflow', {
          workflowId: 'draft',
          taskQueue: h.taskQueue,
          args: [{ request: 'raise the score', workspace: scoreWorkspace(1) }],
        });
        const until = async (version: number) => {
          while (((await handle.query(draftQuery)).proposal?.version ?? 0) < version) {
            await new Promise((r) => setTimeout(r, 100));
          }
        };
        await until(1);
        await handle.signal(reviseSignal, 'aim for 9');
        await until(2);
        await handle.signal(closeDraftSignal);
        return handle.result();
      });
      expect(view).toMatchObject({ phase: 'closed', proposal: { version: 2 } });
      const runs = await fetchRunChain(env.client, 'draft');
      recordings.push({
        workflowId: 'draft',
        about: 'a draft: read_file, propose_goal, the measurement; a revise signal, proposed again; close signal',
        files: writeHistories('draft', runs),
        events: runs.map((r) => r.events?.length ?? 0),
        outcome: `closed with proposal ${view.proposal?.version}`,
      });
      if (recordings.length === GOALS) writeReadme();
    } finally {
      await fake.close();
      await env.teardown();
    }
  });
});

function writeReadme(): void {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: HISTORIES_DIR, encoding: 'utf8' }).trim();
  const commit = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--', '../../../workflows', '../../../goal') !== '';
  const rows = recordings
    .sort((a, b) => a.workflowId.localeCompare(b.workflowId))
    .map(
      (r) => `| ${r.files.map((f) => `\`${f}\``).join('<br>')} | ${r.events.join(' + ')} | ${r.outcome} | ${r.about} |`,
    );
  const text = `# Recorded goal histories

Histories of real goals (dev server, fake model), replayed by \`test/replay.test.ts\` against the current
\`workflows/\`: a workflow change that would break goals already running fails that test instead of a 100-hour
goal. Each file is one run's history in Temporal's JSON form (as \`temporal workflow show -o json\` writes it),
named \`<workflowId>.json\`, or \`<workflowId>.run-<n>.json\` for the runs of a goal that continued-as-new.

Recorded from commit ${commit}${dirty ? ' with uncommitted changes in workflows/ or goal/' : ''} on ${new Date().toISOString().slice(0, 10)}.
Every goal finishes as by default: the review, then up to 3 clean-up turns (counted in the outcome's turns).

| file | events | outcome | what it exercises |
| --- | --- | --- | --- |
${rows.join('\n')}

## When replay fails

The workflow change is not replay-safe: goals running on the old code would fail on a worker with the new code.
Either make it safe (\`patched('name')\` around the new behaviour, keeping the old path), or, if no such goal needs to
survive the deploy, re-record and commit the new histories with the change:

    RECORD_HISTORIES=1 npx jest test/record-histories.test.ts

Recording runs the goals in \`test/record-histories.test.ts\` (about 20 seconds) and rewrites these files and this README.
`;
  const readme = path.join(HISTORIES_DIR, 'README.md');
  writeFileSync(readme, text);
}
