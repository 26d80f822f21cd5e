import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { commitMilestone } from '../activities/workspace/milestone';
import { pushGoalBranch, redactCredentials } from '../activities/workspace/push';
import { gitWorkspace, tempDir } from './helpers/workspace';

const BRANCH = 'longhaul/goal-1';
const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A workspace with one milestone on the goal branch. */
async function workspace(): Promise<{ ws: string; start: string; milestone: string }> {
  const ws = gitWorkspace({ 'app.js': 'console.log(1);\n' });
  tempDirs.push(ws);
  const start = git(ws, 'rev-parse', 'HEAD').trim();
  writeFileSync(path.join(ws, 'app.js'), 'console.log(2);\n');
  const m = await commitMilestone({ workspace: ws, branch: BRANCH, startCommit: start, message: 'turn 1' });
  return { ws, start, milestone: m.commit! };
}

function bareRepository(): string {
  const dir = tempDir('longhaul-remote-');
  tempDirs.push(dir);
  git(dir, 'init', '-q', '--bare');
  return dir;
}

describe('publishing the goal branch', () => {
  test('pushes the branch to a bare repository, by path and by remote name; a repeated push is fine', async () => {
    const { ws, start, milestone } = await workspace();
    const bare = bareRepository();

    expect(await pushGoalBranch({ workspace: ws, remote: bare, branch: BRANCH })).toEqual({
      pushed: true,
      error: null,
      commit: milestone,
    });
    expect(git(bare, 'rev-parse', `refs/heads/${BRANCH}`).trim()).toBe(milestone);
    expect(await pushGoalBranch({ workspace: ws, remote: bare, branch: BRANCH })).toMatchObject({ pushed: true });

    // A later milestone, pushed through a configured remote name.
    git(ws, 'remote', 'add', 'origin', bare);
    writeFileSync(path.join(ws, 'app.js'), 'console.log(3);\n');
    const next = await commitMilestone({ workspace: ws, branch: BRANCH, startCommit: start, message: 'turn 2' });
    expect(await pushGoalBranch({ workspace: ws, remote: 'origin', branch: BRANCH })).toEqual({
      pushed: true,
      error: null,
      commit: next.commit,
    });
    expect(git(bare, 'rev-parse', `refs/heads/${BRANCH}`).trim()).toBe(next.commit);
    // Only the goal branch is published, not the user's branches.
    expect(git(bare, 'for-each-ref', '--format=%(refname)').trim()).toBe(`refs/heads/${BRANCH}`);
  });

  test('a remote branch that diverged is not overwritten: the error says so', async () => {
    const { ws, milestone } = await workspace();
    const bare = bareRepository();
    // Someone else pushed an unrelated commit to the same branch name.
    const other = gitWorkspace({ 'other.txt': 'theirs\n' });
    tempDirs.push(other);
    git(other, 'push', '-q', bare, `HEAD:refs/heads/${BRANCH}`);
    const theirs = git(other, 'rev-parse', 'HEAD').trim();

    const r = await pushGoalBranch({ workspace: ws, remote: bare, branch: BRANCH });

    expect(r.pushed).toBe(false);
    expect(r.commit).toBe(milestone);
    expect(r.error).toMatch(/rejected/);
    expect(r.error).toMatch(/diverged/);
    expect(r.error).not.toContain('\n');
    expect(git(bare, 'rev-parse', `refs/heads/${BRANCH}`).trim()).toBe(theirs);
  });

  test('a remote path that does not exist is reported, not thrown', async () => {
    const { ws, milestone } = await workspace();
    const missing = path.join(tempDir('longhaul-gone-'), 'no', 'such.git');
    const r = await pushGoalBranch({ workspace: ws, remote: missing, branch: BRANCH });
    expect(r).toEqual({ pushed: false, commit: milestone, error: expect.stringContaining('does not appear to be') });
    expect(r.error).toContain('check the remote name or URL');
    expect(r.error).not.toContain('\n');
  });

  test('an unreachable URL is reported with its credentials redacted', async () => {
    const { ws } = await workspace();
    const r = await pushGoalBranch({
      workspace: ws,
      remote: 'http://ada:s3cr3t-t0ken@127.0.0.1:1/x.git',
      branch: BRANCH,
    });
    expect(r.pushed).toBe(false);
    expect(r.error).toContain('http://***@127.0.0.1:1/x.git');
    expect(r.error).not.toMatch(/s3cr3t|ada/);
    expect(r.error).toContain('reachable');
  });

  test('a remote that never answers is given up on after the timeout, without waiting for a password', async () => {
    const { ws } = await workspace();
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => void sockets.push(s)); // accepts, then says nothing
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const began = Date.now();
      const r = await pushGoalBranch({
        workspace: ws,
        remote: `http://user:pw@127.0.0.1:${port}/x.git`,
        branch: BRANCH,
        timeoutMs: 1500,
      });
      expect(Date.now() - began).toBeLessThan(10_000);
      expect(r).toMatchObject({ pushed: false, error: expect.stringContaining('did not finish within 2 s') });
      expect(r.error).not.toContain('pw@');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a missing goal branch, an invalid branch name and an option-like remote are reported, not thrown', async () => {
    const { ws } = await workspace();
    const bare = bareRepository();
    expect(await pushGoalBranch({ workspace: ws, remote: bare, branch: 'longhaul/none' })).toEqual({
      pushed: false,
      commit: null,
      error: expect.stringContaining('does not exist'),
    });
    expect(await pushGoalBranch({ workspace: ws, remote: bare, branch: 'bad name' })).toMatchObject({
      pushed: false,
      error: expect.stringContaining('not a valid git branch name'),
    });
    expect(
      await pushGoalBranch({ workspace: ws, remote: '--receive-pack=touch /tmp/pwned', branch: BRANCH }),
    ).toMatchObject({ pushed: false, error: expect.stringContaining('give a remote name') });
    expect(git(bare, 'for-each-ref').trim()).toBe('');
  });

  test('credentials in URLs are redacted, a password containing @ included', () => {
    expect(redactCredentials("unable to access 'https://user:tok@en@github.com/o/r.git/': 403")).toBe(
      "unable to access 'https://***@github.com/o/r.git/': 403",
    );
    expect(redactCredentials('https://ghp_abc@github.com/o/r')).toBe('https://***@github.com/o/r');
    expect(redactCredentials('git@github.com:o/r.git and https://github.com/o/r')).toBe(
      'git@github.com:o/r.git and https://github.com/o/r',
    );
  });
});
