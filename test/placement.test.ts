/** Goal placement's rules (goal/placement.ts) and the re-clone of a move (activities/workspace/placement.ts), without a server. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { cloneGoalBranch, type CloneGoalBranchInput } from '../activities/workspace/placement';
import { hostNameProblem, hostQueue, newHostState, rebaseArgs, resolveMove } from '../goal/placement';
import { loadWorkerConfig } from '../worker/config';
import { loadTemporalConfig } from '../common/temporal-config';
import { git, gitWorkspace, tempDir } from './helpers/workspace';

const lost = { ...newHostState('alpha'), lostSince: 1 };
const goal = { host: lost, workspace: '/srv/ws/goal', remote: 'https://git.example.com/team/app.git' };

describe('resolveMove', () => {
  test('defaults to the same workspace path and the goal remote', () => {
    expect(resolveMove({ host: 'beta' }, goal, 5)).toEqual({
      host: 'beta',
      workspace: '/srv/ws/goal',
      remote: 'https://git.example.com/team/app.git',
      at: 5,
    });
    expect(resolveMove({ host: 'beta', workspace: '/data/g', remote: 'git@host:team/app.git' }, goal, 5)).toMatchObject(
      { workspace: '/data/g', remote: 'git@host:team/app.git' },
    );
    expect(resolveMove({ host: 'beta', remote: '/mnt/remotes/app.git' }, goal, 5).remote).toBe('/mnt/remotes/app.git');
  });

  test.each([
    [{ host: 'no spaces' }, goal, 'is not a host name'],
    [{ host: 'beta' }, { ...goal, host: newHostState(null) }, 'the goal has no host'],
    [{ host: 'beta' }, { ...goal, host: newHostState('alpha') }, 'the goal\'s host "alpha" is up'],
    [{ host: 'alpha' }, goal, 'already on "alpha"'],
    [{ host: 'beta', workspace: 'relative/ws' }, goal, 'must be an absolute path'],
    [{ host: 'beta' }, { ...goal, remote: undefined }, 'no git.remote'],
    [{ host: 'beta' }, { ...goal, remote: 'origin' }, '"origin" is a remote\'s name'],
    [{ host: 'beta', remote: 'https://me:s3cret@git.example.com/app.git' }, goal, 'carries a password'],
    [
      { host: 'beta' },
      { ...goal, host: { ...lost, move: { host: 'gamma', workspace: '/x', remote: '/r', at: 1 } } },
      'a move to "gamma" is already under way',
    ],
  ])('refuses %j', (request, g, message) => {
    expect(() => resolveMove(request, g, 1)).toThrow(message);
  });
});

test('rebaseArgs moves the workspace and the paths inside it, and nothing else', () => {
  const args = [
    { workspace: '/a/ws', mirrorDir: '/a/ws/.longhaul', other: '/a/wsx', n: 3, list: ['/a/ws/f', 'x'], no: null },
  ];
  expect(rebaseArgs(args, '/a/ws', '/b/new')).toEqual([
    { workspace: '/b/new', mirrorDir: '/b/new/.longhaul', other: '/a/wsx', n: 3, list: ['/b/new/f', 'x'], no: null },
  ]);
  expect(rebaseArgs(args, '/a/ws', '/a/ws')).toEqual(args);
});

test('host names and queues', () => {
  expect(hostQueue('longhaul', 'build-1')).toBe('longhaul@build-1');
  expect(hostQueue('longhaul', null)).toBe('longhaul');
  expect(hostNameProblem('build-box_1.lan')).toBeNull();
  for (const bad of ['', '-x', 'a b', 'a@b', 'x'.repeat(64), 'a/b']) expect(hostNameProblem(bad)).toMatch(/host name/);
  expect(loadTemporalConfig({ LONGHAUL_HOST: 'alpha' }).host).toBe('alpha');
  expect(hostNameProblem(loadTemporalConfig({}).host)).toBeNull(); // the OS host name, made a valid one
  expect(() => loadWorkerConfig({ OPENAI_API_KEY: 'k', LONGHAUL_HOST: 'bad host' })).toThrow(
    /LONGHAUL_HOST: "bad host" is not a host name/,
  );
  expect(loadWorkerConfig({ OPENAI_API_KEY: 'k', LONGHAUL_HOST: 'alpha' }).host).toBe('alpha');
});

describe('cloneGoalBranch', () => {
  const mock = new MockActivityEnvironment();
  /** A store that has the goal (as a shared store does on the new host). */
  const store = { description: 'test store', readProtectedManifest: () => Promise.resolve({ files: {} } as never) };
  const env = {
    run: (_fn: unknown, input: Omit<CloneGoalBranchInput, 'goalId'>) =>
      mock.run(cloneGoalBranch, store, { goalId: 'g', ...input }),
  };
  function remoteWithBranch(): { remote: string; tip: string } {
    const ws = gitWorkspace({ 'a.txt': 'one\n' });
    git(ws, 'checkout', '-q', '-b', 'longhaul/g');
    writeFileSync(path.join(ws, 'a.txt'), 'two\n');
    git(ws, 'commit', '-qam', 'milestone');
    const remote = tempDir('longhaul-remote-');
    execFileSync('git', ['init', '-q', '--bare', remote]);
    git(ws, 'push', '-q', remote, 'longhaul/g');
    return { remote, tip: git(ws, 'rev-parse', 'HEAD').trim() };
  }

  test('clones the goal branch with HEAD detached at its tip; a retry finds the clone and takes it', async () => {
    const { remote, tip } = remoteWithBranch();
    const workspace = path.join(tempDir(), 'deep', 'ws');
    const input = { remote, branch: 'longhaul/g', workspace };
    expect(await env.run(cloneGoalBranch, input)).toEqual({ commit: tip });
    expect(readFileSync(path.join(workspace, 'a.txt'), 'utf8')).toBe('two\n');
    expect(git(workspace, 'rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe('HEAD'); // detached
    expect(git(workspace, 'rev-parse', 'refs/heads/longhaul/g').trim()).toBe(tip);
    expect(await env.run(cloneGoalBranch, input)).toEqual({ commit: tip });
  });

  test('an empty folder is used; a folder with other things in it is refused, untouched', async () => {
    const { remote, tip } = remoteWithBranch();
    const empty = tempDir();
    expect(await env.run(cloneGoalBranch, { remote, branch: 'longhaul/g', workspace: empty })).toEqual({ commit: tip });
    const busy = tempDir();
    writeFileSync(path.join(busy, 'mine.txt'), 'keep me\n');
    await expect(env.run(cloneGoalBranch, { remote, branch: 'longhaul/g', workspace: busy })).rejects.toThrow(
      /exists and is not empty: give the goal a new workspace path/,
    );
    expect(readdirSync(busy)).toEqual(['mine.txt']);
    expect(readFileSync(path.join(busy, 'mine.txt'), 'utf8')).toBe('keep me\n');
  });

  test('a host whose goal store does not have the goal refuses the move: it needs a shared store', async () => {
    const { remote } = remoteWithBranch();
    const workspace = path.join(tempDir(), 'w');
    const empty = { description: '/beta/home', readProtectedManifest: () => Promise.resolve(null) };
    await expect(
      mock.run(cloneGoalBranch, empty, { goalId: 'g', remote, branch: 'longhaul/g', workspace }),
    ).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringMatching(/goal store \(\/beta\/home\) has nothing of goal g: .*LONGHAUL_STORE_URL/),
    });
    expect(existsSync(workspace)).toBe(false);
  });

  test('a branch never pushed, or no repository at all, fails for good with the fix', async () => {
    const { remote } = remoteWithBranch();
    await expect(
      env.run(cloneGoalBranch, { remote, branch: 'longhaul/other', workspace: path.join(tempDir(), 'w') }),
    ).rejects.toMatchObject({ nonRetryable: true, message: expect.stringMatching(/never pushed there/) });
    await expect(
      env.run(cloneGoalBranch, {
        remote: '/nonexistent/repo.git',
        branch: 'longhaul/g',
        workspace: path.join(tempDir(), 'w'),
      }),
    ).rejects.toMatchObject({ nonRetryable: true, message: expect.stringMatching(/check the remote URL/) });
  });
});
