import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { commitMilestone, DEFAULT_IDENTITY, MILESTONE_FAILURE, milestoneLog } from '../activities/workspace/milestone';
import { git, gitWorkspace, tempDir } from './helpers/workspace';

const BRANCH = 'longhaul/goal-1';
const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A repository with a committed app, a .gitignore, and the user on branch `main`. */
function workspace(): { ws: string; start: string } {
  const ws = gitWorkspace({
    'app.js': 'console.log(1);\n',
    'lib/util.js': 'exports.x = 1;\n',
    '.gitignore': 'dist/\n*.log\n',
  });
  tempDirs.push(ws);
  git(ws, 'branch', '-M', 'main');
  return { ws, start: git(ws, 'rev-parse', 'HEAD').trim() };
}

/** Everything of the user's that a milestone must leave alone. */
function userState(ws: string) {
  return {
    head: git(ws, 'rev-parse', 'HEAD').trim(),
    branch: git(ws, 'symbolic-ref', 'HEAD').trim(),
    status: git(ws, 'status', '--porcelain=v1', '--untracked-files=all'),
    index: git(ws, 'ls-files', '--stage'),
    staged: git(ws, 'diff', '--cached', '--name-status'),
    indexBytes: readFileSync(path.join(ws, '.git', 'index')).toString('hex'),
  };
}

/** The files of a commit with their content. */
function filesOf(ws: string, commit: string): Record<string, string> {
  const names = git(ws, 'ls-tree', '-r', '--name-only', commit).split('\n').filter(Boolean);
  return Object.fromEntries(names.map((n) => [n, git(ws, 'show', `${commit}:${n}`)]));
}

