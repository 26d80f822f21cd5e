/**
 * The activities of placement (goal/placement.ts): a ping that only the host's worker can answer, and the re-clone
 * of the goal branch that moves a goal to another host.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gitDetached, gitIn } from './git';
import { redactCredentials } from './push';
import type { GoalStore } from '../store/types';

/** Answers on the host's own task queue: the goal's worker is there again. */
export function hostAlive(host: string): { host: string } {
  return { host };
}

export interface CloneGoalBranchInput {
  readonly goalId: string;
  /** A URL or absolute path another machine can clone (never a remote's name). */
  readonly remote: string;
  /** The goal branch, e.g. `longhaul/<goal>`. */
  readonly branch: string;
  /** Where the workspace goes on this host: absent or an empty folder. */
  readonly workspace: string;
  /** @default 600000 */
  readonly timeoutMs?: number;
}

export interface CloneGoalBranchResult {
  /** The goal branch's tip on the remote: the commit the goal continues from. */
  readonly commit: string;
}

/**
 * Clones the goal branch into `workspace`, HEAD detached at its tip (as in the user's own workspace, milestones are
 * committed to the branch without moving HEAD). The clone is made beside the workspace and renamed into place, so a
 * retry after a crash finds either nothing or the whole clone; a clone already there at the branch is taken as is.
 * Failures no retry fixes (no such branch, a folder in the way) are non-retryable with what to do.
 */
export async function cloneGoalBranch(
  store: Pick<GoalStore, 'readProtectedManifest' | 'description'>,
  input: CloneGoalBranchInput,
): Promise<CloneGoalBranchResult> {
  const { remote, branch, workspace } = input;
  // The goal's transcript and manifest must be readable here: on another machine that takes a shared store.
  if (!(await store.readProtectedManifest(input.goalId))) {
    throw ApplicationFailure.nonRetryable(
      `this host's goal store (${store.description}) has nothing of goal ${input.goalId}: hosts that move goals between them need a shared goal store (LONGHAUL_STORE_URL, see DEPLOY.md)`,
      'MoveStoreNotShared',
    );
  }
  const timeoutMs = input.timeoutMs ?? 600_000;
  const shown = redactCredentials(remote);
  const existing = await fs.readdir(workspace).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (existing !== null && existing.length > 0) {
    const head = await cloneAt(workspace, remote, branch, timeoutMs);
    if (head) return { commit: head };
    throw ApplicationFailure.nonRetryable(
      `${workspace} exists and is not empty: give the goal a new workspace path (--workspace) or empty that folder`,
      'MoveWorkspaceInTheWay',
    );
  }
  const parent = path.dirname(workspace);
  await fs.mkdir(parent, { recursive: true });
  const staging = await fs.mkdtemp(path.join(parent, `.${path.basename(workspace)}.clone-`));
  try {
    const clone = await gitDetached(parent, ['clone', '--quiet', '--branch', branch, '--', remote, staging], timeoutMs);
    if (clone.code !== 0 || clone.timedOut) {
      const said = redactCredentials(clone.stderr.trim().split('\n').at(-1) ?? '');
      const message = clone.timedOut
        ? `cloning ${shown} did not finish within ${Math.round(timeoutMs / 1000)} s`
        : `cloning ${branch} from ${shown} failed: ${said}`;
      if (/Remote branch .* not found|not found in upstream/i.test(clone.stderr)) {
        throw ApplicationFailure.nonRetryable(
          `${message}; the goal branch was never pushed there (set git.remote so milestones are pushed)`,
          'MoveCloneFailed',
        );
      }
      if (/does not appear to be a git repository|does not exist|Could not read from remote/i.test(clone.stderr)) {
        throw ApplicationFailure.nonRetryable(`${message}; check the remote URL`, 'MoveCloneFailed');
      }
      throw new Error(message);
    }
    await gitIn(staging, ['checkout', '--quiet', '--detach']);
    await fs.rm(workspace, { recursive: true, force: true }); // an empty folder, or nothing
    await fs.rename(staging, workspace);
  } finally {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
  return { commit: (await gitIn(workspace, ['rev-parse', 'HEAD'])).trim() };
}

/** The HEAD of an earlier clone of `remote`'s `branch` in `dir` (a retried move), or null if `dir` is anything else. */
async function cloneAt(dir: string, remote: string, branch: string, timeoutMs: number): Promise<string | null> {
  const top = await gitDetached(dir, ['rev-parse', '--show-toplevel'], timeoutMs);
  if (top.code !== 0 || path.resolve(top.stdout.trim()) !== (await fs.realpath(dir))) return null; // not a repo's top
  const url = await gitDetached(dir, ['config', '--get', 'remote.origin.url'], timeoutMs);
  const head = await gitDetached(dir, ['rev-parse', 'HEAD'], timeoutMs);
  const tip = await gitDetached(dir, ['rev-parse', '--verify', '-q', `refs/heads/${branch}`], timeoutMs);
  if (url.code !== 0 || head.code !== 0 || tip.code !== 0) return null;
  if (url.stdout.trim() !== remote || head.stdout.trim() !== tip.stdout.trim()) return null;
  return head.stdout.trim();
}
