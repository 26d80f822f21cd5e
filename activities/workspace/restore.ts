/**
 * Rolling the workspace back to a milestone: the working files are made equal to a commit's tree (the last verified
 * milestone on the goal branch) without moving HEAD, switching branch or changing the user's index. A temporary
 * index holds the commit's tree; git writes the files that differ from it, and files the commit does not have are
 * deleted, except those .gitignore ignores (dependencies, build output), which are left alone.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gitIn as git, resolveCommit } from './git';

/** Failure types of restoreWorkingTree (permanent: a retry cannot fix them). */
export const RESTORE_FAILURE = {
  /** The commit to restore does not exist in the workspace's repository (or is not a commit). */
  commitMissing: 'RestoreCommitMissing',
} as const;

export interface RestoreWorkingTreeInput {
  /** The git work tree to restore (its top level; the whole work tree is restored, as milestones record it whole). */
  readonly workspace: string;
  /** The commit whose tree the working files are made equal to, e.g. the goal branch's last verified milestone. */
  readonly commit: string;
}

export interface RestoreWorkingTreeResult {
  /** Files written from the commit (changed, missing, or of another mode or type), relative with '/', sorted. */
  readonly restored: string[];
  /** Files deleted because the commit does not have them, relative with '/', sorted. */
  readonly removed: string[];
}

export async function restoreWorkingTree(input: RestoreWorkingTreeInput): Promise<RestoreWorkingTreeResult> {
  const top = (await git(input.workspace, ['rev-parse', '--show-toplevel'])).trim();
  const commit = await resolveCommit(
    top,
    input.commit,
    RESTORE_FAILURE.commitMissing,
    `cannot restore the workspace to ${input.commit}: it is no commit in the repository at ${top}; was the goal branch deleted or the repository replaced? Pass a milestone commit of the goal branch`,
  );
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'longhaul-restore-'));
  try {
    const env = { GIT_INDEX_FILE: path.join(dir, 'index') };
    await git(top, ['read-tree', commit], env);
    // With stat data refreshed, the comparison (and checkout-index below) skips files equal to the commit's, so
    // their timestamps stay and build tools do not see them as changed.
    await git(top, ['update-index', '-q', '--refresh'], env);
    const restored = splitZ(await git(top, ['diff-files', '--name-only', '-z', '--ignore-submodules'], env));
    const removed = new Set(await replacedByCheckout(top, restored));
    await git(top, ['checkout-index', '--all', '--force'], env);

    // Extras are listed after the commit's files (its .gitignore among them) are back: the rules of the state being
    // restored decide what is ignored, so a deleted or edited .gitignore cannot get node_modules deleted.
    const untracked = splitZ(await git(top, ['ls-files', '--others', '--exclude-standard', '-z'], env));
    // Files the user's index tracks are source, not build output: removed even when a rule ignores them.
    const inCommit = new Set(splitZ(await git(top, ['ls-files', '-z'], env)));
    const trackedByUser = splitZ(await git(top, ['ls-files', '-z'])).filter((f) => !inCommit.has(f));
    for (const file of [...untracked, ...trackedByUser]) {
      // A trailing '/' marks a nested repository: someone's own history, never deleted here.
      if (file.endsWith('/') || removed.has(file)) continue;
      const stat = await fs.lstat(path.join(top, file)).catch(() => null);
      if (!stat || stat.isDirectory()) continue;
      await fs.rm(path.join(top, file), { force: true });
      removed.add(file);
    }
    await pruneEmptyDirs(top, [...removed]);
    return { restored: [...restored].sort(), removed: [...removed].sort() };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Working files that `checkout-index --force` deletes to write `paths`: a file or symlink where the commit has a
 * folder, and everything inside a folder where the commit has a file.
 */
async function replacedByCheckout(top: string, paths: readonly string[]): Promise<string[]> {
  const replaced = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      const stat = await fs.lstat(path.join(top, prefix)).catch(() => null);
      if (!stat) break;
      if (!stat.isDirectory()) {
        replaced.add(prefix);
        break;
      }
    }
    const stat = await fs.lstat(path.join(top, p)).catch(() => null);
    if (stat?.isDirectory()) for (const f of await filesUnder(top, p)) replaced.add(f);
  }
  return [...replaced];
}

/** The files and symlinks under folder `rel` of `top`, relative to `top` with '/'. */
async function filesUnder(top: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(path.join(top, rel), { withFileTypes: true })) {
    const child = `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await filesUnder(top, child)));
    else out.push(child);
  }
  return out;
}

/** Removes the folders the deleted files leave empty, deepest first, as git does. */
async function pruneEmptyDirs(top: string, files: readonly string[]): Promise<void> {
  const dirs = new Set<string>();
  for (const file of files) {
    for (let d = path.posix.dirname(file); d !== '.' && d !== ''; d = path.posix.dirname(d)) dirs.add(d);
  }
  const deepestFirst = [...dirs].sort((a, b) => b.split('/').length - a.split('/').length);
  for (const d of deepestFirst) await fs.rmdir(path.join(top, d)).catch(() => undefined); // not empty: kept
}

function splitZ(out: string): string[] {
  return out.split('\0').filter(Boolean);
}
