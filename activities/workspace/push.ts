/**
 * Publishing the goal branch: `refs/heads/<branch>` pushed to a remote with a plain (non-forced) push. A push that
 * fails (remote unreachable, credentials missing, branch diverged) is reported, not thrown: publishing is a courtesy
 * at the end of a goal and must not fail it. Git never waits for a password, and credentials in URLs never reach the
 * report.
 */
import { gitDetached } from './git';

export interface PushGoalBranchInput {
  /** The git work tree whose repository holds the branch. */
  readonly workspace: string;
  /** A remote name (`origin`) or a URL or path of a repository. */
  readonly remote: string;
  /** The local branch, pushed to the branch of the same name on the remote, e.g. `longhaul/<goal>`. */
  readonly branch: string;
  /**
   * How long git may take before it is killed and the push reported as failed.
   * @default 60000
   */
  readonly timeoutMs?: number;
}

export interface PushGoalBranchResult {
  /** Whether the remote now has the branch at `commit` (also when it already had it). */
  readonly pushed: boolean;
  /** Why the push failed, in one line that says what to fix, credentials redacted; null when pushed. */
  readonly error: string | null;
  /** The local branch's tip: what was (or would have been) pushed; null when the branch does not exist. */
  readonly commit: string | null;
}

export const DEFAULT_PUSH_TIMEOUT_MS = 60_000;

export async function pushGoalBranch(input: PushGoalBranchInput): Promise<PushGoalBranchResult> {
  const { workspace, remote, branch } = input;
  const timeoutMs = input.timeoutMs ?? DEFAULT_PUSH_TIMEOUT_MS;
  const shown = redactCredentials(remote);
  const fail = (error: string, commit: string | null = null): PushGoalBranchResult => ({
    pushed: false,
    error: oneLine(redactCredentials(error)),
    commit,
  });

  // Either would be read as an option by git (`--receive-pack=<command>` runs a command).
  if (remote === '' || remote.startsWith('-')) {
    return fail(`cannot push to "${shown}": give a remote name (e.g. origin) or a repository URL or path`);
  }
  if (!(await isBranchName(workspace, branch))) {
    return fail(`cannot push "${branch}": it is not a valid git branch name (e.g. longhaul/my-goal)`);
  }
  const ref = `refs/heads/${branch}`;
  const tip = await gitDetached(
    workspace,
    ['rev-parse', '--verify', '-q', '--end-of-options', `${ref}^{commit}`],
    timeoutMs,
  );
  const commit = tip.code === 0 ? tip.stdout.trim() || null : null;
  if (!commit) {
    if (tip.timedOut || tip.code !== 1) return fail(`cannot read ${branch} in ${workspace}: ${tip.stderr}`);
    return fail(`the goal branch ${branch} does not exist in ${workspace}: there is no milestone to publish yet`);
  }

  // Fully qualified on both sides, so a tag or remote branch of the same name cannot be meant instead.
  const push = await gitDetached(workspace, ['push', '--', remote, `${ref}:${ref}`], timeoutMs);
  if (push.code === 0 && !push.timedOut) return { pushed: true, error: null, commit };
  const prefix = `pushing ${branch} to ${shown} failed`;
  if (push.timedOut) {
    return fail(
      `${prefix}: git did not finish within ${Math.round(timeoutMs / 1000)} s; check that the remote is reachable from the worker and answers`,
      commit,
    );
  }
  return fail(`${prefix}: ${describePushFailure(push.stderr || push.stdout)}`, commit);
}

/** git's most telling line about a failed push, followed by what to do about it. */
export function describePushFailure(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const key =
    lines.find((l) => l.includes('[rejected]') || l.includes('[remote rejected]')) ??
    lines.find((l) => /^(fatal|error):/.test(l)) ??
    lines[0] ??
    'git push failed without a message';
  const said = key.replace(/^(fatal|error):\s*/, '').replace(/^!\s*/, '');
  const all = lines.join('\n');
  let fix: string;
  if (/\[rejected\]|non-fast-forward|fetch first/.test(all)) {
    fix =
      'the remote branch has commits the goal branch does not (it diverged): fetch and merge them, delete the remote branch, or publish under another branch name';
  } else if (/\[remote rejected\]/.test(all)) {
    fix = "the remote refused the branch (a protected branch or a hook): check the remote's rules for this branch";
  } else if (
    /could not read (Username|Password)|terminal prompts disabled|Authentication failed|Permission denied|access denied|returned error: 40[13]/i.test(
      all,
    )
  ) {
    fix =
      'git has no credentials it can use without a prompt: configure a credential helper, an SSH key or a token for this remote';
  } else if (
    /does not appear to be a git repository|Could not resolve host|Failed to connect|Connection refused|Connection timed out|not found|unable to access/i.test(
      all,
    )
  ) {
    fix =
      'check the remote name or URL (git remote -v) and that the repository exists and is reachable from the worker';
  } else {
    fix = 'run the same git push in the workspace to see the full message';
  }
  return `${said}; ${fix}`;
}

/** URLs with credentials (`https://user:token@host`) shown as `https://***@host`. */
export function redactCredentials(text: string): string {
  // Greedy up to the last '@' before the host's '/', so a password containing '@' is hidden whole.
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s'"]*@/gi, '$1***@');
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}

async function isBranchName(workspace: string, branch: string): Promise<boolean> {
  if (branch === '' || branch.startsWith('-') || branch === 'HEAD') return false;
  const r = await gitDetached(workspace, ['check-ref-format', '--branch', branch], DEFAULT_PUSH_TIMEOUT_MS);
  // `--branch` expands shorthands such as `@{-1}`: only a name that comes back unchanged is literal.
  return r.code === 0 && r.stdout.trim() === branch;
}
