/**
 * Protection by the role of a file (issue 19): what checks and number-reading metrics name is protected, what a
 * wall_time metric runs is editable, package.json protects only the scripts a guard runs, `editable` exempts; the
 * refusals the agent gets, counted until the user is asked, and the edit that allows a path.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import {
  buildProtectedManifest,
  checkIntegrity,
  protectionPlan,
  protectionReason,
  restoreProtected,
  type ProtectionPlan,
} from '../activities/security/protected-paths';
import { protectWorkspace } from '../activities/security/protect-workspace';
import { FileGoalStore } from '../activities/store/files';
import { runTool } from '../activities/tools/dispatch';
import { protectionOf } from '../activities/tools/execute';
import { applyEditToSpec, describeChanges, parseGoalEdit } from '../goal/edit';
import { FAILURE } from '../goal/failures';
import { protectionChanged, protectionInput, protectionWarnings } from '../goal/protection';
import { GoalRun, migrateState } from '../goal/run';
import { parseGoalSpec, type GoalSpecInput } from '../goal/spec';
import { editFromFlags } from '../client/spec-input';
import { formatProtection, protectionSummary } from '../client/protection';
import { git, gitWorkspace, tempDir } from './helpers/workspace';

const SLOW_SPEC = (ws: string, extra: Partial<GoalSpecInput> = {}) =>
  parseGoalSpec({
    objective: 'make slow.sh 30% faster',
    workspace: ws,
    metrics: [
      {
        name: 'build_seconds',
        command: './slow.sh',
        measure: 'wall_time',
        direction: 'lower',
        target: { relative: -0.3 },
      },
    ],
    checks: [{ name: 'still-builds', command: './check.sh' }],
    ...extra,
  });

function slowWorkspace(): string {
  const ws = gitWorkspace({ 'slow.sh': '#!/bin/bash\nsleep 0.3\n', 'check.sh': '#!/bin/bash\n./slow.sh\n' });
  chmodSync(path.join(ws, 'slow.sh'), 0o755);
  chmodSync(path.join(ws, 'check.sh'), 0o755);
  return ws;
}

const PACKAGE = {
  name: 'app',
  version: '1.0.0',
  scripts: { test: 'node test.js', build: 'node build.js' },
  dependencies: { leftpad: '1.0.0' },
};

function npmWorkspace(): string {
  return gitWorkspace({
    'package.json': `${JSON.stringify(PACKAGE, null, 2)}\n`,
    'test.js': "require('./lib.js');\n",
    'lib.js': 'module.exports = 1;\n',
    'build.js': "console.log('built');\n",
  });
}

const plan = (spec: ReturnType<typeof parseGoalSpec>) => protectionPlan(protectionInput(spec), spec.workspace);
const entry = (p: ProtectionPlan, at: string) => p.entries.find((e) => e.path === at);

describe('protection follows the role of a file', () => {
  test('what a check names is protected, what a wall_time metric runs stays editable', async () => {
    const ws = slowWorkspace();
    const p = await plan(SLOW_SPEC(ws));
    expect(entry(p, 'check.sh')).toEqual({ path: 'check.sh', protected: true, reason: 'named by check still-builds' });
    expect(entry(p, 'slow.sh')).toMatchObject({ protected: false });
    expect(entry(p, 'slow.sh')?.reason).toMatch(/^run by metric build_seconds: the workload being timed, editable/);
    expect(p.patterns).toEqual(['check.sh']);
    const manifest = await buildProtectedManifest(ws, p);
    expect(Object.keys(manifest.files)).toEqual(['check.sh']);
    expect(protectionReason(manifest, 'check.sh')).toBe('named by check still-builds');
    expect(protectionReason(manifest, 'slow.sh')).toBeNull();
  });

  test('a metric that reads a number protects its script; so does a held-out check', async () => {
    const ws = gitWorkspace({ 'score.sh': 'echo 3\n', 'hidden.sh': 'exit 0\n' });
    const spec = parseGoalSpec({
      objective: 'raise the score',
      workspace: ws,
      metrics: [
        {
          name: 'score',
          command: 'bash score.sh',
          measure: 'stdout_number',
          pattern: '(\\d+)',
          direction: 'higher',
          target: { absolute: 10 },
        },
      ],
      holdout: [{ name: 'hidden', command: 'bash hidden.sh' }],
    });
    const p = await plan(spec);
    expect(entry(p, 'score.sh')).toEqual({
      path: 'score.sh',
      protected: true,
      reason: 'named by metric score, which reads its number from it',
    });
    expect(entry(p, 'hidden.sh')).toMatchObject({ protected: true, reason: 'named by held-out check hidden' });
    const manifest = await buildProtectedManifest(ws, p);
    const write = (file: string) =>
      runTool({
        workspace: ws,
        name: 'write_file',
        arguments: JSON.stringify({ path: file, content: 'echo 100\n' }),
        defaultShellTimeoutMs: 30_000,
        maxOutputChars: 20_000,
        storeFullOutput: () => Promise.resolve('ref'),
        isProtected: (rel) => protectionReason(manifest, rel) !== null,
        protectedReason: (rel) => protectionReason(manifest, rel),
      });
    const refused = await write('score.sh');
    expect(refused.isError).toBe(true);
    expect(refused.output).toMatch(/^score\.sh is protected \(named by metric score, which reads its number from it\)/);
    expect(refused.refused).toEqual({
      path: 'score.sh',
      reason: 'named by metric score, which reads its number from it',
    });
    expect(readFileSync(path.join(ws, 'score.sh'), 'utf8')).toBe('echo 3\n');
    // The agent is not told about the held-out check; the user is (refused.reason).
    const hidden = await write('hidden.sh');
    expect(hidden.output).toMatch(/^hidden\.sh is protected \(it guards the verification\)/);
    expect(hidden.refused?.reason).toBe('named by held-out check hidden');
  });

  test('editable exempts a check-named file from the automatic rules; an explicit protect glob still protects', async () => {
    const ws = slowWorkspace();
    const p = await plan(SLOW_SPEC(ws, { editable: ['check.sh'] }));
    expect(entry(p, 'check.sh')).toEqual({
      path: 'check.sh',
      protected: false,
      reason: 'editable: check.sh (else named by check still-builds)',
    });
    expect(p.patterns).toEqual([]);
    const explicit = await plan(SLOW_SPEC(ws, { editable: ['*.sh'], protect: ['slow.sh'] }));
    expect(entry(explicit, 'slow.sh')).toEqual({
      path: 'slow.sh',
      protected: true,
      reason: 'matches protect: slow.sh',
    });
    expect(entry(explicit, 'check.sh')).toMatchObject({ protected: false });
    expect(entry(explicit, 'slow.sh')?.protected && explicit.patterns).toEqual(['slow.sh']);
  });

  test('start shows what is protected and why, and warns when a wall_time metric has no check', async () => {
    const ws = slowWorkspace();
    const lines = formatProtection(await protectionSummary(SLOW_SPEC(ws)));
    expect(lines).toContain('protected  check.sh: named by check still-builds');
    expect(lines.some((l) => l.startsWith('editable   slow.sh: run by metric build_seconds'))).toBe(true);
    const unguarded = SLOW_SPEC(ws, { checks: [], checklist: ['it is faster'] });
    expect(protectionWarnings(unguarded)).toEqual([
      expect.stringMatching(/^metric build_seconds times `\.\/slow\.sh`/),
    ]);
    expect(protectionWarnings(SLOW_SPEC(ws))).toEqual([]);
    const elsewhere = await protectionSummary(SLOW_SPEC('/nonexistent/ws'));
    expect(elsewhere.entries).toBeNull();
  });
});

describe('package.json: the scripts a guard runs are protected, not the file', () => {
  const npmSpec = (ws: string) =>
    parseGoalSpec({ objective: 'tests pass', workspace: ws, checks: [{ name: 'tests', command: 'npm test' }] });

  test('npm test protects scripts.test (and pre/post) and the files its value names, not package.json', async () => {
    const ws = npmWorkspace();
    const p = await plan(npmSpec(ws));
    expect(p.scripts.map((s) => `${s.file}:${s.name}`)).toEqual([
      'package.json:posttest',
      'package.json:pretest',
      'package.json:test',
    ]);
    expect(entry(p, 'package.json:scripts.test')).toMatchObject({ protected: true, reason: 'named by check tests' });
    expect(entry(p, 'test.js')).toMatchObject({
      protected: true,
      reason: 'named by check tests (through npm script test)',
    });
    expect(p.patterns).toEqual(['test.js']);
    // A wall_time metric's `npm run build` protects nothing: the build script is the workload.
    const build = parseGoalSpec({
      objective: 'faster build',
      workspace: ws,
      metrics: [{ name: 'build', command: 'npm run build', direction: 'lower', target: { relative: -0.3 } }],
      checks: [{ name: 'tests', command: 'npm test' }],
    });
    const q = await plan(build);
    expect(entry(q, 'package.json:scripts.build')).toMatchObject({ protected: false });
    expect(q.scripts.map((s) => s.name)).not.toContain('build');
  });

  test('reduce build time: a test script that runs the build leaves the build (its script and files) editable', async () => {
    const ws = gitWorkspace({
      'package.json': JSON.stringify({ scripts: { test: 'npm run build && node test.js', build: 'node build.js' } }),
      'test.js': 'process.exit(0);\n',
      'build.js': "console.log('built');\n",
    });
    const p = await plan(
      parseGoalSpec({
        objective: 'reduce build time by 30%',
        workspace: ws,
        metrics: [{ name: 'build', command: 'npm run build', direction: 'lower', target: { relative: -0.3 } }],
        checks: [{ name: 'tests', command: 'npm test' }],
      }),
    );
    expect(entry(p, 'package.json:scripts.test')).toMatchObject({ protected: true });
    expect(entry(p, 'package.json:scripts.build')).toMatchObject({ protected: false });
    expect(entry(p, 'build.js')).toMatchObject({ protected: false });
    expect(entry(p, 'test.js')).toMatchObject({
      protected: true,
      reason: 'named by check tests (through npm script test)',
    });
    expect(p.patterns).toEqual(['test.js']);
    expect(p.scripts.map((s) => s.name).sort()).toEqual(['posttest', 'pretest', 'test']);
  });

  test('a new dependency is no violation; a changed scripts.test is, and only that entry is put back', async () => {
    const ws = npmWorkspace();
    const start = git(ws, 'rev-parse', 'HEAD').trim();
    const manifest = await buildProtectedManifest(ws, await plan(npmSpec(ws)));
    const pkgPath = path.join(ws, 'package.json');
    const withDep = { ...PACKAGE, dependencies: { ...PACKAGE.dependencies, 'is-even': '1.0.0' } };
    writeFileSync(pkgPath, `${JSON.stringify(withDep, null, 2)}\n`);
    expect(await checkIntegrity(ws, manifest)).toEqual([]);

    writeFileSync(
      pkgPath,
      `${JSON.stringify({ ...withDep, scripts: { ...PACKAGE.scripts, test: 'exit 0' } }, null, 2)}\n`,
    );
    const violations = await checkIntegrity(ws, manifest);
    expect(violations).toEqual([{ path: 'package.json:scripts.test', change: 'modified' }]);
    const lines = await restoreProtected(ws, start, manifest, violations);
    expect(lines).toEqual(['package.json:scripts.test: put back as at the baseline (the rest of package.json kept)']);
    expect(JSON.parse(readFileSync(pkgPath, 'utf8'))).toEqual(withDep);
    expect(await checkIntegrity(ws, manifest)).toEqual([]);

    // Adding a pretest the baseline did not have is a change too; deleting package.json restores it whole.
    writeFileSync(pkgPath, JSON.stringify({ ...withDep, scripts: { ...PACKAGE.scripts, pretest: 'true' } }));
    expect(await checkIntegrity(ws, manifest)).toEqual([{ path: 'package.json:scripts.pretest', change: 'added' }]);
    writeFileSync(pkgPath, 'not json');
    const broken = await checkIntegrity(ws, manifest);
    expect(broken.map((v) => v.change)).toEqual(['modified', 'modified', 'modified']);
    const restored = await restoreProtected(ws, start, manifest, broken);
    expect(restored[0]).toMatch(/^package\.json: restored from the start commit/);
    expect(await checkIntegrity(ws, manifest)).toEqual([]);
  });
});

describe('the protection manifest in the goal store', () => {
  test('an editable edit takes it again: what it recorded keeps its baseline hash', async () => {
    const ws = slowWorkspace();
    const store = new FileGoalStore(tempDir('longhaul-home-'));
    const spec = SLOW_SPEC(ws, { protect: ['notes/**'] });
    await protectWorkspace(store, { goalId: 'g', workspace: ws, ...protectionInput(spec) });
    const first = (await store.readProtectedManifest('g'))!;
    expect(Object.keys(first.files)).toEqual(['check.sh']);
    writeFileSync(path.join(ws, 'check.sh'), 'exit 0\n'); // tampered before the edit: still seen after it
    const edited = applyEditToSpec(spec, parseGoalEdit({ editable: ['other.sh'] }), { turns: 0, tokens: 0, hours: 0 });
    expect(protectionChanged(spec, edited)).toBe(true);
    await protectWorkspace(store, { goalId: 'g', workspace: ws, ...protectionInput(edited), retake: true });
    const second = (await store.readProtectedManifest('g'))!;
    expect(second.files['check.sh']).toBe(first.files['check.sh']);
    expect(await checkIntegrity(ws, second)).toEqual([{ path: 'check.sh', change: 'modified' }]);

    const freed = applyEditToSpec(edited, parseGoalEdit({ editable: ['check.sh'] }), { turns: 0, tokens: 0, hours: 0 });
    const result = await protectWorkspace(store, {
      goalId: 'g',
      workspace: ws,
      ...protectionInput(freed),
      retake: true,
    });
    expect(result.files).toBe(0);
    expect(await checkIntegrity(ws, (await store.readProtectedManifest('g'))!)).toEqual([]);
  });

  test('a goal whose manifest is missing after baseline is refused (another goal store); a draft has none', async () => {
    const store = new FileGoalStore(tempDir('longhaul-home-'));
    const protection = protectionOf(store);
    await expect(protection('draft-1', 'draft')).resolves.toBeUndefined();
    const refusal = await protection('goal-1', 'goal').then(
      () => null,
      (err: unknown) => err,
    );
    expect(refusal).toBeInstanceOf(ApplicationFailure);
    expect((refusal as ApplicationFailure).type).toBe(FAILURE.goalStoreMismatch);
    expect((refusal as ApplicationFailure).nonRetryable).toBe(true);
    await store.writeProtectedManifest('goal-1', {
      patterns: ['a.sh'],
      files: {},
      reasons: { 'a.sh': 'named by check c' },
    });
    const found = await protection('goal-1', 'goal');
    expect(found?.isProtected('a.sh')).toBe(true);
    expect(found?.reasonOf('a.sh')).toBe('named by check c');
  });
});

describe('refusals reach the user', () => {
  const refused = { path: 'check.sh', reason: 'named by check still-builds' };

  test('the third refused write of a path needs attention, once, naming the edit that allows it', () => {
    const run = GoalRun.create('goal-19', SLOW_SPEC('/ws'), 0);
    run.recordRefusal(refused, 1);
    run.recordRefusal(refused, 2);
    expect(run.state.attention).toBeNull();
    run.recordRefusal(refused, 3);
    const text =
      'the agent keeps trying to change check.sh (protected because named by check still-builds); ' +
      'allow it with `longhaul edit goal-19 --editable check.sh` (refused 3 times)';
    expect(run.state.attention).toEqual({ at: 3, text });
    expect(run.state.outbox.filter((e) => e.kind === 'attention').map((e) => e.text)).toEqual([
      `needs attention: ${text}`,
    ]);
    expect(run.takeNotes().join('\n')).toContain('check.sh stays protected: the user has been told');
    run.recordRefusal(refused, 4);
    expect(run.state.outbox.filter((e) => e.kind === 'attention')).toHaveLength(1);
    expect(run.view(5).integrity.refusals).toEqual([{ ...refused, count: 4 }]);
    expect(run.view(5).attention?.text).toBe(text);

    run.protectionRetaken(0, 6);
    expect(run.state.attention).toBeNull();
    expect(run.view(7).integrity).toMatchObject({ protectedFiles: 0, refusals: [] });
  });

  test('a path the spec protects explicitly: the hint says --editable does not lift it', () => {
    const run = GoalRun.create('goal-19', SLOW_SPEC('/ws'), 0);
    for (let i = 0; i < 3; i++) run.recordRefusal({ path: 'test/a.js', reason: 'matches protect: test/**' }, i);
    expect(run.state.attention?.text).toMatch(
      /protected because matches protect: test\/\*\*\); the spec's protect lists it/,
    );
  });

  test('states carried from before refusals were counted get none', () => {
    const run = GoalRun.create('goal-19', SLOW_SPEC('/ws'), 0);
    const old = JSON.parse(JSON.stringify(run.state)) as { integrity: Record<string, unknown> };
    delete old.integrity.refusals;
    const restored = new GoalRun(migrateState(old));
    expect(restored.view(1).integrity.refusals).toEqual([]);
    restored.recordRefusal(refused, 2);
    expect(restored.state.integrity.refusals).toHaveLength(1);
  });

  test('the editable edit: flag, validation and the change it describes', () => {
    const edit = editFromFlags({ editable: ['check.sh'], reason: 'it is the script to speed up' });
    expect(edit).toEqual({ editable: ['check.sh'], reason: 'it is the script to speed up' });
    const spec = SLOW_SPEC('/ws');
    const after = applyEditToSpec(spec, edit, { turns: 0, tokens: 0, hours: 0 });
    expect(after.editable).toEqual(['check.sh']);
    expect(describeChanges(spec, after)).toEqual(['check.sh is now editable (exempt from the automatic protection)']);
    const again = applyEditToSpec(after, parseGoalEdit({ editable: ['check.sh', 'lib/**'] }), {
      turns: 0,
      tokens: 0,
      hours: 0,
    });
    expect(again.editable).toEqual(['check.sh', 'lib/**']);
    expect(() => parseGoalEdit({ editable: [] })).toThrow(/editable/);
  });
});
