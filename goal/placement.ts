/**
 * Where a goal's workspace lives. Workflows run on the shared task queue (any worker); a goal's activities run on
 * the task queue of its host, `<shared queue>@<host>`, polled only by the worker on the machine that holds the
 * workspace. When that worker is gone the goal waits for it, and the user can move the goal to another host, which
 * re-clones the goal branch from the remote. Pure: GoalRun keeps the state, the workflow does the waiting.
 */

/** The goal's placement, carried in its state (small, JSON-plain). */
export interface HostState {
  /** The host whose worker holds the workspace; null: any worker of the shared task queue (no host was given). */
  name: string | null;
  /** Since when the host's worker has not taken the goal's activities; null while it does. */
  lostSince: number | null;
  /** A move asked for and not yet carried out. */
  move: HostMove | null;
  /** How the last move ended, for the `move` update's answer and `status`. */
  lastMove: { host: string; ok: boolean; text: string; at: number } | null;
  moves: number;
}

/** A move: re-clone the goal branch from `remote` into `workspace` on `host`, and continue there. */
export interface HostMove {
  readonly host: string;
  readonly workspace: string;
  readonly remote: string;
  readonly at: number;
}

/** What `longhaul move` sends. Omitted fields keep the goal's workspace path and its `git.remote`. */
export interface MoveRequest {
  readonly host: string;
  readonly workspace?: string;
  readonly remote?: string;
}

export function newHostState(name: string | null): HostState {
  return { name, lostSince: null, move: null, lastMove: null, moves: 0 };
}

/** The task queue of a host's activities (the shared queue itself when the goal has no host). */
export function hostQueue(sharedQueue: string, host: string | null): string {
  return host === null ? sharedQueue : `${sharedQueue}@${host}`;
}

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Why `name` cannot name a host (a task queue suffix), or null when it can. */
export function hostNameProblem(name: string): string | null {
  return HOST_NAME.test(name)
    ? null
    : `"${name.slice(0, 80)}" is not a host name: use 1-63 letters, digits, '.', '_' or '-' (e.g. build-box-1), the worker's LONGHAUL_HOST`;
}

/**
 * The move a request asks for, or an error that says what to fix. `remote` must be something another machine can
 * clone: a URL or an absolute path, not a remote's name (only the lost host knows what `origin` means), and never a
 * URL with a password in it (it would be kept in the goal's history).
 */
export function resolveMove(
  request: MoveRequest,
  goal: { host: HostState; workspace: string; remote: string | undefined },
  now: number,
): HostMove {
  const hostProblem = hostNameProblem(String(request.host ?? ''));
  if (hostProblem) throw new Error(hostProblem);
  if (goal.host.name === null) {
    throw new Error('the goal has no host (it runs on any worker of the shared task queue): there is nothing to move');
  }
  if (goal.host.lostSince === null) {
    throw new Error(
      `the goal's host "${goal.host.name}" is up: a goal moves only while it waits for a lost host (stop the worker on "${goal.host.name}" first)`,
    );
  }
  if (goal.host.move) throw new Error(`a move to "${goal.host.move.host}" is already under way`);
  if (request.host === goal.host.name) {
    throw new Error(`the goal is already on "${request.host}": restart its worker there, or name another host`);
  }
  const workspace = request.workspace ?? goal.workspace;
  if (!workspace.startsWith('/')) throw new Error(`the workspace must be an absolute path on "${request.host}"`);
  const remote = request.remote ?? goal.remote;
  if (!remote) {
    throw new Error('the goal has no git.remote to re-clone its branch from: give one with --remote <url>');
  }
  if (!/^(\/|[a-z][a-z0-9+.-]*:\/\/|[^/\s]+@[^/\s:]+:)/i.test(remote)) {
    throw new Error(
      `"${remote}" is a remote's name, which only the lost host knows: give its URL or path with --remote <url>`,
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(remote)) {
    throw new Error('the remote URL carries a password: give it without one (the worker uses its git credentials)');
  }
  return { host: request.host, workspace, remote, at: now };
}

/**
 * An activity's arguments for after a move: every string that is the old workspace or a path inside it now names
 * the same place in the new workspace (the workspace itself, a mirror folder in it). Other values pass unchanged.
 */
export function rebaseArgs(args: readonly unknown[], from: string, to: string): unknown[] {
  if (from === to) return [...args];
  const rebase = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (v === from) return to;
      return v.startsWith(`${from}/`) ? `${to}${v.slice(from.length)}` : v;
    }
    if (Array.isArray(v)) return v.map(rebase);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rebase(x)]));
    }
    return v;
  };
  return args.map(rebase);
}
