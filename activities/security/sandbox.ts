/**
 * The agent's shell sandbox: a bubblewrap (`bwrap`) argv that runs a command with the root file system read-only,
 * the workspace read-write, its protected files read-only, a private /tmp, an empty $HOME, the goal store
 * (LONGHAUL_HOME: the store, the baseline worktree, pid records) and the held-out checks' files hidden, and the
 * network off unless the goal allows it. Its own pid namespace ends every process the command left behind when it
 * exits. Building the argv is pure ({@link bwrapArgs}); {@link sandboxPlan} gathers what it needs from the disk.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { SandboxPolicy } from '../../goal/sandbox';

/** The bubblewrap binary: `LONGHAUL_BWRAP` or `bwrap` on PATH. */
export function bwrapPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.LONGHAUL_BWRAP?.trim() || 'bwrap';
}

/** Everything one sandboxed call needs, with real (symlink-free) absolute paths. */
export interface SandboxPlan {
  /** The workspace, mounted read-write. */
  readonly workspace: string;
  /** The worker's $HOME, replaced by an empty private folder (unless it is `/`). */
  readonly home: string | null;
  /** Folders and files no command may see: LONGHAUL_HOME, held-out check files. */
  readonly hidden: readonly { readonly path: string; readonly dir: boolean }[];
  /** Existing protected files, mounted read-only over the workspace. */
  readonly readOnly: readonly string[];
  readonly allowRead: readonly string[];
  readonly allowWrite: readonly string[];
  readonly network: boolean;
}

/** At most this many protected files are mounted read-only; the integrity check still covers the rest. */
export const MAX_READ_ONLY_MOUNTS = 4000;

