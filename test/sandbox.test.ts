/**
 * The agent's sandbox: the bwrap argv a goal's policy makes (pure), the spec's `sandbox`, and real goals whose
 * agent probes the boundary through its `shell` tool — each probe refused by the kernel, not by the command policy.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { bwrapArgs, holdoutPaths, probeSandbox, sandboxPlan, type SandboxPlan } from '../activities/security/sandbox';
import { renderStatus, type SlackStatus } from '../activities/reporting/slack/render';
import { runShell } from '../activities/tools/shell';
import { parseGoalSpec, InvalidSpecError, type GoalSpecInput } from '../goal/spec';
import { sandboxInputOf } from '../goal/sandbox';
import { formatStatus } from '../client/format';
import { lastToolResults } from './fakes/openai-server';
import { createHarness, runGoal } from './helpers/goal-harness';
import { useServerAndFake } from './helpers/suite';
import { runCli } from './helpers/cli';
import { NO_FINISHING } from './helpers/finishing';
import { BUGGY_STATS, gitWorkspace, tempDir } from './helpers/workspace';

const plan = (over: Partial<SandboxPlan> = {}): SandboxPlan => ({
  workspace: '/tmp/ws',
  home: '/home/u',
  hidden: [],
  readOnly: [],
  allowRead: [],
  allowWrite: [],
  network: false,
  ...over,
});

/** The position of a mount (flag followed by its path) in an argv, -1 when absent. */
const at = (args: string[], flag: string, p: string) => args.findIndex((a, i) => a === flag && args[i + 1] === p);

