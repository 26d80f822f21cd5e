/**
 * Milestone commits: the workspace's current files recorded as a commit on the goal branch, without touching
 * the user's HEAD, current branch, index or working tree. Git plumbing on a temporary index file builds the
 * tree; the branch moves by compare-and-swap, and a retry that finds the tree already recorded adds nothing.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gitIn as git, resolveCommit } from './git';

/** Failure types of commitMilestone (permanent: a retry cannot fix them). */
export const MILESTONE_FAILURE = {
  /** The goal branch name is no valid git branch name. */
  branchInvalid: 'MilestoneBranchInvalid',
  /** The goal branch is checked out in the workspace (or another worktree of it): moving it would change files there. */
  branchCheckedOut: 'MilestoneBranchCheckedOut',
  /** The start commit does not exist in the workspace's repository. */
  startCommitMissing: 'MilestoneStartCommitMissing',
  /** An extra file's path is not a plain relative path inside the work tree, or clashes with a folder or file. */
  extraFileInvalid: 'MilestoneExtraFileInvalid',
} as const;

/** Who milestone commits are by when git has no identity configured. */
export const DEFAULT_IDENTITY = { name: 'Longhaul', email: 'longhaul@localhost' } as const;

export interface CommitMilestoneInput {
  /** The git work tree whose files are recorded. */
  readonly workspace: string;
  /** The goal branch, e.g. `longhaul/<goal>`; created from startCommit when missing. */
  readonly branch: string;
  readonly startCommit: string;
  /** The commit message (its first line is the subject). */
  readonly message: string;
  /**
   * Files recorded in the commit but never written into the workspace (e.g. the final report): workspace-relative
   * path (with `/`) → text content. They replace a working file of the same path in the commit only.
   */
  readonly extraFiles?: Readonly<Record<string, string>>;
}

export interface CommitMilestoneResult {
  /** The branch tip after the call: the new commit, or the unchanged tip; null while the branch does not exist. */
  readonly commit: string | null;
  /** Whether this call created a commit (false when the files equal the tip's). */
  readonly created: boolean;
}

/** How often a lost compare-and-swap (the branch moved meanwhile) is redone on the new tip. */
const CAS_ATTEMPTS = 3;

export async function commitMilestone(input: CommitMilestoneInput): Promise<CommitMilestoneResult> {
  const { workspace, branch } = input;
  const extraFiles = checkExtraFiles(input.extraFiles ?? {});
  const ref = await branchRef(workspace, branch);
  await refuseCheckedOut(workspace, ref, branch);
  const start = await resolveCommit(
    workspace,
    input.startCommit,
    MILESTONE_FAILURE.startCommitMissing,
    `the start commit ${input.startCommit} is not in the repository at ${workspace}: was the repository replaced or its history rewritten?`,
  );
  const env = await identityEnv(workspace);
  for (let attempt = 1; ; attempt++) {
    const tip = await resolveRef(workspace, ref);
    const base = tip ?? start;
    const tree = await treeOfWorkingFiles(workspace, base, extraFiles);
    if (tree === (await git(workspace, ['rev-parse', `${base}^{tree}`])).trim()) {
      return { commit: tip, created: false };
    }
    const commit = (
      await git(workspace, ['commit-tree', '--no-gpg-sign', tree, '-p', base, '-m', input.message], env)
    ).trim();
    const expected = tip ?? '0'.repeat(start.length); // all zeros: the branch must not exist yet
    try {
      await git(workspace, [
        'update-ref',
        '-m',
        `longhaul milestone: ${subjectOf(input.message)}`,
        ref,
        commit,
        expected,
      ]);
      return { commit, created: true };
    } catch (err) {
      if (attempt >= CAS_ATTEMPTS) throw err;
      // The branch moved between reading it and updating it: build again on its new tip.
    }
  }
}

export interface MilestoneLogEntry {
  readonly commit: string;
  readonly subject: string;
  /** Committer date (ISO 8601). */
  readonly at: string;
}

/** The goal branch's commits since the start commit, oldest first ([] while the branch does not exist). */
export async function milestoneLog(
  workspace: string,
  branch: string,
  startCommit: string,
): Promise<MilestoneLogEntry[]> {
  const ref = await branchRef(workspace, branch);
  const start = await resolveCommit(
    workspace,
    startCommit,
    MILESTONE_FAILURE.startCommitMissing,
    `the start commit ${startCommit} is not in the repository at ${workspace}: was the repository replaced or its history rewritten?`,
  );
  const tip = await resolveRef(workspace, ref);
  if (!tip) return [];
  const out = await git(workspace, ['log', '--reverse', '--format=%H%x00%cI%x00%s%x00', `${start}..${tip}`, '--']);
  const fields = out.split('\0');
  const entries: MilestoneLogEntry[] = [];
  for (let i = 0; i + 2 < fields.length; i += 3) {
    entries.push({ commit: fields[i]!.trim(), at: fields[i + 1]!, subject: fields[i + 2]! });
  }
  return entries;
}

/**
 * The tree of the working files (tracked and untracked, .gitignore honoured) as they would be committed on
 * `base`, plus the extra files: a temporary index starts from base's tree and takes every change, then the
 * extra files as blobs written straight into the object store; the user's index and files are not used.
 */
