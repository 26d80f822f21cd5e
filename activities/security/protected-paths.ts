/**
 * The protected-paths guard: the agent may not weaken the evaluator (the goal's tests, its benchmark, the
 * metric's own scripts). The protected set is the spec's `protect` globs plus the workspace files the commands name,
 * by the role of the command (goal/protection.ts): what checks, held-out checks and number-reading metrics name is
 * protected, what a wall_time metric runs is not, `editable` globs are exempt; an npm/yarn/pnpm script a guard runs
 * protects that `scripts` entry of package.json, not the file. A manifest of their hashes (and entries) is taken at
 * the baseline; after the agent's work the workspace is checked against it, and violations are put back (restored
 * from the start commit, removed when added, a script entry written back).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { editableReason, namedReason, protectGlobReason, type RoledCommand } from '../../goal/protection';
import { git } from '../workspace/git';

export interface ProtectedManifest {
  /** The protected globs (spec globs plus the named files, escaped), as given to {@link buildManifest}. */
  patterns: string[];
  /** Workspace-relative path (forward slashes) → sha256 hex of its content at the baseline. */
  files: Record<string, string>;
  /** Why each pattern is protected, shown with a refusal (absent in manifests taken before reasons were kept). */
  reasons?: Record<string, string>;
  /** The package.json `scripts` entries a guard or evaluator runs: their values are protected, not the whole file. */
  scripts?: ScriptGuard[];
}

/** A protected `scripts` entry of a package.json. */
export interface ScriptGuard {
  /** Workspace-relative path of the package.json. */
  file: string;
  name: string;
  /** Its value at the baseline; null when there was none (adding one is a change too). */
  value: string | null;
  reason: string;
}

/** What the spec gives the automatic rules: its globs and the commands with the role of what they name. */
export interface ProtectionInput {
  readonly protect: readonly string[];
  readonly editable?: readonly string[];
  readonly named: readonly RoledCommand[];
}

/** One line of what `start` and `draft` show: a path (a file, a glob, `package.json:scripts.test`) and why. */
export interface ProtectionEntry {
  readonly path: string;
  readonly protected: boolean;
  readonly reason: string;
}

/** The protection of a goal before any hash is taken: what buildProtectedManifest records, and what users see. */
export interface ProtectionPlan {
  readonly patterns: string[];
  readonly reasons: Record<string, string>;
  readonly scripts: Omit<ScriptGuard, 'value'>[];
  readonly entries: ProtectionEntry[];
}

export interface IntegrityViolation {
  path: string;
  change: 'modified' | 'deleted' | 'added';
}

/** What {@link protectedPatterns} needs of a goal spec. */
export interface ProtectedSpec {
  readonly protect: readonly string[];
  readonly metrics: readonly { readonly command: string }[];
  readonly checks: readonly { readonly command: string }[];
}

