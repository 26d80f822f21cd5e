/** Small git helpers for the workspace: the start commit and a fingerprint of the working tree. */
import { ApplicationFailure } from '@temporalio/activity';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs git in `cwd`; returns stdout. Throws with git's stderr on failure. */
export async function git(cwd: string, args: readonly string[], maxBuffer = 64 * 1024 * 1024): Promise<string> {
  const { stdout } = await run('git', [...args], { cwd, maxBuffer, encoding: 'utf8' });
  return stdout;
}

/** Variables that would point git elsewhere than `cwd` (set, e.g., when the worker runs inside a git hook). */
const REPO_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_COMMON_DIR', 'GIT_PREFIX'];

/** The process environment without the variables that would point git at another repository. */
export function repoEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of REPO_ENV) delete env[name];
  return env;
}

/**
 * Runs git in `cwd` with the repository variables cleared, `extra` environment (e.g. a temporary GIT_INDEX_FILE)
 * and optional `stdin`; returns stdout, or throws with git's stderr.
 */
export function gitIn(
  cwd: string,
  args: readonly string[],
  extra: NodeJS.ProcessEnv = {},
  stdin?: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [...args],
      { cwd, env: { ...repoEnv(), ...extra }, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`git ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      },
    );
    if (stdin !== undefined) {
      // A git that exits before reading (it failed) breaks the pipe: its exit status reports the failure.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(stdin, 'utf8');
    }
  });
}

/** Whether `dir` is the top of a git work tree (or inside one). */
export async function isGitWorkTree(dir: string): Promise<boolean> {
  try {
    return (await git(dir, ['rev-parse', '--is-inside-work-tree'])).trim() === 'true';
  } catch {
    return false;
  }
}

/** The commit HEAD points at, or null in a repository without commits. */
export async function headCommit(dir: string): Promise<string | null> {
  try {
    return (await git(dir, ['rev-parse', '--verify', '-q', 'HEAD'])).trim() || null;
  } catch {
    return null;
  }
}

/**
 * A digest of the working tree's content relative to git: HEAD, tracked changes and untracked files
 * (ignored files excluded). Equal fingerprints mean nothing the goal could measure has changed.
 */
export async function workspaceFingerprint(dir: string): Promise<{ fingerprint: string; changedFiles: number }> {
  const hash = createHash('sha256');
  const head = await headCommit(dir);
  hash.update(`head:${head ?? 'none'}\n`);
  const status = await git(dir, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
  hash.update(status);
  if (head) hash.update(await git(dir, ['diff', 'HEAD', '--binary']));
  const untracked = (await git(dir, ['ls-files', '--others', '--exclude-standard', '-z'])).split('\0').filter(Boolean);
  for (const file of untracked.sort()) {
    hash.update(`\0${file}\0`);
    try {
      hash.update(await fs.readFile(path.join(dir, file)));
    } catch {
      hash.update('<unreadable>');
    }
  }
  const changedFiles = status.split('\0').filter(Boolean).length;
  return { fingerprint: hash.digest('hex').slice(0, 32), changedFiles };
}

/**
 * Lists `dir` (inside the work tree of `workspace`) in the repository's info/exclude, once, so files Longhaul writes
 * there never show in `git status`, fingerprints or commits. The user's .gitignore is not touched.
 */
export async function excludeFromGit(workspace: string, dir: string): Promise<void> {
  const top = (await git(workspace, ['rev-parse', '--show-toplevel'])).trim();
  const rel = path.relative(top, path.resolve(workspace, dir)).split(path.sep).join('/');
  if (rel === '' || rel.startsWith('..')) return;
  const file = (await git(workspace, ['rev-parse', '--git-path', 'info/exclude'])).trim();
  const exclude = path.resolve(workspace, file);
  const line = `/${rel}/`;
  const current = await fs.readFile(exclude, 'utf8').catch(() => '');
  if (current.split('\n').includes(line)) return;
  await fs.mkdir(path.dirname(exclude), { recursive: true });
  await fs.appendFile(exclude, `${current === '' || current.endsWith('\n') ? '' : '\n'}${line}\n`);
}

export interface GitRunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/**
 * Runs git without a terminal and never rejects. It runs detached, in a session of its own without a controlling
 * terminal, so neither git nor ssh can ask for a password or passphrase; on timeout its whole process group (git,
 * remote helpers, ssh) is killed.
 */
export function gitDetached(cwd: string, args: readonly string[], timeoutMs: number): Promise<GitRunResult> {
  const env: NodeJS.ProcessEnv = { ...repoEnv(), GIT_TERMINAL_PROMPT: '0', GCM_INTERACTIVE: 'never', LC_ALL: 'C' };
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const child = spawn('git', [...args], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    const done = (code: number | null, error?: Error) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr: stderr || error?.message || '', timedOut });
    };
    child.on('error', (err) => done(null, err));
    child.on('close', (code) => done(code));
  });
}

/**
 * The commit `rev` names in the repository at `cwd`; when it names none, a non-retryable failure of `type` whose
 * message is `missing` (each caller says what a missing commit means for it).
 */
export async function resolveCommit(cwd: string, rev: string, type: string, missing: string): Promise<string> {
  try {
    return (await gitIn(cwd, ['rev-parse', '--verify', '--end-of-options', `${rev}^{commit}`])).trim();
  } catch {
    throw ApplicationFailure.create({ type, message: missing, nonRetryable: true });
  }
}