async function treeOfWorkingFiles(
  workspace: string,
  base: string,
  extraFiles: readonly (readonly [string, string])[],
): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'longhaul-index-'));
  try {
    const env = { GIT_INDEX_FILE: path.join(dir, 'index') };
    await git(workspace, ['read-tree', base], env);
    await git(workspace, ['add', '-A', '--', ':/'], env);
    if (extraFiles.length > 0) {
      const indexed = (await git(workspace, ['ls-files', '-z'], env)).split('\0').filter(Boolean);
      refuseFolderClashes(extraFiles, indexed);
      for (const [file, text] of extraFiles) {
        const blob = (await git(workspace, ['hash-object', '-w', '--stdin'], {}, text)).trim();
        await git(workspace, ['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`], env);
      }
    }
    return (await git(workspace, ['write-tree'], env)).trim();
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * The extra files as [path, text] pairs, sorted; a permanent failure for a path that is absolute, has an
 * empty, `.` or `..` segment, names `.git`, uses a backslash or NUL, or is both a file and a folder among them.
 */
function checkExtraFiles(files: Readonly<Record<string, string>>): (readonly [string, string])[] {
  const entries = Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [file, text] of entries) {
    const why = extraPathProblem(file);
    if (why) throw extraFileFailure(file, why);
    if (typeof text !== 'string') throw extraFileFailure(file, 'has no text content');
  }
  refuseFolderClashes(entries, []);
  return entries;
}

function extraPathProblem(file: string): string | null {
  if (file === '') return 'is empty';
  if (/[\\\0]/.test(file)) return 'contains a backslash or NUL';
  if (file.startsWith('/') || /^[A-Za-z]:/.test(file)) return 'is absolute';
  const segments = file.split('/');
  if (segments.some((s) => s === '')) return 'has an empty segment (leading, trailing or double slash)';
  if (segments.some((s) => s === '.' || s === '..')) return 'has a "." or ".." segment';
  if (segments.some((s) => s.toLowerCase() === '.git')) return 'is inside .git';
  return null;
}

/** Refuses an extra file whose path is a folder of other files, or lies under another file. */
function refuseFolderClashes(extra: readonly (readonly [string, string])[], indexed: readonly string[]): void {
  const files = new Set([...indexed, ...extra.map(([f]) => f)]);
  for (const [file] of extra) {
    const segments = file.split('/');
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/');
      if (files.has(parent)) throw extraFileFailure(file, `lies under the file ${parent}`);
    }
    if (indexed.some((f) => f.startsWith(`${file}/`)) || extra.some(([f]) => f.startsWith(`${file}/`))) {
      throw extraFileFailure(file, 'is a folder of other files');
    }
  }
}

function extraFileFailure(file: string, why: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: MILESTONE_FAILURE.extraFileInvalid,
    message: `the extra file path ${JSON.stringify(file)} ${why}: give a relative path inside the work tree with '/' separators, e.g. REPORT.md or docs/REPORT.md`,
    nonRetryable: true,
  });
}

/** `refs/heads/<branch>` for a valid branch name; a permanent failure otherwise. */
async function branchRef(workspace: string, branch: string): Promise<string> {
  let normalized = '';
  try {
    normalized = (await git(workspace, ['check-ref-format', '--branch', branch])).trim();
  } catch {
    // reported below
  }
  // `--branch` also expands shorthands such as `@{-1}` (the previously checked-out branch): only literal names.
  // A branch called HEAD is legal for older git but confuses every command that names it.
  if (branch === '' || normalized !== branch || branch.startsWith('-') || branch === 'HEAD') {
    throw ApplicationFailure.create({
      type: MILESTONE_FAILURE.branchInvalid,
      message: `"${branch}" is not a valid git branch name: use letters, digits, '-', '_', '.' and '/' (e.g. longhaul/my-goal)`,
      nonRetryable: true,
    });
  }
  return `refs/heads/${branch}`;
}

async function refuseCheckedOut(workspace: string, ref: string, branch: string): Promise<void> {
  const list = await git(workspace, ['worktree', 'list', '--porcelain']);
  const checkedOut = list.split('\n').some((line) => line === `branch ${ref}`);
  if (checkedOut) {
    throw ApplicationFailure.create({
      type: MILESTONE_FAILURE.branchCheckedOut,
      message: `the goal branch ${branch} is checked out in the workspace (or one of its worktrees), so milestone commits would change its files: switch that work tree to another branch, or give the goal another branch name`,
      nonRetryable: true,
    });
  }
}

/** The commit a ref points at, or null when it does not exist. */
async function resolveRef(workspace: string, ref: string): Promise<string | null> {
  try {
    return (
      (await git(workspace, ['rev-parse', '--verify', '-q', '--end-of-options', `${ref}^{commit}`])).trim() || null
    );
  } catch {
    return null;
  }
}

/**
 * Author and committer for milestone commits: git's own identity (environment or config) when it has one,
 * otherwise DEFAULT_IDENTITY, so a machine where git has no identity still commits.
 */
async function identityEnv(workspace: string): Promise<NodeJS.ProcessEnv> {
  const config = async (key: string) => (await git(workspace, ['config', '--get', key]).catch(() => '')).trim();
  const env: NodeJS.ProcessEnv = {};
  for (const role of ['AUTHOR', 'COMMITTER'] as const) {
    const lower = role.toLowerCase();
    for (const [field, fallback] of [
      ['NAME', DEFAULT_IDENTITY.name],
      ['EMAIL', DEFAULT_IDENTITY.email],
    ] as const) {
      const key = field.toLowerCase();
      const known =
        process.env[`GIT_${role}_${field}`] || (await config(`${lower}.${key}`)) || (await config(`user.${key}`));
      if (!known) env[`GIT_${role}_${field}`] = fallback;
    }
  }
  return env;
}

function subjectOf(message: string): string {
  return message.split('\n', 1)[0]!.slice(0, 200);
}
