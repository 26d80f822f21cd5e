/**
 * The file tools (read_file, write_file, edit_file, list_files, search), confined to the workspace.
 * Each returns the text the model sees and a one-line summary; problems the model can fix are thrown as
 * errors whose message says how.
 */
import { randomBytes } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  realpath,
  rename,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import * as path from 'node:path';
import picomatch from 'picomatch';
import {
  TOOL_LIMITS,
  type EditFileArgs,
  type ListFilesArgs,
  type ReadFileArgs,
  type SearchArgs,
  type WriteFileArgs,
} from '../../goal/tools';
import { resolveInWorkspace } from './workspace-path';

export interface FileToolResult {
  /** What the model sees. */
  readonly output: string;
  /** One line for logs and progress reports. */
  readonly summary: string;
}

export interface FileToolOptions {
  readonly signal?: AbortSignal;
  /** read_file: the most characters of file text to return in one page (capped at TOOL_LIMITS.readMaxChars). */
  readonly maxChars?: number;
}

/** Files larger than this are not loaded by read_file / edit_file. */
const MAX_TEXT_FILE_BYTES = 16 * 1024 * 1024;
/** search skips files larger than this. */
const MAX_SEARCH_FILE_BYTES = 4 * 1024 * 1024;
/** Longest line shown by read_file before it is cut. */
const MAX_LINE_CHARS = 2000;
/** Longest matching line shown by search before it is cut. */
const MAX_MATCH_LINE_CHARS = 300;
/** Bytes inspected for NUL to decide whether a file is binary. */
const BINARY_SNIFF_BYTES = 8000;
const SKIPPED_DIRS = new Set(['.git', 'node_modules']);

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function isBinary(buf: Buffer): boolean {
  return buf.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

/** Lines of `text` without their terminators; a final newline does not start another line. */
function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function numbered(lineNo: number, text: string): string {
  return `${String(lineNo).padStart(5)}| ${text}`;
}

function cutLine(line: string, max: number): string {
  return line.length <= max ? line : `${line.slice(0, max)}… [line cut: ${line.length - max} more characters]`;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** The path as the model should write it: relative to the workspace root, "." for the root itself. */
function displayPath(realRoot: string, abs: string): string {
  return path.relative(realRoot, abs).split(path.sep).join('/') || '.';
}

/** Turns a Node fs error into one whose message tells the model what went wrong and what to do. */
function describeFsError(err: unknown, display: string): Error {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return new Error(`"${display}" does not exist: check the path with list_files or search`);
    case 'EISDIR':
      return new Error(`"${display}" is a directory, not a file: use list_files to see what it contains`);
    case 'ENOTDIR':
      return new Error(`a parent of "${display}" is a file, not a directory: check the path with list_files`);
    case 'EACCES':
    case 'EPERM':
      return new Error(`permission denied for "${display}"`);
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}

async function resolveTarget(root: string, p: string): Promise<{ abs: string; realRoot: string; display: string }> {
  const abs = await resolveInWorkspace(root, p);
  const realRoot = await realpath(root);
  return { abs, realRoot, display: displayPath(realRoot, abs) };
}

async function statOrUndefined(abs: string): Promise<Stats | undefined> {
  try {
    return await stat(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Loads a text file for reading or editing, refusing directories, huge files and binary files with a hint. */
async function loadTextFile(abs: string, display: string): Promise<string> {
  let buf: Buffer;
  try {
    const st = await stat(abs);
    if (st.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    if (st.size > MAX_TEXT_FILE_BYTES) {
      throw new Error(
        `"${display}" is too large (${st.size} bytes) to load: use the shell tool instead, e.g. \`sed -n '100,200p' ${display}\` or \`grep -n PATTERN ${display}\``,
      );
    }
    buf = await readFile(abs);
  } catch (err) {
    throw describeFsError(err, display);
  }
  if (isBinary(buf)) {
    throw new Error(
      `"${display}" looks like a binary file (${buf.length} bytes), not text: inspect it with the shell tool instead (e.g. \`file ${display}\` or \`xxd ${display} | head\`)`,
    );
  }
  return buf.toString('utf8');
}

/** Writes via a temporary file in the same directory and a rename, keeping the mode of a file it replaces. */
async function writeAtomically(abs: string, content: string, mode: number | undefined): Promise<void> {
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, content, { flag: 'wx' });
    if (mode !== undefined) await chmod(tmp, mode);
    await rename(tmp, abs);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// read_file

export async function readFileTool(
  root: string,
  args: ReadFileArgs,
  opts: FileToolOptions = {},
): Promise<FileToolResult> {
  const { abs, display } = await resolveTarget(root, args.path);
  const lines = splitLines(await loadTextFile(abs, display));
  const total = lines.length;
  if (total === 0) return { output: `${display} is empty (0 lines).`, summary: `read_file: ${display} (empty)` };

  const start = args.startLine ?? 1;
  if (start > total) {
    throw new Error(`startLine ${start} is past the end of "${display}", which has ${plural(total, 'line')}`);
  }
  if (args.endLine !== undefined && args.endLine < start) {
    throw new Error(`endLine ${args.endLine} is before startLine ${start}: endLine must be >= startLine`);
  }
  const end = Math.min(args.endLine ?? total, total);
  const maxChars = Math.min(opts.maxChars ?? TOOL_LIMITS.readMaxChars, TOOL_LIMITS.readMaxChars);

  const out: string[] = [];
  let chars = 0;
  let last = start - 1;
  for (let n = start; n <= end && n - start < TOOL_LIMITS.readMaxLines; n++) {
    const line = numbered(n, cutLine(lines[n - 1] ?? '', MAX_LINE_CHARS));
    if (out.length > 0 && chars + line.length + 1 > maxChars) break;
    out.push(line);
    chars += line.length + 1;
    last = n;
  }

  const header = `${display} (lines ${start}-${last} of ${total}):`;
  let footer = '';
  if (last < end) {
    footer =
      `\n[Showing lines ${start}-${last} of ${total}; this page is full. To read on, call read_file with ` +
      `{"path": ${JSON.stringify(display)}, "startLine": ${last + 1}}.]`;
  } else if (last < total) {
    footer = `\n[The file continues to line ${total}.]`;
  }
  return {
    output: `${header}\n${out.join('\n')}${footer}`,
    summary: `read_file: ${display} lines ${start}-${last} of ${total}`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// write_file

export async function writeFileTool(root: string, args: WriteFileArgs): Promise<FileToolResult> {
  const { abs, display } = await resolveTarget(root, args.path);
  let existed: boolean;
  try {
    const st = await statOrUndefined(abs);
    if (st?.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    existed = st !== undefined;
    await mkdir(path.dirname(abs), { recursive: true });
    await writeAtomically(abs, args.content, st ? st.mode & 0o7777 : undefined);
  } catch (err) {
    throw describeFsError(err, display);
  }
  const lines = splitLines(args.content).length;
  const bytes = Buffer.byteLength(args.content);
  const verb = existed ? 'Overwrote' : 'Created';
  return {
    output: `${verb} ${display} (${plural(lines, 'line')}, ${plural(bytes, 'byte')}).`,
    summary: `write_file: ${verb.toLowerCase()} ${display} (${plural(lines, 'line')})`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// edit_file

/** Start offsets of every (non-overlapping) occurrence of `needle` in `text`. */
function occurrences(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) found.push(i);
  return found;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function bigrams(s: string): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < s.length - 1; i++) {
    const g = s.slice(i, i + 2);
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

/** Dice coefficient over character bigrams: 1 for equal strings, near 0 for unrelated ones. */
function similarity(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length < 2 || b.length < 2) return 0;
  const ga = bigrams(a);
  let common = 0;
  for (const [g, n] of bigrams(b)) common += Math.min(n, ga.get(g) ?? 0);
  return (2 * common) / (a.length - 1 + (b.length - 1));
}

const collapseWhitespace = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Explains a failed match as helpfully as it can: the nearest line, whitespace-only differences, copied prefixes. */
function notFoundMessage(text: string, oldText: string, display: string): string {
  const hints: string[] = [];
  let readAt = '';
  if (/^\s*\d+\| /m.test(oldText)) {
    hints.push('oldText seems to include the line-number prefixes ("   12| ") that read_file adds: remove them.');
  }
  if (collapseWhitespace(text).includes(collapseWhitespace(oldText))) {
    hints.push('The text does occur if whitespace is ignored: check indentation (tabs or spaces) and line breaks.');
  }
  const first = oldText
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  if (first !== undefined) {
    const lines = text.split('\n');
    let best = { score: 0, line: 0 };
    for (let i = 0; i < lines.length && i < 50_000; i++) {
      const score = similarity(first, (lines[i] ?? '').trim());
      if (score > best.score) best = { score, line: i + 1 };
    }
    if (best.score >= 0.6) {
      const shown = cutLine((lines[best.line - 1] ?? '').replace(/\r$/, ''), MAX_MATCH_LINE_CHARS);
      hints.push(`The closest line to the start of oldText is line ${best.line}:\n${numbered(best.line, shown)}`);
      readAt = ` around line ${best.line}`;
    }
  }
  return [
    `oldText was not found in "${display}".`,
    ...hints,
    `Read the file with read_file${readAt} and copy the text to replace exactly, then call edit_file again.`,
  ].join('\n');
}

/** Numbered lines `from`..`to` of `text` (clamped), for showing the result of an edit. */
function excerpt(text: string, from: number, to: number): string {
  const lines = splitLines(text);
  const first = Math.max(1, from);
  const last = Math.min(lines.length, to);
  const out: string[] = [];
  for (let n = first; n <= last; n++) out.push(numbered(n, cutLine(lines[n - 1] ?? '', MAX_MATCH_LINE_CHARS)));
  return out.join('\n');
}

const EDIT_CONTEXT_LINES = 2;
const EDIT_EXCERPT_MAX_LINES = 30;

export async function editFileTool(root: string, args: EditFileArgs): Promise<FileToolResult> {
  const { abs, display } = await resolveTarget(root, args.path);
  if (args.oldText === args.newText) throw new Error('oldText and newText are identical: there is nothing to change');

  let mode: number;
  try {
    mode = (await stat(abs)).mode & 0o7777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`"${display}" does not exist: to create a new file, use write_file`);
    }
    throw describeFsError(err, display);
  }
  let text = await loadTextFile(abs, display);

  let oldText = args.oldText;
  let newText = args.newText;
  let found = occurrences(text, oldText);
  // Models write "\n"; files may use "\r\n". Accept that difference (and keep the file's line endings).
  if (found.length === 0 && text.includes('\r\n') && oldText.includes('\n') && !oldText.includes('\r')) {
    const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');
    const alt = occurrences(text, crlf(oldText));
    if (alt.length > 0) {
      oldText = crlf(oldText);
      newText = crlf(newText);
      found = alt;
    }
  }

  if (found.length === 0) throw new Error(notFoundMessage(text, args.oldText, display));
  if (found.length > 1 && args.replaceAll !== true) {
    const lines = found.slice(0, 20).map((i) => lineOf(text, i));
    throw new Error(
      `oldText occurs ${found.length} times in "${display}" (at lines ${lines.join(', ')}${found.length > 20 ? ', …' : ''}). ` +
        'Include more surrounding lines in oldText so that it matches exactly once, or set replaceAll: true to replace every occurrence.',
    );
  }

  // Split/join, not String.replace: newText must not be scanned for "$&"-style patterns.
  const firstAt = found[0] ?? 0;
  text = text.slice(0, firstAt) + text.slice(firstAt).split(oldText).join(newText);
  try {
    await writeAtomically(abs, text, mode);
  } catch (err) {
    throw describeFsError(err, display);
  }

  const startLine = lineOf(text, firstAt);
  const newLines = splitLines(newText).length || 1;
  const to = Math.min(startLine + newLines - 1 + EDIT_CONTEXT_LINES, startLine + EDIT_EXCERPT_MAX_LINES);
  const what = found.length === 1 ? '1 occurrence' : `${found.length} occurrences`;
  return {
    output:
      `Edited ${display}: replaced ${what}.` +
      `\n${found.length > 1 ? 'First replacement' : 'Result'} (lines ${Math.max(1, startLine - EDIT_CONTEXT_LINES)}-${to}):\n` +
      excerpt(text, startLine - EDIT_CONTEXT_LINES, to),
    summary: `edit_file: ${display} (${found.length === 1 ? '1 replacement' : `${found.length} replacements`})`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// list_files

async function readDirSorted(dir: string): Promise<Dirent[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function listFilesTool(
  root: string,
  args: ListFilesArgs,
  opts: FileToolOptions = {},
): Promise<FileToolResult> {
  const { abs, realRoot, display } = await resolveTarget(root, args.path);
  const max = args.maxEntries ?? TOOL_LIMITS.listDefaultEntries;
  let st: Stats;
  try {
    st = await stat(abs);
  } catch (err) {
    throw describeFsError(err, display);
  }
  if (!st.isDirectory())
    return { output: `${display} (a file, ${plural(st.size, 'byte')})`, summary: `list_files: ${display}` };

  // Breadth-first, so a capped listing still shows the overall shape; sorted at the end.
  const entries: string[] = [];
  const queue = [abs];
  let capped = false;
  let unreadable = 0;
  outer: for (let dir = queue.shift(); dir !== undefined; dir = queue.shift()) {
    opts.signal?.throwIfAborted();
    let dirents: Dirent[];
    try {
      dirents = await readDirSorted(dir);
    } catch (err) {
      if (dir === abs) throw describeFsError(err, display);
      unreadable++;
      continue;
    }
    for (const d of dirents) {
      if (SKIPPED_DIRS.has(d.name) && d.isDirectory()) continue;
      if (entries.length >= max) {
        capped = true;
        break outer;
      }
      const full = path.join(dir, d.name);
      const rel = displayPath(realRoot, full);
      if (d.isDirectory()) {
        entries.push(`${rel}/`);
        queue.push(full);
      } else if (d.isSymbolicLink()) {
        const target = await readlink(full).catch(() => '?');
        entries.push(`${rel} -> ${target}`);
      } else {
        entries.push(rel);
      }
    }
  }
  entries.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  const where = display === '.' ? 'the workspace root' : `${display}/`;
  if (entries.length === 0) return { output: `${where} is empty.`, summary: `list_files: ${display} (empty)` };
  const notes: string[] = [];
  if (capped) {
    notes.push(
      `[Listing stopped at ${max} entries. List a subdirectory${max < TOOL_LIMITS.listMaxEntries ? ' or raise maxEntries' : ''} to see more.]`,
    );
  }
  if (unreadable > 0) notes.push(`[${plural(unreadable, 'directory', 'directories')} could not be read.]`);
  return {
    output:
      `${plural(entries.length, 'entry', 'entries')} under ${where} (paths relative to the workspace root; ` +
      `directories end with "/"; .git and node_modules skipped):\n${entries.join('\n')}` +
      (notes.length > 0 ? `\n${notes.join('\n')}` : ''),
    summary: `list_files: ${display} (${plural(entries.length, 'entry', 'entries')}${capped ? ', capped' : ''})`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// search

function compilePattern(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `pattern is not a valid JavaScript regular expression (${why}). ` +
        'Escape special characters such as ( ) [ ] { } . * + ? | \\ with a backslash to match them literally.',
    );
  }
}

/** Files under `start` in sorted depth-first order, skipping .git, node_modules and symlinks. */
async function* walkFiles(start: string, signal: AbortSignal | undefined): AsyncGenerator<string> {
  const stack: string[] = [start];
  for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
    signal?.throwIfAborted();
    let dirents: Dirent[];
    try {
      dirents = await readDirSorted(dir);
    } catch {
      continue;
    }
    const subdirs: string[] = [];
    for (const d of dirents) {
      const full = path.join(dir, d.name);
      if (d.isDirectory()) {
        if (!SKIPPED_DIRS.has(d.name)) subdirs.push(full);
      } else if (d.isFile()) {
        yield full;
      }
    }
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i] as string);
  }
}

export async function searchTool(root: string, args: SearchArgs, opts: FileToolOptions = {}): Promise<FileToolResult> {
  const regex = compilePattern(args.pattern);
  const { abs, realRoot, display } = await resolveTarget(root, args.path ?? '.');
  let st: Stats;
  try {
    st = await stat(abs);
  } catch (err) {
    throw describeFsError(err, display);
  }
  const glob = args.glob;
  const matchesGlob =
    glob === undefined || glob === '' ? undefined : picomatch(glob, { dot: true, basename: !glob.includes('/') });

  const max = TOOL_LIMITS.searchMaxMatches;
  const results: string[] = [];
  let filesSearched = 0;
  let skippedBinary = 0;
  let skippedLarge = 0;
  let capped = false;

  const files: AsyncIterable<string> | string[] = st.isDirectory() ? walkFiles(abs, opts.signal) : [abs];
  for await (const file of files) {
    const rel = displayPath(realRoot, file);
    if (matchesGlob && file !== abs && !matchesGlob(rel) && !matchesGlob(path.relative(abs, file))) continue;
    let buf: Buffer;
    try {
      if ((await lstat(file)).size > MAX_SEARCH_FILE_BYTES) {
        skippedLarge++;
        continue;
      }
      buf = await readFile(file);
    } catch {
      continue;
    }
    if (isBinary(buf)) {
      skippedBinary++;
      continue;
    }
    filesSearched++;
    const lines = splitLines(buf.toString('utf8'));
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] ?? '';
      if (!regex.test(line)) continue;
      if (results.length >= max) {
        capped = true;
        break;
      }
      results.push(`${rel}:${i + 1}: ${cutLine(line.trim(), MAX_MATCH_LINE_CHARS)}`);
    }
    if (capped) break;
  }

  const scope = `/${args.pattern}/ in ${display}${glob ? ` (glob ${glob})` : ''}`;
  const skipped = [
    skippedBinary > 0 ? `${skippedBinary} binary` : '',
    skippedLarge > 0 ? `${skippedLarge} larger than ${MAX_SEARCH_FILE_BYTES / 1024 / 1024} MiB` : '',
  ].filter((s) => s !== '');
  const stats = `${plural(filesSearched, 'file')} searched${skipped.length > 0 ? `; skipped ${skipped.join(', ')}` : ''}`;
  if (results.length === 0) {
    return { output: `No matches for ${scope} (${stats}).`, summary: `search: ${scope} → no matches` };
  }
  const note = capped ? `\n[Stopped after ${max} matches. Narrow the pattern, path or glob to see the rest.]` : '';
  return {
    output: `${plural(results.length, 'match', 'matches')} for ${scope} (${stats}):\n${results.join('\n')}${note}`,
    summary: `search: ${scope} → ${results.length}${capped ? '+' : ''} matches`,
  };
}
