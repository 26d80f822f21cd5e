import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { commitMilestone } from '../activities/workspace/milestone';
import { RESTORE_FAILURE, restoreWorkingTree } from '../activities/workspace/restore';
import { git, gitWorkspace, tempDir } from './helpers/workspace';

const BRANCH = 'longhaul/goal-1';
const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * A repository on branch `main` with a committed app, an executable script, a symlink and a .gitignore, and a
 * milestone of it (with one change) on the goal branch.
 */
async function workspace(): Promise<{ ws: string; milestone: string }> {
  const ws = gitWorkspace({
    'app.js': 'console.log(1);\n',
    'lib/util.js': 'exports.x = 1;\n',
    'run.sh': '#!/bin/sh\necho run\n',
    '.gitignore': 'node_modules/\ndist/\n*.log\n',
  });
  tempDirs.push(ws);
  chmodSync(path.join(ws, 'run.sh'), 0o755);
  symlinkSync('lib/util.js', path.join(ws, 'util-link.js'));
  git(ws, 'add', '-A');
  git(ws, '-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit', '-q', '-m', 'with script and link');
  git(ws, 'branch', '-M', 'main');
  const start = git(ws, 'rev-parse', 'HEAD').trim();
  writeFileSync(path.join(ws, 'app.js'), 'console.log("milestone");\n');
  writeFileSync(path.join(ws, 'verified.js'), 'exports.ok = true;\n');
  const m = await commitMilestone({ workspace: ws, branch: BRANCH, startCommit: start, message: 'turn 1: verified' });
  return { ws, milestone: m.commit! };
}

/** The working tree as git would record it (mode, blob hash, path of every non-ignored file), via a scratch index. */
function workingTreeEntries(ws: string): string {
  const dir = tempDir('longhaul-test-index-');
  tempDirs.push(dir);
  const env = { ...process.env, GIT_INDEX_FILE: path.join(dir, 'index') };
  execFileSync('git', ['add', '-A'], { cwd: ws, env, stdio: 'pipe' });
  return execFileSync('git', ['ls-files', '-s'], { cwd: ws, env, encoding: 'utf8' });
}

function commitEntries(ws: string, commit: string): string {
  const dir = tempDir('longhaul-test-index-');
  tempDirs.push(dir);
  const env = { ...process.env, GIT_INDEX_FILE: path.join(dir, 'index') };
  execFileSync('git', ['read-tree', commit], { cwd: ws, env, stdio: 'pipe' });
  return execFileSync('git', ['ls-files', '-s'], { cwd: ws, env, encoding: 'utf8' });
}

/** Everything of the user's a restore must leave alone; the index file is read before any git command can touch it. */
function userState(ws: string) {
  return {
    indexBytes: readFileSync(path.join(ws, '.git', 'index')).toString('hex'),
    head: git(ws, 'rev-parse', 'HEAD').trim(),
    branch: git(ws, 'symbolic-ref', 'HEAD').trim(),
    index: git(ws, 'ls-files', '--stage'),
    refs: git(ws, 'for-each-ref', '--format=%(refname) %(objectname)'),
  };
}

