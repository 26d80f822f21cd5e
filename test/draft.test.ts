/**
 * Drafting a goal end to end, through the CLI, on a real dev server with the fake model: the draft explores
 * read-only (in a throw-away copy), proposes a spec the orchestrator measures itself, writes goal.yaml and PLAN.md,
 * takes a revision in the same draft, and `longhaul start` runs what it wrote. A draft never changes the workspace.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { readSpecFile } from '../client/spec-input';
import type { DraftView } from '../goal/draft';
import { parseGoalSpec } from '../goal/spec';
import { allText, type FakeReply, type RecordedRequest } from './fakes/openai-server';
import { hostWorkerWarning } from '../client/placement';
import { runCli } from './helpers/cli';
import { createHarness, type Harness } from './helpers/goal-harness';
import { useServerAndFake } from './helpers/suite';
import { startWorkerProcess, waitFor } from './helpers/worker-process';
import { git, gitWorkspace, tempDir } from './helpers/workspace';

const suite = useServerAndFake();

const isDraft = (r: RecordedRequest) =>
  String(r.body.instructions ?? '').startsWith("You are Longhaul's planning agent");
const call = (name: string, args: Record<string, unknown>): FakeReply => ({ toolCalls: [{ name, arguments: args }] });

/** The benchmark runs work.sh (the code under test); each run leaves a line in runs.log. */
const SLOW = {
  'bench.sh': 'echo run >> runs.log\nbash work.sh\n',
  // 0.6 s, so that a loaded machine's few tens of ms of process start stay well inside the −30% target.
  'work.sh': 'sleep 0.6\n',
  'test.sh': 'exit 0\n',
};

const SPEC_YAML = `objective: Make the benchmark at least 30% faster
metrics:
  - { name: bench_seconds, command: bash bench.sh, measure: wall_time, direction: lower, target: { relative: -0.3 } }
checks:
  - { name: tests, command: bash test.sh }
protect: [test.sh]
budget: { maxTurns: 10 }
`;
const PLAN = '# Plan\n\n1. work.sh sleeps: shorten the sleep.\n';

/** `longhaul start` sends the goal to this machine's host (LONGHAUL_HOST), whose queue the goal's harness polls. */
const HOST = 'draft-host';

function cli(h: Harness, home: string, args: string[], cwd?: string) {
  return runCli(
    args,
    { TEMPORAL_ADDRESS: suite.env.address, LONGHAUL_TASK_QUEUE: h.taskQueue, LONGHAUL_HOME: home, LONGHAUL_HOST: HOST },
    cwd,
  );
}

/** Content hashes of every file in the workspace (.git included): a draft must leave all of them alone. */
function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