describe('the bwrap argv of a goal', () => {
  test('read-only root, private /tmp and $HOME, no network; the workspace (under /tmp) mounted after the tmpfs', () => {
    const args = bwrapArgs(plan());
    expect(args.slice(0, 3)).toEqual(['--ro-bind', '/', '/']);
    expect(args).toContain('--unshare-net');
    expect(args).toContain('--unshare-pid');
    expect(args).toContain('--die-with-parent');
    expect(at(args, '--tmpfs', '/tmp')).toBeLessThan(at(args, '--bind', '/tmp/ws'));
    expect(at(args, '--tmpfs', '/home/u')).toBeGreaterThan(0);
    expect(args.slice(-2)).toEqual(['--chdir', '/tmp/ws']);
  });

  test('network: true keeps the network; allowed paths are mounted, read-only or writable', () => {
    const args = bwrapArgs(plan({ network: true, allowRead: ['/home/u/.gitconfig'], allowWrite: ['/home/u/.cache'] }));
    expect(args).not.toContain('--unshare-net');
    expect(at(args, '--ro-bind-try', '/home/u/.gitconfig')).toBeGreaterThan(at(args, '--tmpfs', '/home/u'));
    expect(at(args, '--bind-try', '/home/u/.cache')).toBeGreaterThan(at(args, '--tmpfs', '/home/u'));
  });

  test('protected files are read-only over the workspace; hidden paths come last, so no allowed path uncovers them', () => {
    const args = bwrapArgs(
      plan({
        readOnly: ['/tmp/ws/test.js'],
        allowRead: ['/srv'],
        hidden: [
          { path: '/srv/holdout', dir: true },
          { path: '/opt/cases.js', dir: false },
        ],
      }),
    );
    expect(at(args, '--ro-bind-try', '/tmp/ws/test.js')).toBeGreaterThan(at(args, '--bind', '/tmp/ws'));
    expect(at(args, '--tmpfs', '/srv/holdout')).toBeGreaterThan(at(args, '--ro-bind-try', '/srv'));
    expect(args[at(args, '--ro-bind', '/dev/null') + 2]).toBe('/opt/cases.js');
  });

  test('a goal store that contains the workspace (longhaul demo) is hidden before the workspace is mounted', () => {
    const args = bwrapArgs(plan({ workspace: '/srv/lh/demo', hidden: [{ path: '/srv/lh', dir: true }] }));
    expect(at(args, '--tmpfs', '/srv/lh')).toBeLessThan(at(args, '--bind', '/srv/lh/demo'));
  });

  test('held-out commands name the files to hide: not system folders, the workspace or the home', () => {
    const dir = mkdtempSync('/var/tmp/longhaul-holdout-');
    writeFileSync(path.join(dir, 'cases.js'), '');
    try {
      const ws = gitWorkspace({ 'a.js': '' });
      expect(
        holdoutPaths([`/usr/bin/node ${dir}/cases.js --x=1`, 'node a.js', 'bash ~/x.sh'], ws, os.homedir()),
      ).toEqual([path.join(dir, 'cases.js')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a plan hides LONGHAUL_HOME and mounts the existing protected files', () => {
    const ws = gitWorkspace({ 'test.js': '' });
    const store = mkdtempSync('/var/tmp/longhaul-store-');
    try {
      const p = sandboxPlan({
        workspace: ws,
        longhaulHome: store,
        home: os.homedir(),
        protectedFiles: ['test.js', 'gone.js'],
      });
      expect(p.hidden).toEqual([{ path: store, dir: true }]);
      const git = path.join(p.workspace, '.git');
      expect(p.readOnly).toEqual([
        path.join(git, 'config'),
        path.join(git, 'hooks'),
        path.join(p.workspace, 'test.js'),
      ]);
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });
});

describe('the spec’s sandbox', () => {
  const base: GoalSpecInput = { objective: 'x', workspace: '/w', checks: [{ name: 't', command: 'true' }] };

  test('on by default; off and a policy validate; the activity input stays empty for the default', () => {
    expect(sandboxInputOf(parseGoalSpec(base))).toEqual({});
    expect(sandboxInputOf(parseGoalSpec({ ...base, sandbox: 'off' }))).toEqual({ sandbox: 'off' });
    const spec = parseGoalSpec({ ...base, sandbox: { network: true, allowRead: ['~/.gitconfig'] } });
    expect(sandboxInputOf(spec)).toEqual({ sandbox: { network: true, allowRead: ['~/.gitconfig'], allowWrite: [] } });
  });

  test('a host list is refused with the fix, and so is a relative path', () => {
    expect(() => parseGoalSpec({ ...base, sandbox: { network: ['registry.npmjs.org'] } })).toThrow(
      /a host list cannot be enforced without a filtering proxy.*network: true/,
    );
    expect(() => parseGoalSpec({ ...base, sandbox: { allowRead: ['node_modules'] } })).toThrow(InvalidSpecError);
  });

  test('Slack and the status say when a goal runs unsandboxed', () => {
    const status: SlackStatus = {
      goalId: 'g',
      objective: 'o',
      status: 'running',
      phase: 'working',
      turn: 1,
      maxTurns: 5,
      progress: 0,
      metrics: [],
      budget: '',
      paused: false,
      reason: null,
      updatedAt: 0,
    };
    expect(JSON.stringify(renderStatus({ ...status, unsandboxed: true }))).toContain('Unsandboxed');
    expect(JSON.stringify(renderStatus(status))).not.toContain('nsandboxed');
  });
});

describe('a machine without a sandbox', () => {
  const noBwrap = { LONGHAUL_BWRAP: '/nonexistent/bwrap', TEMPORAL_ADDRESS: '127.0.0.1:1' };

  test('longhaul doctor says so, with the fix, and exits 1', async () => {
    const r = await runCli(['doctor', '--json'], noBwrap);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ sandbox: { ok: false, problem: /apt-get install bubblewrap/ } });
    const ok = await runCli(['doctor'], {});
    expect(ok).toMatchObject({ code: 0, stdout: expect.stringContaining('sandbox: ok') });
  });

  test('start refuses (exit 2, nothing started) unless the spec says sandbox: off', async () => {
    const ws = gitWorkspace({ 'a.txt': '' });
    const refused = await runCli(['start', 'x', '--workspace', ws, '--check', 'true'], noBwrap);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("the agent's sandbox is not available on this machine");
    const file = path.join(tempDir('longhaul-spec-'), 'goal.yaml');
    writeFileSync(file, `objective: x\nworkspace: ${ws}\nchecks: [{ name: t, command: 'true' }]\nsandbox: off\n`);
    const off = await runCli(['start', file], noBwrap);
    expect(off.code).toBe(4); // past the sandbox check: Temporal is unreachable here
  });
});

describe('a sandboxed shell call', () => {
  const ws = () => gitWorkspace({ 'a.txt': 'a\n' });
  const wrapper = (p: SandboxPlan) => ({ program: 'bwrap', args: bwrapArgs(p) });

  test('this machine can sandbox (bwrap works)', () => {
    expect(probeSandbox({ fresh: true })).toMatchObject({ ok: true });
  });

  test('a timeout kills the sandboxed command through its process group', async () => {
    const dir = ws();
    const r = await runShell({
      command: 'sleep 30; echo late > late.txt',
      cwd: dir,
      timeoutMs: 500,
      wrapper: wrapper(plan({ workspace: dir, home: null })),
    });
    expect(r.timedOut).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(existsSync(path.join(dir, 'late.txt'))).toBe(false);
  });

  test('a process started with setsid (out of the process group) ends with the call', async () => {
    const dir = ws();
    const r = await runShell({
      command: "setsid bash -c 'sleep 1; echo late > late.txt' > /dev/null 2>&1 & echo started",
      cwd: dir,
      timeoutMs: 10_000,
      wrapper: wrapper(plan({ workspace: dir, home: null })),
    });
    expect(r.stdout).toContain('started');
    await new Promise((resolve) => setTimeout(resolve, 1800));
    expect(existsSync(path.join(dir, 'late.txt'))).toBe(false);
  });
});

describe('a real goal probing its sandbox', () => {
  const suite = useServerAndFake();
  const shell = (command: string) => ({ name: 'shell', arguments: { command } });
  let server: Server;
  let port = 0;
  let connections = 0;
  const realHome = process.env.HOME;
  let fakeHome = '';
  let outside = '';
  let hidden = '';
  let store = '';

  beforeAll(async () => {
    server = createServer((s) => {
      connections++;
      s.end('hello from loopback\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    // Outside /tmp (private in the sandbox anyway), so these test the sandbox's own rules.
    fakeHome = mkdtempSync('/var/tmp/longhaul-fake-home-');
    mkdirSync(path.join(fakeHome, '.ssh'));
    writeFileSync(path.join(fakeHome, '.ssh', 'id_ed25519'), 'ssh-key-marker-4711\n');
    writeFileSync(path.join(fakeHome, '.npmrc'), 'npmrc-marker-4712\n');
    outside = mkdtempSync('/var/tmp/longhaul-outside-');
    hidden = mkdtempSync('/var/tmp/longhaul-holdout-');
    writeFileSync(path.join(hidden, 'cases.js'), '// holdout-marker-4713\nprocess.exit(0);\n');
    store = mkdtempSync('/var/tmp/longhaul-store-');
    process.env.HOME = fakeHome;
  });
  afterAll(async () => {
    process.env.HOME = realHome;
    await new Promise((resolve) => server.close(resolve));
    for (const d of [fakeHome, outside, hidden, store]) rmSync(d, { recursive: true, force: true });
  });

  const spec = (ws: string, extra: Partial<GoalSpecInput> = {}): GoalSpecInput => ({
    objective: 'Make node test.js pass',
    workspace: ws,
    checks: [{ name: 'tests', command: 'node test.js' }],
    holdout: [{ name: 'hidden cases', command: `node ${hidden}/cases.js` }],
    budget: { maxTurns: 2 },
    ...NO_FINISHING,
    ...extra,
  });

  test('writing outside, the fake home, a held-out file, the goal store, a protected file, the network: all refused by the kernel, and the goal goes on', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    const probes = [
      `echo pwned > ${outside}/x.txt`,
      'cat ~/.ssh/id_ed25519',
      `cat ${hidden}/cases.js; echo "[size $(wc -c < ${hidden}/cases.js)]"`,
      `ls ${store}; ls ${store}/goals`,
      'echo "console.log(\'ok\')" > test.js',
      `(exec 3<>/dev/tcp/127.0.0.1/${port} && cat <&3) && echo CONNECTED`,
    ];
    suite.fake.setScript([{ toolCalls: probes.map(shell) }]);
    const h = await createHarness(suite.env, suite.fake, 'responses', { home: store });
    const { outcome, status } = await runGoal(h, spec(ws), 'sandbox-probes');
    expect(outcome.status).toBe('budget_exhausted');
    expect(status.sandbox).toBe('on');
    const results = lastToolResults(suite.fake.requests[1]!).map((r) => r.output);
    expect(results).toHaveLength(probes.length);
    // Each ran (an exit code, no policy refusal): the kernel said no.
    for (const r of results) {
      expect(r).toMatch(/^exit code \d+/);
      expect(r).not.toContain('Refused');
    }
    const [write, key, holdout, goalStore, prot, net] = results as [string, string, string, string, string, string];
    expect(write).toContain('Read-only file system');
    expect(existsSync(path.join(outside, 'x.txt'))).toBe(false);
    expect(key).toContain('No such file or directory');
    expect(key).not.toContain('ssh-key-marker');
    expect(holdout).toMatch(/Permission denied|\[size 0\]/); // /dev/null mounted over it
    expect(holdout).not.toContain('holdout-marker');
    expect(goalStore).toContain('No such file or directory');
    expect(existsSync(path.join(store, 'goals', 'sandbox-probes'))).toBe(true);
    expect(prot).toContain('Read-only file system');
    expect(readFileSync(path.join(ws, 'test.js'), 'utf8')).toBe(BUGGY_STATS['test.js']);
    expect(status.integrity.violations).toBe(0); // refused at once: nothing to undo
    expect(net).not.toContain('CONNECTED');
    expect(net).toMatch(/Network is unreachable|Connection refused/);
    expect(connections).toBe(0);
    // The held-out check itself runs outside the sandbox and passes.
    expect(status.holdout).toEqual([{ name: 'hidden cases', latest: true }]);
  });

  test('with network: true and an allowed path the same goal connects and reads it; node, npm and git work inside', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    const probes = [
      `(exec 3<>/dev/tcp/127.0.0.1/${port} && cat <&3) && echo CONNECTED`,
      'cat ~/.npmrc',
      'node -e \'console.log("node", 1 + 1)\' && npm --version && echo NPM-OK',
      'git checkout -q -b sandboxed && echo x > new.txt && git add new.txt && git -c user.name=a -c user.email=a@b commit -q -m new && git log --oneline | wc -l',
      'git config core.fsmonitor "touch /tmp/escaped"; echo "[config $?]"',
    ];
    suite.fake.setScript([{ toolCalls: probes.map(shell) }]);
    const h = await createHarness(suite.env, suite.fake, 'responses', { home: store });
    const { outcome } = await runGoal(
      h,
      spec(ws, { sandbox: { network: true, allowRead: ['~/.npmrc'] } }),
      'sandbox-allowed',
    );
    expect(outcome.status).toBe('budget_exhausted');
    const [net, npmrc, tools, git, config] = lastToolResults(suite.fake.requests[1]!).map((r) => r.output) as [
      string,
      string,
      string,
      string,
      string,
    ];
    expect(net).toContain('hello from loopback');
    expect(net).toContain('CONNECTED');
    expect(npmrc).toContain('npmrc-marker-4712');
    expect(tools).toContain('node 2');
    expect(tools).toContain('NPM-OK');
    expect(git).toMatch(/exit code 0[\s\S]*\b2\b/);
    // .git/config is read-only: git run by the orchestrator outside the sandbox never runs what the agent put there.
    expect(config).toContain('could not write config file');
    expect(config).not.toContain('[config 0]');
    expect(readFileSync(path.join(ws, '.git', 'config'), 'utf8')).not.toContain('fsmonitor');
  });

  test('sandbox: off runs the shell with the worker’s rights, and status says so', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    suite.fake.setScript([{ toolCalls: [shell(`cat ${hidden}/cases.js`)] }]);
    const h = await createHarness(suite.env, suite.fake, 'responses', { home: tempDir('longhaul-home-') });
    const { status } = await runGoal(h, spec(ws, { sandbox: 'off' }), 'sandbox-off');
    expect(status.sandbox).toBe('off');
    expect(formatStatus(status)).toContain('UNSANDBOXED');
    expect(lastToolResults(suite.fake.requests[1]!)[0]!.output).toContain('holdout-marker-4713');
  });
});