// ---------------------------------------------------------------------------------------------------------------
// Paths

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/** `p` relative to `root` with forward slashes, or null if it is outside `root`, `root` itself, or inside `.git`. */
function insideRel(root: string, p: string): string | null {
  const rel = path.relative(root, p);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  const posix = toPosix(rel);
  return posix.split('/').includes('.git') ? null : posix;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A literal path as a picomatch pattern: glob syntax characters are escaped. */
function escapeGlob(p: string): string {
  return p.replace(/[\\*?[\]{}()!+@|^$]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------------------------
// Shell words

type Token =
  { kind: 'word'; value: string; quoted: boolean; expands: boolean; glob: boolean } | { kind: 'op'; value: string };

const REDIRECTION = /^(\d*)(&>>|&>|>>|>&|>\||>|<<<|<<-|<<|<&|<>|<)/;
const OPERATORS = ['&&', '||', '|&', ';;', ';', '|', '&', '(', ')', '`', '\n'];

/**
 * Splits a shell command into words and operators: quotes, backslash escapes, comments, control operators and
 * redirections (as `redir<`, `redir>` or `redir-skip` operators whose target is the following word).
 * Approximate by design: expansions are not performed, only flagged.
 */
function tokenize(command: string): Token[] {
  const tokens: Token[] = [];
  let word: { value: string; quoted: boolean; expands: boolean; glob: boolean } | null = null;
  const flush = () => {
    if (word !== null) tokens.push({ kind: 'word', ...word });
    word = null;
  };
  const current = () => (word ??= { value: '', quoted: false, expands: false, glob: false });

  let i = 0;
  while (i < command.length) {
    const c = command[i] ?? '';
    if (c === ' ' || c === '\t' || c === '\r') {
      flush();
      i++;
      continue;
    }
    if (word !== null && (c === '<' || c === '>')) {
      flush(); // `node test.js>out`: the redirection ends the word.
      continue;
    }
    if (word === null) {
      if (c === '#') {
        while (i < command.length && command[i] !== '\n') i++;
        continue;
      }
      const redir = REDIRECTION.exec(command.slice(i));
      if (redir) {
        const op = redir[2] ?? '';
        i += redir[0].length;
        if (op === '>&' || op === '<&') {
          // `2>&1`, `>&-`: a file descriptor, not a file. `>& file` (csh style) writes a file: skip it too.
          const fd = /^(\d+|-)/.exec(command.slice(i));
          if (fd) i += fd[0].length;
          else tokens.push({ kind: 'op', value: 'redir-skip' });
        } else {
          tokens.push({ kind: 'op', value: op === '<' || op === '<>' ? 'redir<' : 'redir-skip' });
        }
        continue;
      }
    }
    const op = OPERATORS.find((o) => command.startsWith(o, i));
    if (op !== undefined) {
      flush();
      tokens.push({ kind: 'op', value: op });
      i += op.length;
      continue;
    }
    const w = current();
    if (c === '\\') {
      const next = command[i + 1];
      if (next === '\n') i += 2;
      else {
        w.value += next ?? '';
        w.quoted = true;
        i += 2;
      }
      continue;
    }
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      const stop = end === -1 ? command.length : end;
      w.value += command.slice(i + 1, stop);
      w.quoted = true;
      i = stop + 1;
      continue;
    }
    if (c === '"') {
      w.quoted = true;
      i++;
      while (i < command.length && command[i] !== '"') {
        const d = command[i] ?? '';
        if (d === '\\' && i + 1 < command.length && '$`"\\\n'.includes(command[i + 1] ?? '')) {
          if (command[i + 1] !== '\n') w.value += command[i + 1] ?? '';
          i += 2;
          continue;
        }
        if (d === '$' || d === '`') w.expands = true;
        w.value += d;
        i++;
      }
      i++;
      continue;
    }
    if (c === '$') w.expands = true;
    if (c === '*' || c === '?' || c === '[') w.glob = true;
    if (c === '~' && w.value === '') w.expands = true;
    w.value += c;
    i++;
  }
  flush();
  return tokens;
}

const SEPARATORS = new Set(['&&', '||', '|&', ';;', ';', '|', '&', '\n', '`']);
/** Words that run the command that follows them. */
const WRAPPERS = new Set(['env', 'time', 'exec', 'command', 'nohup', 'builtin', 'xargs', 'timeout', 'nice']);
const NPM_SCRIPT_COMMANDS = new Set([
  'test',
  't',
  'tst',
  'run',
  'run-script',
  'rum',
  'urn',
  'start',
  'stop',
  'restart',
]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

interface NameContext {
  readonly realRoot: string;
  readonly found: Set<string>;
  listing?: Promise<string[]>;
  /**
   * When set, a package-manager script names its package.json entries here (path → script names) and the files
   * its value names, instead of the whole package.json.
   */
  readonly scripts?: Map<string, Set<string>>;
  /** Through which script a file was named (for the reasons shown). */
  readonly via?: Map<string, string>;
  /** Through which script a script entry was named (`package.json\0build` → `npm script test`). */
  readonly scriptVia?: Map<string, string>;
  /** The script being expanded, and how deep. */
  current?: string;
  depth?: number;
}

/** Adds the workspace file `abs` names (and, for a symlink, the file it leads to), if any; true if it did. */
async function addIfFile(ctx: NameContext, abs: string): Promise<boolean> {
  let real: string;
  try {
    real = await fs.realpath(abs);
    if (!(await fs.stat(real)).isFile()) return false;
  } catch {
    return false;
  }
  const realRel = insideRel(ctx.realRoot, real);
  if (realRel === null) return false;
  ctx.found.add(realRel);
  if (ctx.current !== undefined && ctx.via && !ctx.via.has(realRel)) ctx.via.set(realRel, ctx.current);
  // The name itself, when it is a symlink inside the workspace: retargeting the link would change the evaluator too.
  try {
    const linkPath = path.join(await fs.realpath(path.dirname(abs)), path.basename(abs));
    const linkRel = insideRel(ctx.realRoot, linkPath);
    if (linkRel !== null && linkRel !== realRel && (await fs.lstat(linkPath)).isSymbolicLink()) ctx.found.add(linkRel);
  } catch {
    // Not a link we can name: the target is protected already.
  }
  return true;
}

/** Files an unquoted glob word such as `test/*.test.js` would expand to (among git's tracked and untracked files). */
async function expandGlob(ctx: NameContext, cwd: string, word: string): Promise<void> {
  if (path.isAbsolute(word)) return;
  const realCwd = await fs.realpath(cwd).catch(() => null);
  if (realCwd === null) return;
  const base = realCwd === ctx.realRoot ? '' : insideRel(ctx.realRoot, realCwd);
  if (base === null) return;
  const pattern = path.posix.normalize(base === '' ? word : `${base}/${word}`);
  if (pattern.startsWith('..')) return;
  ctx.listing ??= listWorkspaceFiles(ctx.realRoot).catch(() => []);
  const isMatch = picomatch(pattern);
  for (const file of await ctx.listing) if (isMatch(file)) await addIfFile(ctx, path.join(ctx.realRoot, file));
}

async function nameWord(ctx: NameContext, cwd: string | null, token: Token & { kind: 'word' }): Promise<void> {
  const value = token.value;
  if (value === '' || token.expands) return;
  if (token.glob && !token.quoted) {
    if (cwd !== null) await expandGlob(ctx, cwd, value);
    return;
  }
  const candidates = [value];
  // `--config=jest.config.js`, `FOO=bar.txt`: the value may be a file.
  const eq = value.indexOf('=');
  if (eq > 0 && eq < value.length - 1) candidates.push(value.slice(eq + 1));
  let named = false;
  for (const candidate of candidates) {
    if (path.isAbsolute(candidate)) named = (await addIfFile(ctx, candidate)) || named;
    else if (cwd !== null) named = (await addIfFile(ctx, path.resolve(cwd, candidate))) || named;
  }
  // A quoted script such as `bash -c "node test.js"` or `node -e "require('./x')"`: its words name files too.
  if (!named && token.quoted && /[\s;&|<>()'"]/.test(value)) await nameCommand(ctx, cwd, value, true);
}

/** Files a command segment runs through a package manager or make: package.json, the Makefile. */
async function nameToolFiles(ctx: NameContext, cwd: string | null, words: string[]): Promise<void> {
  let k = 0;
  let afterWrapper = false;
  for (; k < words.length; k++) {
    const w = words[k] ?? '';
    if (WRAPPERS.has(w)) afterWrapper = true;
    else if (!ASSIGNMENT.test(w) && !(afterWrapper && /^(-|\d+(\.\d+)?[smhd]?$)/.test(w))) break;
  }
  const program = path.basename(words[k] ?? '');
  const args = words.slice(k + 1).filter((w) => !w.startsWith('-'));
  if (cwd === null) return;
  if ((program === 'npm' && NPM_SCRIPT_COMMANDS.has(args[0] ?? '')) || program === 'yarn' || program === 'pnpm') {
    if (ctx.scripts) await nameScript(ctx, cwd, program, args);
    else await addIfFile(ctx, path.join(cwd, 'package.json'));
  } else if (program === 'make' || program === 'gmake') {
    for (const name of ['GNUmakefile', 'makefile', 'Makefile']) await addIfFile(ctx, path.join(cwd, name));
  }
}

const RUN_WORDS = new Set(['run', 'run-script', 'rum', 'urn']);
/** How deep scripts that run scripts are followed. */
const MAX_SCRIPT_DEPTH = 5;

/** The script a package-manager command runs: `npm test` → test, `npm run build` → build, `yarn lint` → lint. */
function scriptName(program: string, args: readonly string[]): string | undefined {
  const [first, second] = args;
  if (first === undefined) return undefined;
  if (RUN_WORDS.has(first)) return second;
  if (program === 'npm') return ['test', 't', 'tst'].includes(first) ? 'test' : first;
  return first;
}

/**
 * A script a command runs through npm, yarn or pnpm: its entry and its pre/post entries are named (the values are
 * what runs), and the files and scripts its value names, as the command would.
 */
async function nameScript(ctx: NameContext, cwd: string, program: string, args: readonly string[]): Promise<void> {
  const scripts = ctx.scripts;
  const name = scriptName(program, args);
  if (scripts === undefined || name === undefined) return;
  const pkgAbs = path.join(cwd, 'package.json');
  let real: string;
  try {
    real = await fs.realpath(pkgAbs);
  } catch {
    return; // no package.json: the command fails, nothing to protect
  }
  const rel = insideRel(ctx.realRoot, real);
  if (rel === null) return;
  const pkg = await readPackageScripts(ctx.realRoot, rel);
  const names = scripts.get(rel) ?? new Set<string>();
  scripts.set(rel, names);
  const depth = ctx.depth ?? 0;
  for (const entry of [`pre${name}`, name, `post${name}`]) {
    if (names.has(entry)) continue;
    names.add(entry);
    if (ctx.current !== undefined) ctx.scriptVia?.set(`${rel}\0${entry}`, ctx.current);
    const value = pkg?.[entry];
    if (typeof value !== 'string' || depth >= MAX_SCRIPT_DEPTH) continue;
    const outer = ctx.current;
    ctx.depth = depth + 1;
    ctx.current = outer ?? `npm script ${entry}`;
    await nameCommand(ctx, path.dirname(real), value, true);
    ctx.current = outer;
    ctx.depth = depth;
  }
}

async function nameCommand(ctx: NameContext, startCwd: string | null, command: string, nested = false): Promise<void> {
  if (nested && command.length > 100_000) return;
  const tokens = tokenize(command);
  let cwd = startCwd;
  const cwdStack: (string | null)[] = [];
  let segment: string[] = [];
  let skipNext = false;

  const endSegment = async () => {
    await nameToolFiles(ctx, cwd, segment);
    const [first, target] = segment;
    if (first === 'cd' || first === 'pushd') {
      // `cd bench && ./run.sh`: later words are relative to the new directory (unknown if it cannot be resolved).
      if (target === undefined || target === '-' || /[$~`]/.test(target)) cwd = null;
      else if (path.isAbsolute(target)) cwd = path.resolve(target);
      else if (cwd !== null) cwd = path.resolve(cwd, target);
    }
    segment = [];
  };

  for (const token of tokens) {
    if (token.kind === 'op') {
      if (token.value === 'redir<') skipNext = false;
      else if (token.value === 'redir-skip') skipNext = true;
      else {
        if (SEPARATORS.has(token.value)) await endSegment();
        if (token.value === '(') {
          await endSegment();
          cwdStack.push(cwd);
        } else if (token.value === ')') {
          await endSegment();
          if (cwdStack.length > 0) cwd = cwdStack.pop() ?? null;
        }
      }
      continue;
    }
    if (skipNext) {
      skipNext = false; // The target of an output redirection is written by the command, not part of the evaluator.
      continue;
    }
    segment.push(token.value);
    await nameWord(ctx, cwd, token);
  }
  await endSegment();
}

/**
 * Workspace-relative paths (forward slashes) of the existing regular files inside the workspace that a shell
 * command names, e.g. `bash bench/slow.sh && node test.js > /dev/null` → ['bench/slow.sh', 'test.js'].
 * Directories, files outside the workspace or inside `.git`, and output redirection targets are left out;
 * `npm test`, `npm run X`, `yarn X` and `pnpm X` name `package.json`, `make` names the Makefile.
 */
export async function filesNamedByCommand(workspace: string, command: string): Promise<string[]> {
  const realRoot = await fs.realpath(path.resolve(workspace));
  const ctx: NameContext = { realRoot, found: new Set() };
  await nameCommand(ctx, realRoot, command);
  return [...ctx.found].sort();
}

/** What a command names when package-manager scripts count as entries: files, and package.json script entries. */
export interface NamedByCommand {
  /** Files, each with the script it was named through, if any. */
  readonly files: { path: string; via?: string }[];
  readonly scripts: { file: string; name: string; via?: string }[];
}

/**
 * Like {@link filesNamedByCommand}, but `npm test`, `npm run X`, `yarn X` and `pnpm X` name the package.json
 * script entries they run (`X`, `preX`, `postX`) and what those entries' values name, not package.json itself.
 */
export async function namedByCommand(workspace: string, command: string): Promise<NamedByCommand> {
  const realRoot = await fs.realpath(path.resolve(workspace));
  const ctx: NameContext = { realRoot, found: new Set(), scripts: new Map(), via: new Map(), scriptVia: new Map() };
  await nameCommand(ctx, realRoot, command);
  const files = [...ctx.found].sort().map((p) => {
    const via = ctx.via?.get(p);
    return via !== undefined ? { path: p, via } : { path: p };
  });
  const scripts = [...(ctx.scripts ?? new Map<string, Set<string>>())].flatMap(([file, names]) =>
    [...names].sort().map((name) => {
      const via = ctx.scriptVia?.get(`${file}\0${name}`);
      return via !== undefined ? { file, name, via } : { file, name };
    }),
  );
  return { files, scripts };
}

// ---------------------------------------------------------------------------------------------------------------
// Patterns

/**
 * The protected patterns of a goal: the spec's `protect` globs plus the files named by every metric and check
 * command (escaped as literal patterns), deduplicated and sorted. Checklist and holdout commands are not included.
 */
export async function protectedPatterns(spec: ProtectedSpec, workspace: string): Promise<string[]> {
  const patterns = new Set(spec.protect.map((p) => p.trim()).filter((p) => p !== ''));
  for (const { command } of [...spec.metrics, ...spec.checks]) {
    for (const file of await filesNamedByCommand(workspace, command)) patterns.add(escapeGlob(file));
  }
  return [...patterns].sort();
}

/** How a protected script entry is named in violations and listings: `package.json:scripts.test`. */
export function scriptPath(s: Pick<ScriptGuard, 'file' | 'name'>): string {
  return `${s.file}:scripts.${s.name}`;
}

/**
 * The protection of a goal by the role of each command (see goal/protection.ts): the spec's `protect` globs, the
 * files guards and evaluators name (escaped as literal patterns) unless an `editable` glob exempts them, and the
 * package.json script entries they run. `entries` lists every named file and entry, protected or not, with why.
 */
export async function protectionPlan(input: ProtectionInput, workspace: string): Promise<ProtectionPlan> {
  const globs = [...new Set(input.protect.map((p) => p.trim()).filter((p) => p !== ''))];
  const reasons: Record<string, string> = {};
  for (const glob of globs) reasons[glob] = protectGlobReason(glob);
  const editable = (input.editable ?? []).map((g) => g.trim()).filter((g) => g !== '');
  const firstMatch = (list: readonly string[], rel: string) => list.find((g) => protectedMatcher([g])(rel));
  const entries = new Map<string, ProtectionEntry>();
  const scriptOf = new Map<string, { file: string; name: string }>();
  const found: { key: string; file: string; named: RoledCommand; via: string | undefined }[] = [];
  for (const named of input.named) {
    const byCommand = await namedByCommand(workspace, named.command);
    for (const f of byCommand.files) found.push({ key: f.path, file: f.path, named, via: f.via });
    for (const script of byCommand.scripts) {
      const key = scriptPath(script);
      scriptOf.set(key, { file: script.file, name: script.name });
      found.push({ key, file: script.file, named, via: script.via });
    }
  }
  // What a wall_time metric runs is its workload, even where a guard's script reaches it too (`npm test` running
  // `npm run build`): the guard is what it names itself (scripts.test), and what the build then does is checked.
  const workload = new Set(found.filter((f) => f.named.role === 'workload').map((f) => f.key));
  for (const { key, file, named, via } of found) {
    if (entries.get(key)?.protected) continue;
    const reason = namedReason(named, via);
    const glob = firstMatch(globs, file);
    if (named.role === 'workload') {
      entries.set(
        key,
        glob
          ? { path: key, protected: true, reason: protectGlobReason(glob) }
          : { path: key, protected: false, reason },
      );
      continue;
    }
    if (glob === undefined && via !== undefined && workload.has(key)) continue;
    const exempt = firstMatch(editable, file) ?? (key !== file ? firstMatch(editable, key) : undefined);
    if (exempt !== undefined && glob === undefined) {
      entries.set(key, { path: key, protected: false, reason: editableReason(exempt, reason) });
      continue;
    }
    entries.set(key, { path: key, protected: true, reason });
  }
  const scripts: Omit<ScriptGuard, 'value'>[] = [];
  for (const e of entries.values()) {
    if (!e.protected) continue;
    const script = scriptOf.get(e.path);
    if (script) scripts.push({ ...script, reason: e.reason });
    else reasons[escapeGlob(e.path)] = e.reason;
  }
  // A glob that is a named file's own path is shown once, as that file (with why it matches).
  const listed = globs
    .filter((glob) => !entries.has(glob))
    .map((glob) => ({ path: glob, protected: true, reason: 'listed in protect' }));
  return {
    patterns: Object.keys(reasons).sort(),
    reasons,
    scripts,
    entries: [...listed, ...[...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))],
  };
}

/** The reason a workspace-relative path is protected by the manifest, or null when it is not. */
export function protectionReason(manifest: ProtectedManifest, relPath: string): string | null {
  for (const pattern of manifest.patterns) {
    if (protectedMatcher([pattern])(relPath)) return manifest.reasons?.[pattern] ?? 'protected by the goal';
  }
  return null;
}

/**
 * A matcher for workspace-relative paths (forward slashes). A pattern without glob syntax that names a folder
 * (`bench`, `test/`) protects everything under it.
 */
export function protectedMatcher(patterns: readonly string[]): (relPath: string) => boolean {
  const expanded: string[] = [];
  for (const raw of patterns) {
    const pattern = raw.trim().replace(/^(\.\/)+/, '');
    if (pattern === '') continue;
    const folder = pattern.replace(/\/+$/, '');
    if (folder !== '') expanded.push(folder);
    if (!picomatch.scan(pattern).isGlob && folder !== '') expanded.push(`${folder}/**`);
  }
  if (expanded.length === 0) return () => false;
  const isMatch = picomatch(expanded, { dot: true });
  return (relPath) => isMatch(relPath.replace(/^(\.\/)+/, ''));
}

// ---------------------------------------------------------------------------------------------------------------
// Manifest

/** Tracked files and untracked files that are not ignored, relative to the workspace (forward slashes). */
async function listWorkspaceFiles(workspace: string): Promise<string[]> {
  const out = await git(workspace, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  return [...new Set(out.split('\0').filter(Boolean))].sort();
}

/** sha256 hex of a regular file's content (a symlink: of its target), or null if there is no such file. */
async function hashFile(workspace: string, rel: string): Promise<string | null> {
  const abs = path.join(workspace, rel);
  try {
    const st = await fs.lstat(abs);
    if (st.isSymbolicLink()) {
      return createHash('sha256')
        .update(`symlink\0${await fs.readlink(abs)}`)
        .digest('hex');
    }
    if (!st.isFile()) return null;
    return createHash('sha256')
      .update(await fs.readFile(abs))
      .digest('hex');
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

async function listProtected(workspace: string, patterns: readonly string[]): Promise<string[]> {
  const isProtected = protectedMatcher(patterns);
  return (await listWorkspaceFiles(workspace)).filter(isProtected);
}

/**
 * Hashes every file matching the patterns among git's tracked files and the untracked files that are not ignored.
 * Ignored files are not covered.
 */
export async function buildManifest(workspace: string, patterns: readonly string[]): Promise<ProtectedManifest> {
  const files: Record<string, string> = {};
  for (const file of await listProtected(workspace, patterns)) {
    const hash = await hashFile(workspace, file);
    if (hash !== null) files[file] = hash;
  }
  return { patterns: [...patterns], files };
}

/**
 * Compares the workspace with the manifest: a manifest file whose content differs (`modified`) or that is gone
 * (`deleted`), and a file now matching the patterns that the manifest does not list (`added`). Sorted by path.
 */
export async function checkIntegrity(workspace: string, manifest: ProtectedManifest): Promise<IntegrityViolation[]> {
  const violations: IntegrityViolation[] = [];
  for (const [file, hash] of Object.entries(manifest.files)) {
    // Checked on disk, not through git's listing: a file newly ignored or dropped from the index is still compared.
    const now = await hashFile(workspace, file);
    if (now === null) violations.push({ path: file, change: 'deleted' });
    else if (now !== hash) violations.push({ path: file, change: 'modified' });
  }
  for (const file of await listProtected(workspace, manifest.patterns)) {
    if (Object.hasOwn(manifest.files, file)) continue;
    if ((await hashFile(workspace, file)) !== null) violations.push({ path: file, change: 'added' });
  }
  violations.push(...(await scriptViolations(workspace, manifest)));
  return violations.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The manifest of a plan: hashes as buildManifest takes them, and the values of the protected script entries.
 * Taken again after an edit (`previous`), what the previous manifest recorded keeps its baseline hash and value
 * (files it covered that are gone stay listed, so their deletion is still seen); only newly covered paths are read now.
 */
export async function buildProtectedManifest(
  workspace: string,
  plan: Pick<ProtectionPlan, 'patterns' | 'reasons' | 'scripts'>,
  previous?: ProtectedManifest | null,
): Promise<ProtectedManifest> {
  const fresh = await buildManifest(workspace, plan.patterns);
  const files: Record<string, string> = {};
  for (const [file, hash] of Object.entries(fresh.files)) files[file] = previous?.files[file] ?? hash;
  if (previous) {
    const covered = protectedMatcher(plan.patterns);
    for (const [file, hash] of Object.entries(previous.files))
      if (covered(file) && !(file in files)) files[file] = hash;
  }
  const scripts: ScriptGuard[] = [];
  for (const s of plan.scripts) {
    const old = previous?.scripts?.find((o) => o.file === s.file && o.name === s.name);
    const value = old ? old.value : ((await readPackageScripts(workspace, s.file))?.[s.name] ?? null);
    scripts.push({ ...s, value: typeof value === 'string' ? value : null });
  }
  return {
    patterns: [...plan.patterns],
    files,
    reasons: { ...plan.reasons },
    ...(scripts.length > 0 ? { scripts } : {}),
  };
}

/** A package.json's `scripts`, or null when it is missing or not a JSON object; undefined values are left out. */
async function readPackageScripts(workspace: string, rel: string): Promise<Record<string, unknown> | null> {
  const parsed = await readPackageJson(workspace, rel);
  if (parsed.kind !== 'json') return null;
  const scripts = parsed.value.scripts;
  return typeof scripts === 'object' && scripts !== null ? (scripts as Record<string, unknown>) : {};
}

type PackageRead =
  { kind: 'missing' } | { kind: 'unreadable' } | { kind: 'json'; value: Record<string, unknown>; text: string };

async function readPackageJson(workspace: string, rel: string): Promise<PackageRead> {
  let text: string;
  try {
    text = await fs.readFile(path.join(workspace, rel), 'utf8');
  } catch (err) {
    if (isMissing(err)) return { kind: 'missing' };
    throw err;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'unreadable' };
    return { kind: 'json', value: value as Record<string, unknown>, text };
  } catch {
    return { kind: 'unreadable' };
  }
}

/** The protected script entries that differ from the baseline: `modified`, `deleted` (gone, or the file is), `added`. */
async function scriptViolations(workspace: string, manifest: ProtectedManifest): Promise<IntegrityViolation[]> {
  const violations: IntegrityViolation[] = [];
  for (const s of manifest.scripts ?? []) {
    const read = await readPackageJson(workspace, s.file);
    if (read.kind === 'missing') {
      if (s.value !== null) violations.push({ path: scriptPath(s), change: 'deleted' });
      continue;
    }
    if (read.kind === 'unreadable') {
      violations.push({ path: scriptPath(s), change: 'modified' });
      continue;
    }
    const scripts = read.value.scripts;
    const raw =
      typeof scripts === 'object' && scripts !== null ? (scripts as Record<string, unknown>)[s.name] : undefined;
    const now = typeof raw === 'string' ? raw : raw === undefined ? null : JSON.stringify(raw);
    if (now === s.value) continue;
    violations.push({
      path: scriptPath(s),
      change: s.value === null ? 'added' : now === null ? 'deleted' : 'modified',
    });
  }
  return violations;
}

/**
 * Puts protected script entries back, leaving the rest of each package.json (dependencies) as the agent left it.
 * A package.json that is gone or no longer JSON is restored whole from the start commit.
 */
async function restoreScripts(
  workspace: string,
  startCommit: string | null,
  guards: readonly ScriptGuard[],
): Promise<string[]> {
  const lines: string[] = [];
  const short = startCommit?.slice(0, 12) ?? '';
  for (const file of [...new Set(guards.map((g) => g.file))]) {
    const mine = guards.filter((g) => g.file === file);
    let read = await readPackageJson(workspace, file);
    if (read.kind !== 'json') {
      if (startCommit === null || !(await existsAt(workspace, startCommit, file))) {
        lines.push(
          `${file}: not restorable: it is ${read.kind === 'missing' ? 'gone' : 'no longer JSON'} and not in the start commit; restore its scripts by hand`,
        );
        continue;
      }
      try {
        await git(workspace, ['--literal-pathspecs', 'checkout', startCommit, '--', file]);
      } catch (err) {
        lines.push(`${file}: not restorable: git checkout ${short} failed: ${errorText(err)}`);
        continue;
      }
      lines.push(
        `${file}: restored from the start commit ${short} (it was ${read.kind === 'missing' ? 'deleted' : 'no longer JSON'}; its scripts are protected)`,
      );
      read = await readPackageJson(workspace, file);
      if (read.kind !== 'json') continue;
    }
    const pkg = read.value;
    const scripts = {
      ...(typeof pkg.scripts === 'object' && pkg.scripts !== null ? (pkg.scripts as Record<string, unknown>) : {}),
    };
    const put: string[] = [];
    for (const g of mine) {
      const now = scripts[g.name];
      if ((typeof now === 'string' ? now : now === undefined ? null : undefined) === g.value) continue;
      if (g.value === null) delete scripts[g.name];
      else scripts[g.name] = g.value;
      put.push(g.name);
    }
    if (put.length === 0) continue;
    const indent = /\n([ \t]+)"/.exec(read.text)?.[1] ?? 2;
    const text = JSON.stringify({ ...pkg, scripts }, null, indent) + (read.text.endsWith('\n') ? '\n' : '');
    await fs.writeFile(path.join(workspace, file), text);
    for (const name of put)
      lines.push(`${scriptPath({ file, name })}: put back as at the baseline (the rest of ${file} kept)`);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------------------
// Restore

async function existsAt(workspace: string, commit: string, rel: string): Promise<boolean> {
  try {
    await git(workspace, ['cat-file', '-e', `${commit}:./${rel}`]);
    return true;
  } catch {
    return false;
  }
}

function errorText(err: unknown): string {
  const e = err as { stderr?: unknown; message?: unknown };
  const text = typeof e.stderr === 'string' && e.stderr.trim() !== '' ? e.stderr : String(e.message ?? err);
  return text.trim().split('\n')[0] ?? '';
}

/**
 * Puts the protected files back: modified and deleted files are restored from the start commit
 * (`git checkout <commit> -- path`) and added files are removed. A file that cannot be restored (it was not
 * committed at the start commit, e.g. untracked at the baseline, or its committed content is not the baseline's)
 * is reported as "not restorable". Returns one human-readable line per file: what was done, or the problem.
 */
export async function restoreProtected(
  workspace: string,
  startCommit: string | null,
  manifest: ProtectedManifest,
  violations: readonly IntegrityViolation[],
): Promise<string[]> {
  const lines: string[] = [];
  const short = startCommit?.slice(0, 12) ?? '';
  const guards = new Map((manifest.scripts ?? []).map((g) => [scriptPath(g), g]));
  const scripts = violations.flatMap((v) => guards.get(v.path) ?? []);
  const files = violations.filter((v) => !guards.has(v.path));
  const added = files.filter((v) => v.change === 'added');
  const changed = files.filter((v) => v.change !== 'added');

  for (const { path: rel } of added) {
    const abs = path.join(workspace, rel);
    if (insideRel(path.resolve(workspace), path.resolve(abs)) === null) {
      lines.push(`${rel}: not removed: the path is not inside the workspace`);
      continue;
    }
    try {
      await fs.rm(abs, { force: true });
      // If the agent staged the new file, unstage it too, so that index and work tree agree it is gone.
      await git(workspace, ['--literal-pathspecs', 'rm', '-q', '--cached', '--ignore-unmatch', '--', rel]).catch(
        () => '',
      );
      lines.push(`${rel}: removed (a new file in a protected path)`);
    } catch (err) {
      lines.push(`${rel}: not removed: ${errorText(err)}`);
    }
  }

  for (const { path: rel, change } of changed) {
    const expected = manifest.files[rel];
    const what = change === 'deleted' ? 'deleted' : 'modified';
    if (startCommit === null || !(await existsAt(workspace, startCommit, rel))) {
      const why =
        startCommit === null
          ? 'the workspace had no commit at the start'
          : `it was not committed at the start commit ${short} (it was untracked at the baseline)`;
      lines.push(`${rel}: not restorable: it was ${what}, and ${why}; restore it by hand`);
      continue;
    }
    try {
      await git(workspace, ['--literal-pathspecs', 'checkout', startCommit, '--', rel]);
    } catch (err) {
      lines.push(`${rel}: not restorable: it was ${what}, and git checkout ${short} failed: ${errorText(err)}`);
      continue;
    }
    const now = await hashFile(workspace, rel);
    if (expected !== undefined && now !== expected) {
      lines.push(
        `${rel}: not restorable: it was ${what}; restored from the start commit ${short}, but that differs from ` +
          `the baseline (the file had uncommitted changes when the goal started)`,
      );
    } else {
      lines.push(`${rel}: restored from the start commit ${short} (it had been ${what})`);
    }
  }
  if (scripts.length > 0) lines.push(...(await restoreScripts(workspace, startCommit, scripts)));
  return lines;
}