test('a draft proposes a spec whose baseline the orchestrator measured; a revision updates it; start runs it', async () => {
  const ws = gitWorkspace(SLOW);
  const before = hashes(ws);
  const home = tempDir('longhaul-draft-home-');
  const out = tempDir('longhaul-draft-out-');
  let drafts = 0;
  suite.fake.setScript((req) => {
    if (!isDraft(req)) {
      // The goal started from the draft: make work.sh faster; then nothing more (review and clean-up included).
      return allText(req).includes('FINALIZING') || suite.fake.requests.filter((r) => !isDraft(r)).length > 1
        ? { text: 'nothing more to do' }
        : call('write_file', { path: 'work.sh', content: 'sleep 0.1\n' });
    }
    drafts += 1;
    if (allText(req).includes('The user revises the request: repeat it 7 times')) {
      return call('propose_goal', {
        specYaml: SPEC_YAML.replace('relative: -0.3 }', 'relative: -0.3 }, repeat: 7'),
        plan: PLAN,
      });
    }
    if (drafts === 1) return call('shell', { command: 'cat bench.sh work.sh; time bash bench.sh' });
    return call('propose_goal', { specYaml: SPEC_YAML, plan: PLAN });
  });
  const h = await createHarness(suite.env, suite.fake, 'responses', {}, { host: HOST });
  const { first, revised, closed } = await h.worker.runUntil(async () => {
    const first = await cli(h, home, ['draft', 'the benchmark is too slow', '--workspace', ws, '--out', out, '--json']);
    const revised = await cli(h, home, ['draft', '--revise', 'repeat it 7 times', '--json']);
    const closed = await cli(h, home, ['draft', '--close']);
    return { first, revised, closed };
  });
  // Nothing the draft did reached the workspace: the benchmark's runs.log was written in the copies only.
  expect(hashes(ws)).toEqual(before);
  expect(existsSync(path.join(ws, 'runs.log'))).toBe(false);

  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  const view = JSON.parse(first.stdout) as DraftView & { files: { spec: string; plan: string } };
  expect(view.phase).toBe('proposed');
  const [metric] = view.proposal!.measurement.metrics;
  // The orchestrator's own runs: five samples of a 0.6 s command, none of which the model reported.
  expect(metric!.values).toHaveLength(5);
  for (const v of metric!.values) expect(v).toBeGreaterThan(0.58);
  expect(metric!.error).toBeNull();
  expect(view.proposal!.measurement.checks).toEqual([expect.objectContaining({ name: 'tests', passed: true })]);
  expect(view.proposal!.warnings).toEqual([]);
  expect(view.files).toEqual({ spec: path.join(out, 'goal.yaml'), plan: path.join(out, 'PLAN.md') });

  // The files: a spec `start` accepts, naming the workspace and the plan; the plan as proposed.
  expect(readFileSync(path.join(out, 'PLAN.md'), 'utf8')).toBe(PLAN);
  const written = parseGoalSpec(readSpecFile(path.join(out, 'goal.yaml')));
  expect(written).toMatchObject({ workspace: ws, plan: path.join(out, 'PLAN.md'), protect: ['test.sh'] });
  expect(written.metrics[0]).toMatchObject({ name: 'bench_seconds', repeat: 7 }); // the revision's

  // The revision: same draft, proposal 2, the model told what the user asked.
  const second = JSON.parse(revised.stdout) as DraftView;
  expect(revised.code).toBe(0);
  expect(second.draftId).toBe(view.draftId);
  expect(second.proposal!.version).toBe(2);
  expect(second.requests).toEqual(['the benchmark is too slow', 'repeat it 7 times']);
  expect(second.proposal!.measurement.metrics[0]!.values).toHaveLength(7);
  expect(closed.stdout.trim()).toBe(`closed ${view.draftId}`);

  // And the drafted goal runs.
  const h2 = await createHarness(suite.env, suite.fake, 'responses', {}, { host: HOST }); // a worker runs once
  const started = await h2.worker.runUntil(() =>
    cli(h2, home, ['start', path.join(out, 'goal.yaml'), '--wait', '--json']),
  );
  expect(started.stderr).toBe('');
  expect(started.code).toBe(0);
  expect(JSON.parse(started.stdout)).toMatchObject({ status: 'achieved' });
  // The goal's agent reads the drafted plan every turn.
  const goalTurn = suite.fake.requests.find((q) => !isDraft(q))!;
  expect(allText(goalTurn)).toContain(`# Plan (${path.join(out, 'PLAN.md')}, re-read every turn)\n${PLAN}`);
}, 180_000);