/** Whether `child` is `parent` or inside it. */
function within(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const depth = (p: string) => p.split('/').filter(Boolean).length;

/**
 * The bwrap arguments (before the command) for a plan. Later mounts win, so the order is: the read-only root; the
 * private /tmp and $HOME; the allowed paths; hidden folders that contain the workspace; the workspace; its protected
 * files; then every other hidden path (an allowed path cannot uncover one).
 */
export function bwrapArgs(plan: SandboxPlan): string[] {
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp'];
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--die-with-parent');
  if (!plan.network) args.push('--unshare-net');
  if (plan.home !== null && plan.home !== '/' && plan.home !== '/tmp') args.push('--tmpfs', plan.home);
  const allowed = [
    ...plan.allowRead.map((p) => ({ p, flag: '--ro-bind-try' })),
    ...plan.allowWrite.map((p) => ({ p, flag: '--bind-try' })),
  ].sort((a, b) => depth(a.p) - depth(b.p));
  for (const { p, flag } of allowed) args.push(flag, p, p);
  const [around, rest] = [
    plan.hidden.filter((h) => h.dir && within(h.path, plan.workspace)),
    plan.hidden.filter((h) => !(h.dir && within(h.path, plan.workspace))),
  ];
  for (const h of [...around].sort((a, b) => depth(a.path) - depth(b.path))) args.push('--tmpfs', h.path);
  args.push('--bind', plan.workspace, plan.workspace);
  for (const file of plan.readOnly.slice(0, MAX_READ_ONLY_MOUNTS)) args.push('--ro-bind-try', file, file);
  for (const h of [...rest].sort((a, b) => depth(a.path) - depth(b.path))) {
    if (h.dir) args.push('--tmpfs', h.path);
    else args.push('--ro-bind', '/dev/null', h.path);
  }
  args.push('--chdir', plan.workspace);
  return args;
}

/** Folders whose files a held-out command may run, but which are the agent's tools too: never hidden. */
const SYSTEM = [
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/etc',
  '/proc',
  '/sys',
  '/dev',
  '/run',
];

function real(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

/**
 * The files and folders outside the workspace that held-out commands name (`node ~/.longhaul/holdout/cases.js`,
 * `bash /srv/hidden/run.sh`): each path-like word that exists, except system folders and what contains the
 * workspace or the home. Words are split at spaces, quotes and shell operators: the command text is the user's, not the agent's.
 */
export function holdoutPaths(commands: readonly string[], workspace: string, home: string): string[] {
  const found = new Set<string>();
  for (const command of commands) {
    for (const word of command.split(/[\s;&|()<>'"`=,]+/)) {
      if (!word.includes('/') && !word.startsWith('~')) continue;
      const abs = real(path.resolve(workspace, expandHome(word, home)));
      if (abs === null || within(abs, workspace) || within(workspace, abs) || within(home, abs)) continue;
      if (SYSTEM.some((s) => within(s, abs) || within(abs, s))) continue;
      found.add(abs);
    }
  }
  return [...found].sort();
}

export interface SandboxPlanInput {
  readonly workspace: string;
  /** LONGHAUL_HOME of this worker: the goal store, baseline worktrees, pid records. */
  readonly longhaulHome: string;
  /** The worker's $HOME. */
  readonly home: string;
  readonly policy?: SandboxPolicy;
  /** Workspace-relative protected files (the baseline manifest). */
  readonly protectedFiles?: readonly string[];
  /** The held-out check commands. */
  readonly holdout?: readonly string[];
}

/** Resolves a goal's sandbox on this host: real paths, existing files only. */
export function sandboxPlan(input: SandboxPlanInput): SandboxPlan {
  const workspace = real(input.workspace) ?? path.resolve(input.workspace);
  const home = real(input.home);
  const hidden = new Map<string, boolean>();
  const hide = (p: string) => {
    try {
      hidden.set(p, statSync(p).isDirectory());
    } catch {
      // gone: nothing to hide
    }
  };
  const store = real(input.longhaulHome);
  // The goal store as a whole; when the workspace lies inside it (longhaul demo), the workspace is mounted over it.
  if (store !== null && store !== '/' && store !== '/tmp' && store !== workspace) hide(store);
  for (const p of holdoutPaths(input.holdout ?? [], workspace, home ?? input.home)) hide(p);
  // Git runs what .git/config and .git/hooks name (core.fsmonitor, core.pager, hooks) when the orchestrator runs git
  // in the workspace, outside the sandbox: the agent may not change them.
  const readOnly = ['config', 'hooks'].map((f) => path.join(workspace, '.git', f)).filter((p) => existsSync(p));
  for (const rel of input.protectedFiles ?? []) {
    const abs = path.join(workspace, rel);
    if (within(workspace, abs) && existsSync(abs)) readOnly.push(abs);
  }
  const resolveAll = (paths: readonly string[]) =>
    paths.map((p) => real(expandHome(p, input.home))).filter((p): p is string => p !== null && p !== '/');
  return {
    workspace,
    home,
    hidden: [...hidden].map(([p, dir]) => ({ path: p, dir })),
    readOnly,
    allowRead: resolveAll(input.policy?.allowRead ?? []),
    allowWrite: resolveAll(input.policy?.allowWrite ?? []),
    network: input.policy?.network === true,
  };
}

/** Whether bubblewrap can build a sandbox on this machine, and if not, why and how to fix it. */
export interface SandboxProbe {
  readonly ok: boolean;
  readonly bwrap: string;
  /** `bwrap --version`, when it ran. */
  readonly version?: string;
  /** Why not, with the fix. */
  readonly problem?: string;
}

let probed: SandboxProbe | undefined;

/** Runs a tiny sandbox once (like a shell call's, with the network off); the answer is kept for the process. */
export function probeSandbox(opts: { fresh?: boolean; env?: NodeJS.ProcessEnv } = {}): SandboxProbe {
  if (probed && !opts.fresh) return probed;
  const bwrap = bwrapPath(opts.env);
  const version = spawnSync(bwrap, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (version.error) {
    probed = {
      ok: false,
      bwrap,
      problem:
        `bubblewrap (${bwrap}) is not installed: install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap), ` +
        'set LONGHAUL_BWRAP to its path, or run the goal unsandboxed with sandbox: off in its spec',
    };
    return probed;
  }
  const args = [
    ...bwrapArgs({
      workspace: '/tmp',
      home: null,
      hidden: [],
      readOnly: [],
      allowRead: [],
      allowWrite: [],
      network: false,
    }),
    'true',
  ];
  const run = spawnSync(bwrap, args, { encoding: 'utf8', timeout: 10_000 });
  const text = `${version.stdout}`.trim();
  if (run.status === 0) probed = { ok: true, bwrap, version: text };
  else {
    const why = `${run.stderr ?? ''}`.trim().split('\n')[0] || String(run.error ?? `exit ${run.status}`);
    probed = {
      ok: false,
      bwrap,
      version: text,
      problem:
        `bubblewrap cannot create a sandbox here (${why}): allow unprivileged user namespaces ` +
        '(sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 also kernel.apparmor_restrict_unprivileged_userns=0), ' +
        'run the worker in a container that permits them, or run the goal unsandboxed with sandbox: off in its spec',
    };
  }
  return probed;
}

/**
 * Thrown by `start` when the goal's agent would need a sandbox this machine cannot build; `problem` says how to fix it.
 */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
  constructor(readonly problem: string) {
    super(`the agent's sandbox is not available on this machine: ${problem}`);
  }
}
