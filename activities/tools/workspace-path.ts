/**
 * Confines tool paths to the workspace: every path a tool touches goes through {@link resolveInWorkspace}.
 */
import { lstat, readlink, realpath } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Thrown by {@link resolveInWorkspace} when a path given by the model resolves outside the workspace
 * (a `..` escape, an absolute path elsewhere, or a symlink leading out) or into its `.git/` directory.
 * The message tells the model how to fix the call.
 */
export class PathOutsideWorkspaceError extends Error {
  /** The path as the model gave it. */
  readonly path: string;

  constructor(givenPath: string, message: string) {
    super(message);
    this.name = 'PathOutsideWorkspaceError';
    this.path = givenPath;
  }
}

const MAX_SYMLINK_HOPS = 40;
/** Longer paths than Linux's PATH_MAX are refused up front (the file system would say ENAMETOOLONG). */
const MAX_PATH_CHARS = 4096;
/** Half a UTF-16 pair: no file name can hold it (it would be written as U+FFFD, another file). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True if `p` is `dir` or lies below it (both absolute and normalized). */
function isWithin(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Like realpath, but for paths that do not exist (yet): resolves the nearest existing ancestor and appends the
 * rest. Dangling symlinks are followed to where they point, so a write through one cannot leave the workspace.
 */
async function realpathLoose(p: string, hops = 0): Promise<string> {
  // Only symlinks followed count as hops: a new file 50 folders deep is fine, a link cycle is not.
  if (hops > MAX_SYMLINK_HOPS)
    throw Object.assign(new Error(`too many levels of symbolic links: ${p}`), { code: 'ELOOP' });
  try {
    return await realpath(p);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  const parent = path.dirname(p);
  if (parent === p) return p;
  const realParent = await realpathLoose(parent, hops);
  const here = path.join(realParent, path.basename(p));
  let isLink = false;
  try {
    isLink = (await lstat(here)).isSymbolicLink();
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  if (!isLink) return here;
  // A dangling symlink: follow its target (which does not exist either, or realpath would have succeeded).
  const target = await readlink(here);
  return realpathLoose(path.resolve(realParent, target), hops + 1);
}

function containsGitDir(relative: string): boolean {
  return relative.split(/[\\/]+/).includes('.git');
}

const FIX_HINT = 'use a path relative to the workspace root, such as "src/index.ts"';

/**
 * Resolves `p` (relative to the workspace root, or absolute inside it) to an absolute path inside the
 * workspace, with symlinks resolved, so callers operate on the real file.
 *
 * @throws PathOutsideWorkspaceError if the path, or what its symlinks point to, is outside `root` or inside `.git/`.
 */
export async function resolveInWorkspace(root: string, p: string): Promise<string> {
  if (p.includes('\0')) {
    throw new PathOutsideWorkspaceError(p, `a path cannot contain a NUL byte: ${FIX_HINT}`);
  }
  if (LONE_SURROGATE.test(p)) {
    throw new PathOutsideWorkspaceError(p, `path "${p}" is not valid Unicode (a lone surrogate): ${FIX_HINT}`);
  }
  if (p.length > MAX_PATH_CHARS) {
    throw new PathOutsideWorkspaceError(
      p.slice(0, 80),
      `path "${p.slice(0, 80)}…" is ${p.length} characters long (at most ${MAX_PATH_CHARS}): ${FIX_HINT}`,
    );
  }
  const lexicalRoot = path.resolve(root);
  const realRoot = await realpath(lexicalRoot);
  const lexical = path.resolve(lexicalRoot, p);

  // An absolute path may name the workspace through either its given or its real location.
  let relative: string;
  if (isWithin(lexicalRoot, lexical)) relative = path.relative(lexicalRoot, lexical);
  else if (isWithin(realRoot, lexical)) relative = path.relative(realRoot, lexical);
  else throw new PathOutsideWorkspaceError(p, `path "${p}" is outside the workspace ${lexicalRoot}: ${FIX_HINT}`);

  if (containsGitDir(relative)) throw gitDirError(p);

  let real: string;
  try {
    real = await realpathLoose(path.join(realRoot, relative));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENAMETOOLONG') throw err;
    throw new PathOutsideWorkspaceError(
      p.slice(0, 80),
      `a file or folder name in path "${p.slice(0, 80)}${p.length > 80 ? '…' : ''}" is too long (at most 255 bytes each): ${FIX_HINT}`,
    );
  }
  if (!isWithin(realRoot, real)) {
    throw new PathOutsideWorkspaceError(
      p,
      `path "${p}" leads through a symbolic link to ${real}, which is outside the workspace ${lexicalRoot}: ${FIX_HINT}`,
    );
  }
  if (containsGitDir(path.relative(realRoot, real))) throw gitDirError(p);
  return real;
}

function gitDirError(p: string): PathOutsideWorkspaceError {
  return new PathOutsideWorkspaceError(
    p,
    `path "${p}" is inside the .git directory, which the file tools may not touch: use git commands through the shell tool instead (e.g. "git log", "git config --list")`,
  );
}