test('a draft that tries to write changes nothing in the workspace, and the refusals are reported', async () => {
  const ws = gitWorkspace(SLOW);
  const before = hashes(ws);
  const home = tempDir('longhaul-draft-home-');
  let n = 0;
  suite.fake.setScript(() => {
    n += 1;
    if (n === 1) {
      return {
        toolCalls: [
          { name: 'write_file', arguments: { path: 'notes.txt', content: 'x' } },
          { name: 'edit_file', arguments: { path: 'work.sh', oldText: 'sleep 0.6', newText: 'true' } },
          { name: 'shell', arguments: { command: 'echo true > work.sh; rm test.sh; git commit -qam hacked' } },
        ],
      };
    }
    return call('propose_goal', { specYaml: SPEC_YAML, plan: PLAN });
  });
  const h = await createHarness(suite.env, suite.fake, 'responses', {}, { host: HOST });
  const r = await h.worker.runUntil(() =>
    cli(h, home, ['draft', 'make it faster', '--workspace', ws, '--out', tempDir('longhaul-draft-out-')]),
  );
  expect(r.code).toBe(0);
  expect(git(ws, 'status', '--porcelain')).toBe('');
  expect(hashes(ws)).toEqual(before);
  expect(r.stdout).toContain('refused  refused: write_file (read-only draft)');
  expect(r.stdout).toContain('refused  refused: edit_file (read-only draft)');
  expect(r.stdout).toMatch(/refused {2}wrote to the throw-away copy: shell: echo true > work\.sh/);
  // The model was told, in the results of its calls.
  const results = allText(suite.fake.requests[1]!);
  expect(results).toContain('Refused: write_file is not available while drafting');
  expect(results).toContain(
    "[draft] Refused to keep: this command changed files. It ran in a throw-away copy, so the user's workspace is unchanged",
  );
  // The orchestrator measured a fresh copy, not the one the shell command broke.
  expect(r.stdout).toContain('check    tests: `bash test.sh` — passes now');
}, 120_000);

test('a failing check, a target inside the noise and a metric that does not parse are warned about', async () => {
  const ws = gitWorkspace({ 'test.sh': 'echo "1 failing"; exit 1\n', 'noisy.sh': 'echo $((100 + RANDOM % 60))\n' });
  const spec = `objective: Fewer failures, a bit faster
metrics:
  - { name: noisy, command: bash noisy.sh, measure: stdout_number, pattern: '(\\d+)', direction: lower, target: { relative: -0.05 }, repeat: 8 }
  - { name: broken, command: echo no number here, measure: stdout_number, pattern: '(\\d+)', direction: lower, target: { absolute: 1 } }
checks:
  - { name: tests, command: bash test.sh }
`;
  suite.fake.setScript(() => call('propose_goal', { specYaml: spec, plan: PLAN }));
  const h = await createHarness(suite.env, suite.fake, 'responses', {}, { host: HOST });
  const r = await h.worker.runUntil(() =>
    cli(h, tempDir('longhaul-draft-home-'), [
      'draft',
      'fix it',
      '--workspace',
      ws,
      '--out',
      tempDir('longhaul-draft-out-'),
    ]),
  );
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('WARNING  check tests fails now (exit 1)');
  expect(r.stdout).toMatch(/WARNING {2}metric noisy: the target \(−5%\) is inside the measured noise/);
  expect(r.stdout).toMatch(/WARNING {2}metric broken does not give a number: .* — fix its command, measure or pattern/);
  // The orchestrator sent the broken metric back to the model before giving up on it.
  expect(suite.fake.requests.some((q) => allText(q).includes('metric broken gave no number'))).toBe(true);
}, 120_000);

test('a proposal that does not validate goes back to the model with what to fix', async () => {
  const ws = gitWorkspace(SLOW);
  let n = 0;
  suite.fake.setScript(() => {
    n += 1;
    return n === 1
      ? call('propose_goal', { specYaml: 'objective: faster\nmetrics: []\n', plan: PLAN })
      : call('propose_goal', { specYaml: SPEC_YAML, plan: PLAN });
  });
  const h = await createHarness(suite.env, suite.fake, 'responses', {}, { host: HOST });
  const r = await h.worker.runUntil(() =>
    cli(h, tempDir('longhaul-draft-home-'), [
      'draft',
      'faster',
      '--workspace',
      ws,
      '--out',
      tempDir('longhaul-draft-out-'),
    ]),
  );
  expect(r.code).toBe(0);
  expect(allText(suite.fake.requests[1]!)).toContain(
    'The proposed spec is not valid:\n- metrics: a goal needs a verifiable exit criterion',
  );
}, 120_000);