describe('milestone commits', () => {
  test('each call with changes adds one commit to the goal branch, created from the start commit', async () => {
    const { ws, start } = workspace();
    writeFileSync(path.join(ws, 'app.js'), 'console.log(2);\n');
    const first = await commitMilestone({
      workspace: ws,
      branch: BRANCH,
      startCommit: start,
      message: 'turn 3: faster build',
    });
    expect(first.created).toBe(true);
    expect(first.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(git(ws, 'rev-parse', `refs/heads/${BRANCH}`).trim()).toBe(first.commit);
    expect(git(ws, 'rev-parse', `${first.commit}^`).trim()).toBe(start);
    expect(filesOf(ws, first.commit!)['app.js']).toBe('console.log(2);\n');

    writeFileSync(path.join(ws, 'new-file.js'), 'exports.y = 2;\n');
    unlinkSync(path.join(ws, 'lib', 'util.js'));
    const second = await commitMilestone({
      workspace: ws,
      branch: BRANCH,
      startCommit: start,
      message: 'turn 7: new module',
    });
    expect(second.created).toBe(true);
    expect(git(ws, 'rev-parse', `${second.commit}^`).trim()).toBe(first.commit);
    expect(Object.keys(filesOf(ws, second.commit!)).sort()).toEqual(['.gitignore', 'app.js', 'new-file.js']);

    const log = await milestoneLog(ws, BRANCH, start);
    expect(log.map((e) => [e.commit, e.subject])).toEqual([
      [first.commit, 'turn 3: faster build'],
      [second.commit, 'turn 7: new module'],
    ]);
    expect(log[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  test('nothing changed: no commit, and no branch before the first milestone', async () => {
    const { ws, start } = workspace();
    const none = await commitMilestone({ workspace: ws, branch: BRANCH, startCommit: start, message: 'turn 1' });
    expect(none).toEqual({ commit: null, created: false });
    expect(git(ws, 'branch', '--list', BRANCH).trim()).toBe('');
    expect(await milestoneLog(ws, BRANCH, start)).toEqual([]);

    writeFileSync(path.join(ws, 'app.js'), 'console.log(3);\n');
    const made = await commitMilestone({ workspace: ws, branch: BRANCH, startCommit: start, message: 'turn 2' });
    const again = await commitMilestone({ workspace: ws, branch: BRANCH, startCommit: start, message: 'turn 3' });
    expect(again).toEqual({ commit: made.commit, created: false });
    expect(await milestoneLog(ws, BRANCH, start)).toHaveLength(1);
  });

  test('a retried call records nothing twice', async () => {
    const { ws, start } = workspace();
    writeFileSync(path.join(ws, 'app.js'), 'console.log(4);\n');
    const input = { workspace: ws, branch: BRANCH, startCommit: start, message: 'turn 4: milestone' };
    const results = [await commitMilestone(input), await commitMilestone(input), await commitMilestone(input)];
    expect(results.map((r) => r.created)).toEqual([true, false, false]);
    expect(new Set(results.map((r) => r.commit)).size).toBe(1);
    expect(git(ws, 'rev-list', '--count', `${start}..refs/heads/${BRANCH}`).trim()).toBe('1');
  });

  test('two calls at once record the files once (the branch moves by compare-and-swap)', async () => {
    const { ws, start } = workspace();
    writeFileSync(path.join(ws, 'app.js'), 'console.log("both");\n');
    const results = await Promise.all(
      ['turn 5 (attempt 1)', 'turn 5 (attempt 2)', 'turn 5 (attempt 3)'].map((message) =>
        commitMilestone({ workspace: ws, branch: BRANCH, startCommit: start, message }),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.commit)).size).toBe(1);
    expect(git(ws, 'rev-list', '--count', `${start}..refs/heads/${BRANCH}`).trim()).toBe('1');
  });

  test("leaves the user's HEAD, branch, index, staged changes and working tree exactly as they were", async () => {
    const { ws, start } = workspace();
    // The user has a staged change, an unstaged change on top of it, an untracked file and an ignored one.
    writeFileSync(path.join(ws, 'app.js'), 'console.log("staged");\n');
    git(ws, 'add', 'app.js');
    writeFileSync(path.join(ws, 'app.js'), 'console.log("unstaged");\n');
    writeFileSync(path.join(ws, 'notes.txt'), 'untracked\n');
    writeFileSync(path.join(ws, 'debug.log'), 'ignored\n');
    const before = userState(ws);
    const files = { app: readFileSync(path.join(ws, 'app.js'), 'utf8') };

    const r = await commitMilestone({ workspace: ws, branch: BRANCH, startCommit: start, message: 'turn 1' });

    expect(r.created).toBe(true);
    expect(userState(ws)).toEqual(before);
    expect(readFileSync(path.join(ws, 'app.js'), 'utf8')).toBe(files.app);
    expect(before.status).toContain('MM app.js'); // the fixture really has staged and unstaged changes
    // The milestone holds the working tree's content (not the staged one), the untracked file, not the ignored one.
    const committed = filesOf(ws, r.commit!);
    expect(committed['app.js']).toBe('console.log("unstaged");\n');
    expect(committed['notes.txt']).toBe('untracked\n');
    expect(committed).not.toHaveProperty(['debug.log']);
  });

  test('.gitignore is honoured: ignored files and folders are left out', async () => {
    const { ws, start } = workspace();
    mkdirSync(path.join(ws, 'dist'));
    writeFileSync(path.join(ws, 'dist', 'bundle.js'), 'built\n');
    writeFileSync(path.join(ws, 'build.log'), 'log\n');
    writeFileSync(path.join(ws, 'src.js'), 'source\n');
    const r = await commitMilestone({ workspace: ws, branch: BRANCH, startCommit: start, message: 'turn 1' });
    expect(Object.keys(filesOf(ws, r.commit!)).sort()).toEqual(['.gitignore', 'app.js', 'lib/util.js', 'src.js']);
  });

  test('works when the user has moved on: the goal branch keeps growing from its own tip', async () => {
    const { ws, start } = workspace();
    writeFileSync(path.join(ws, 'app.js'), 'console.log(5);\n');
    const first = await commitMilestone({ workspace: ws, branch: BRANCH, startCommit: start, message: 'turn 1' });
    git(ws, 'add', '-A');
    git(ws, '-c', 'user.name=u', '-c', 'user.email=u@x', 'commit', '-q', '-m', 'user commit');
    writeFileSync(path.join(ws, 'more.js'), '1\n');
    const second = await commitMilestone({ workspace: ws, branch: BRANCH, startCommit: start, message: 'turn 2' });
    expect(git(ws, 'rev-parse', `${second.commit}^`).trim()).toBe(first.commit);
    expect(git(ws, 'symbolic-ref', 'HEAD').trim()).toBe('refs/heads/main');
  });

  test('refuses the branch checked out in the workspace, with a permanent failure', async () => {
    const { ws, start } = workspace();
    writeFileSync(path.join(ws, 'app.js'), 'changed\n');
    const before = userState(ws);
    await expect(
      commitMilestone({ workspace: ws, branch: 'main', startCommit: start, message: 'turn 1' }),
    ).rejects.toMatchObject({
      type: MILESTONE_FAILURE.branchCheckedOut,
      nonRetryable: true,
      message: expect.stringContaining('main is checked out'),
    });
    expect(userState(ws)).toEqual(before);
  });

  test('refuses invalid branch names, including shorthands git would expand', async () => {
    const { ws, start } = workspace();
    git(ws, 'checkout', '-q', '-b', 'other');
    git(ws, 'checkout', '-q', 'main'); // now @{-1} means "other"
    for (const branch of ['bad name', 'a..b', '-x', 'ends.lock', '@{-1}', '', 'x~1', 'HEAD']) {
      await expect(commitMilestone({ workspace: ws, branch, startCommit: start, message: 'm' })).rejects.toMatchObject({
        type: MILESTONE_FAILURE.branchInvalid,
        nonRetryable: true,
      });
    }
    expect(git(ws, 'rev-parse', 'other').trim()).toBe(start);
  });

  test('a start commit missing from the repository is a permanent failure', async () => {
    const { ws } = workspace();
    await expect(
      commitMilestone({ workspace: ws, branch: BRANCH, startCommit: 'f'.repeat(40), message: 'm' }),
    ).rejects.toMatchObject({ type: MILESTONE_FAILURE.startCommitMissing, nonRetryable: true });
  });

  describe('extra files', () => {
    const REPORT = '# Final report\n\nachieved <b>\n';

    test('land in the commit but never in the workspace; the user’s status and index stay as they were', async () => {
      const { ws, start } = workspace();
      writeFileSync(path.join(ws, 'app.js'), 'console.log("final");\n');
      const before = userState(ws);
      const r = await commitMilestone({
        workspace: ws,
        branch: BRANCH,
        startCommit: start,
        message: 'achieved: final report',
        extraFiles: { 'REPORT.md': REPORT, 'docs/longhaul/report.md': 'nested\n' },
      });
      expect(r.created).toBe(true);
      expect(git(ws, 'show', `${BRANCH}:REPORT.md`)).toBe(REPORT);
      expect(git(ws, 'show', `${BRANCH}:docs/longhaul/report.md`)).toBe('nested\n');
      expect(filesOf(ws, r.commit!)['app.js']).toBe('console.log("final");\n'); // the working files too
      expect(existsSync(path.join(ws, 'REPORT.md'))).toBe(false);
      expect(existsSync(path.join(ws, 'docs'))).toBe(false);
      expect(userState(ws)).toEqual(before);
      expect(git(ws, 'status', '--porcelain')).toBe(' M app.js\n');
    });

    test('are recorded once: the same files again add no commit; other content adds one', async () => {
      const { ws, start } = workspace();
      const input = { workspace: ws, branch: BRANCH, startCommit: start, message: 'final' };
      const first = await commitMilestone({ ...input, extraFiles: { 'REPORT.md': REPORT } });
      const again = await commitMilestone({ ...input, extraFiles: { 'REPORT.md': REPORT } });
      expect(first.created).toBe(true); // nothing else changed: the report alone makes the commit
      expect(again).toEqual({ commit: first.commit, created: false });
      const changed = await commitMilestone({ ...input, extraFiles: { 'REPORT.md': `${REPORT}more\n` } });
      expect(changed.created).toBe(true);
      expect(git(ws, 'rev-list', '--count', `${start}..refs/heads/${BRANCH}`).trim()).toBe('2');
    });

    test('replace a working file of the same path in the commit only', async () => {
      const { ws, start } = workspace();
      const r = await commitMilestone({
        workspace: ws,
        branch: BRANCH,
        startCommit: start,
        message: 'final',
        extraFiles: { 'app.js': 'replaced\n' },
      });
      expect(filesOf(ws, r.commit!)['app.js']).toBe('replaced\n');
      expect(readFileSync(path.join(ws, 'app.js'), 'utf8')).toBe('console.log(1);\n');
    });

    test('refuse paths outside the work tree, inside .git, or clashing with a folder or file, before any commit', async () => {
      const { ws, start } = workspace();
      writeFileSync(path.join(ws, 'app.js'), 'changed\n');
      const before = userState(ws);
      const bad = [
        '/etc/passwd',
        '../outside.md',
        'docs/../../x.md',
        './REPORT.md',
        '.git/hooks/post-commit',
        'sub/.GIT/config',
        'a//b.md',
        'dir/',
        '',
        'C:/report.md',
        'docs\\report.md',
        'lib', // a folder of committed files
        'app.js/REPORT.md', // under a file
      ];
      for (const file of bad) {
        await expect(
          commitMilestone({
            workspace: ws,
            branch: BRANCH,
            startCommit: start,
            message: 'm',
            extraFiles: { [file]: 'x' },
          }),
        ).rejects.toMatchObject({ type: MILESTONE_FAILURE.extraFileInvalid, nonRetryable: true });
      }
      await expect(
        commitMilestone({
          workspace: ws,
          branch: BRANCH,
          startCommit: start,
          message: 'm',
          extraFiles: { 'out/a.md': 'x', out: 'y' },
        }),
      ).rejects.toMatchObject({ type: MILESTONE_FAILURE.extraFileInvalid });
      expect(git(ws, 'branch', '--list', BRANCH).trim()).toBe('');
      expect(userState(ws)).toEqual(before);
      expect(existsSync(path.join(path.dirname(ws), 'outside.md'))).toBe(false);
    });
  });

  describe('the author', () => {
    const saved = { ...process.env };
    afterEach(() => {
      for (const k of ['GIT_CONFIG_GLOBAL', 'GIT_CONFIG_NOSYSTEM']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    });

    test('is Longhaul on a machine where git has no identity', async () => {
      const { ws, start } = workspace();
      const cfgDir = tempDir('longhaul-gitcfg-');
      tempDirs.push(cfgDir);
      const emptyConfig = path.join(cfgDir, 'config');
      writeFileSync(emptyConfig, '');
      process.env.GIT_CONFIG_GLOBAL = emptyConfig;
      process.env.GIT_CONFIG_NOSYSTEM = '1';
      writeFileSync(path.join(ws, 'app.js'), 'x\n');
      const r = await commitMilestone({ workspace: ws, branch: BRANCH, startCommit: start, message: 'turn 1' });
      expect(git(ws, 'log', '-1', '--format=%an <%ae>|%cn <%ce>', r.commit!).trim()).toBe(
        `${DEFAULT_IDENTITY.name} <${DEFAULT_IDENTITY.email}>|${DEFAULT_IDENTITY.name} <${DEFAULT_IDENTITY.email}>`,
      );
    });

    test("is git's configured identity when there is one", async () => {
      const { ws, start } = workspace();
      git(ws, 'config', 'user.name', 'Ada Lovelace');
      git(ws, 'config', 'user.email', 'ada@example.org');
      writeFileSync(path.join(ws, 'app.js'), 'y\n');
      const r = await commitMilestone({ workspace: ws, branch: BRANCH, startCommit: start, message: 'turn 1' });
      expect(git(ws, 'log', '-1', '--format=%an <%ae>', r.commit!).trim()).toBe('Ada Lovelace <ada@example.org>');
    });
  });
});