describe('restoring the working tree to a milestone', () => {
  test('edits, new files, deletions, mode and type changes are undone; the tree equals the milestone', async () => {
    const { ws, milestone } = await workspace();
    writeFileSync(path.join(ws, 'app.js'), 'console.log("broken");\n'); // edited
    unlinkSync(path.join(ws, 'verified.js')); // deleted
    rmSync(path.join(ws, 'lib'), { recursive: true }); // folder deleted
    writeFileSync(path.join(ws, 'scratch.js'), 'junk\n'); // added
    mkdirSync(path.join(ws, 'experiments', 'deep'), { recursive: true });
    writeFileSync(path.join(ws, 'experiments', 'deep', 'try.js'), 'junk\n'); // added in new folders
    chmodSync(path.join(ws, 'run.sh'), 0o644); // lost its executable bit
    unlinkSync(path.join(ws, 'util-link.js'));
    writeFileSync(path.join(ws, 'util-link.js'), 'now a file\n'); // symlink replaced by a file
    expect(workingTreeEntries(ws)).not.toBe(commitEntries(ws, milestone));

    const r = await restoreWorkingTree({ workspace: ws, commit: milestone });

    expect(workingTreeEntries(ws)).toBe(commitEntries(ws, milestone));
    expect(r).toEqual({
      restored: ['app.js', 'lib/util.js', 'run.sh', 'util-link.js', 'verified.js'],
      removed: ['experiments/deep/try.js', 'scratch.js'],
    });
    expect(statSync(path.join(ws, 'run.sh')).mode & 0o111).not.toBe(0);
    expect(lstatSync(path.join(ws, 'util-link.js')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(ws, 'util-link.js'))).toBe('lib/util.js');
    expect(existsSync(path.join(ws, 'experiments'))).toBe(false); // folders left empty go too
  });

  test("HEAD, the branch, the user's index (staged changes included) and refs stay exactly as they were", async () => {
    const { ws, milestone } = await workspace();
    writeFileSync(path.join(ws, 'app.js'), 'console.log("staged");\n');
    writeFileSync(path.join(ws, 'staged-new.js'), 'staged new file\n');
    git(ws, 'add', 'app.js', 'staged-new.js');
    writeFileSync(path.join(ws, 'app.js'), 'console.log("unstaged on top");\n');
    const before = userState(ws);
    expect(before.index).toContain('staged-new.js');

    const r = await restoreWorkingTree({ workspace: ws, commit: milestone });

    expect(userState(ws)).toEqual(before);
    expect(workingTreeEntries(ws)).toBe(commitEntries(ws, milestone));
    // A file the user's index tracks but the milestone lacks is removed from the working tree (its staged blob
    // stays in the index).
    expect(r.removed).toEqual(['staged-new.js']);
    expect(r.restored).toEqual(['app.js']);
  });

  test('files tracked by HEAD but absent from the milestone are removed, even when .gitignore matches them', async () => {
    const { ws, milestone } = await workspace();
    // The user commits a log file (force-added past .gitignore) after the milestone was taken.
    writeFileSync(path.join(ws, 'release.log'), 'tracked on purpose\n');
    git(ws, 'add', '-f', 'release.log');
    git(ws, '-c', 'user.name=u', '-c', 'user.email=u@x', 'commit', '-q', '-m', 'user commit');
    const r = await restoreWorkingTree({ workspace: ws, commit: milestone });
    expect(r.removed).toEqual(['release.log']);
    expect(existsSync(path.join(ws, 'release.log'))).toBe(false);
  });

  test('ignored files (dependencies, build output, logs) are left alone', async () => {
    const { ws, milestone } = await workspace();
    mkdirSync(path.join(ws, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(path.join(ws, 'node_modules', 'dep', 'index.js'), 'dep\n');
    mkdirSync(path.join(ws, 'dist'));
    writeFileSync(path.join(ws, 'dist', 'bundle.js'), 'built\n');
    writeFileSync(path.join(ws, 'debug.log'), 'log\n');
    writeFileSync(path.join(ws, 'app.js'), 'changed\n');

    const r = await restoreWorkingTree({ workspace: ws, commit: milestone });

    expect(r).toEqual({ restored: ['app.js'], removed: [] });
    expect(readFileSync(path.join(ws, 'node_modules', 'dep', 'index.js'), 'utf8')).toBe('dep\n');
    expect(readFileSync(path.join(ws, 'dist', 'bundle.js'), 'utf8')).toBe('built\n');
    expect(readFileSync(path.join(ws, 'debug.log'), 'utf8')).toBe('log\n');
  });

  test("the milestone's .gitignore decides: deleting .gitignore does not get node_modules deleted", async () => {
    const { ws, milestone } = await workspace();
    mkdirSync(path.join(ws, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(path.join(ws, 'node_modules', 'dep', 'index.js'), 'dep\n');
    unlinkSync(path.join(ws, '.gitignore'));

    const r = await restoreWorkingTree({ workspace: ws, commit: milestone });

    expect(r).toEqual({ restored: ['.gitignore'], removed: [] });
    expect(existsSync(path.join(ws, 'node_modules', 'dep', 'index.js'))).toBe(true);
  });

  test('a folder where the milestone has a file, and a file where it has a folder, are replaced', async () => {
    const { ws, milestone } = await workspace();
    unlinkSync(path.join(ws, 'app.js'));
    mkdirSync(path.join(ws, 'app.js'));
    writeFileSync(path.join(ws, 'app.js', 'inner.js'), 'x\n');
    rmSync(path.join(ws, 'lib'), { recursive: true });
    writeFileSync(path.join(ws, 'lib'), 'a file now\n');

    const r = await restoreWorkingTree({ workspace: ws, commit: milestone });

    expect(r).toEqual({ restored: ['app.js', 'lib/util.js'], removed: ['app.js/inner.js', 'lib'] });
    expect(workingTreeEntries(ws)).toBe(commitEntries(ws, milestone));
  });

  test('is idempotent, and files already equal to the milestone are not rewritten', async () => {
    const { ws, milestone } = await workspace();
    const old = new Date('2020-01-01T00:00:00Z');
    utimesSync(path.join(ws, 'verified.js'), old, old);
    writeFileSync(path.join(ws, 'app.js'), 'changed\n');
    writeFileSync(path.join(ws, 'extra.js'), 'extra\n');

    const first = await restoreWorkingTree({ workspace: ws, commit: milestone });
    const entries = workingTreeEntries(ws);
    const second = await restoreWorkingTree({ workspace: ws, commit: milestone });

    expect(first).toEqual({ restored: ['app.js'], removed: ['extra.js'] });
    expect(second).toEqual({ restored: [], removed: [] });
    expect(workingTreeEntries(ws)).toBe(entries);
    expect(statSync(path.join(ws, 'verified.js')).mtime.getTime()).toBe(old.getTime());
  });

  test('an untracked nested repository is never deleted', async () => {
    const { ws, milestone } = await workspace();
    const nested = path.join(ws, 'vendor-repo');
    mkdirSync(nested);
    git(nested, 'init', '-q');
    writeFileSync(path.join(nested, 'own.txt'), 'own history\n');
    const r = await restoreWorkingTree({ workspace: ws, commit: milestone });
    expect(r.removed).toEqual([]);
    expect(existsSync(path.join(nested, 'own.txt'))).toBe(true);
  });

  test('a commit missing from the repository is refused with a permanent failure, changing nothing', async () => {
    const { ws } = await workspace();
    writeFileSync(path.join(ws, 'app.js'), 'changed\n');
    writeFileSync(path.join(ws, 'extra.js'), 'extra\n');
    const entries = workingTreeEntries(ws);
    for (const commit of ['f'.repeat(40), 'no-such-branch', `${git(ws, 'rev-parse', 'HEAD^{tree}').trim()}`]) {
      await expect(restoreWorkingTree({ workspace: ws, commit })).rejects.toMatchObject({
        type: RESTORE_FAILURE.commitMissing,
        nonRetryable: true,
        message: expect.stringContaining(commit),
      });
    }
    expect(workingTreeEntries(ws)).toBe(entries);
  });
});