test('longhaul init writes a commented example spec that validates, and never overwrites', async () => {
  const dir = tempDir('longhaul-init-');
  git(dir, 'init', '-q');
  const h = await createHarness(suite.env, suite.fake, 'responses', {}, { host: HOST });
  const first = await cli(h, tempDir(), ['init'], dir);
  expect(first.code).toBe(0);
  const text = readFileSync(path.join(dir, 'goal.yaml'), 'utf8');
  expect(text).toMatch(/^# A Longhaul goal/);
  expect(parseGoalSpec(readSpecFile(path.join(dir, 'goal.yaml')))).toMatchObject({ workspace: dir });
  expect(YAML.parse(text)).toHaveProperty('metrics');
  const again = await cli(h, tempDir(), ['init'], dir);
  expect(again.code).toBe(2);
  expect(again.stderr).toContain('goal.yaml exists: pass another path');
});

test('a draft whose model refuses the key says why there is no proposal, and exits 3', async () => {
  const ws = gitWorkspace(SLOW);
  suite.fake.setScript(() => ({ fault: 'auth' }));
  const h = await createHarness(suite.env, suite.fake, 'responses', {}, { host: HOST });
  const r = await h.worker.runUntil(() =>
    cli(h, tempDir('longhaul-draft-home-'), ['draft', 'faster', '--workspace', ws, '--out', tempDir()]),
  );
  expect(r.code).toBe(3);
  expect(r.stdout).toMatch(/no proposal \(stopped: .*(401|API key)/i);
  expect(r.stdout + r.stderr).not.toContain('sk-test-secret-key');
}, 60_000);

test('a draft survives a worker SIGKILL mid-exploration: a new worker finishes it, completed turns are not asked again', async () => {
  const ws = gitWorkspace(SLOW);
  const home = tempDir('longhaul-draft-home-');
  // In the copy: the agent's sandboxed shell can write nowhere else (its /tmp is private). The copy is made once per
  // draft, so the retry finds it.
  const marker = '.longhaul-test-started';
  const markerWritten = () =>
    readdirSync(home, { recursive: true, encoding: 'utf8' }).some((f) => path.basename(f) === marker);
  suite.fake.setScript((req) => {
    if (suite.fake.requests.length === 1) {
      // A long shell command in the throw-away copy; the worker is killed while it runs.
      return call('shell', { command: `if [ -e ${marker} ]; then echo again; else touch ${marker}; sleep 60; fi` });
    }
    return allText(req).includes('The user')
      ? call('propose_goal', { specYaml: SPEC_YAML, plan: PLAN })
      : { text: '?' };
  });
  const taskQueue = `draft-kill-${process.pid}`;
  const workerOptions = {
    address: suite.env.address,
    taskQueue,
    home,
    openaiBaseUrl: suite.fake.url,
    env: { LONGHAUL_HOST: HOST },
  };
  const first = startWorkerProcess(workerOptions);
  // The draft goes to the host's queue: start it once the worker polls there (else `draft` warns that none does).
  for (const deadline = Date.now() + 60_000; await hostWorkerWarning(suite.env.client, 'default', taskQueue, HOST);) {
    if (Date.now() > deadline) throw new Error(`the worker did not poll its host queue\n${first.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const cliEnv = {
    TEMPORAL_ADDRESS: suite.env.address,
    LONGHAUL_TASK_QUEUE: taskQueue,
    LONGHAUL_HOME: home,
    LONGHAUL_HOST: HOST,
  };
  const drafting = runCli(
    ['draft', 'faster', '--workspace', ws, '--out', tempDir(), '--id', 'draft-kill', '--json'],
    cliEnv,
  );
  await waitFor(markerWritten, 60_000, `the long shell command to start\n${first.output()}`);
  first.child.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');
  const second = startWorkerProcess(workerOptions);
  try {
    const r = await drafting;
    expect(r.stderr).toBe('');
    const view = JSON.parse(r.stdout) as DraftView;
    expect(view).toMatchObject({ draftId: 'draft-kill', phase: 'proposed', proposal: { version: 1 } });
    // Turn 1's model call was in history before the crash: asked once; the interrupted shell call ran again.
    expect(
      suite.fake.requests.filter((q) => /# The request \(turn 1\)/.test(String(q.body.instructions))),
    ).toHaveLength(1);
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
}, 180_000);
