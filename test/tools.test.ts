import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODE_TOOLS, TOOL_NAMES, toolDefinitions } from '../goal/tools';
import { runTool, type RunToolInput } from '../activities/tools/dispatch';
import { killProcessGroup, runShell } from '../activities/tools/shell';
import { truncateHeadTail } from '../activities/tools/truncate';
import { PathOutsideWorkspaceError, resolveInWorkspace } from '../activities/tools/workspace-path';

const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** A fresh git repository with a few files. */
function makeWorkspace(): string {
  const ws = tempDir('longhaul-ws-');
  execFileSync('git', ['init', '-q'], { cwd: ws });
  mkdirSync(path.join(ws, 'src', 'lib'), { recursive: true });
  writeFileSync(path.join(ws, 'src', 'index.ts'), 'export const a = 1;\n// TODO: more\nexport const b = 2;\n');
  writeFileSync(path.join(ws, 'src', 'lib', 'util.ts'), 'export function util() {\n  return 42;\n}\n');
  writeFileSync(path.join(ws, 'README.md'), '# Project\nTODO write docs\n');
  return ws;
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function call(ws: string, name: string, args: unknown, extra: Partial<RunToolInput> = {}) {
  const storeFullOutput = jest.fn((_text: string) => Promise.resolve('ref-1'));
  const result = runTool({
    workspace: ws,
    name,
    arguments: typeof args === 'string' ? args : JSON.stringify(args),
    defaultShellTimeoutMs: 30_000,
    maxOutputChars: 20_000,
    storeFullOutput,
    ...extra,
  });
  return { result, storeFullOutput };
}

async function run(ws: string, name: string, args: unknown, extra: Partial<RunToolInput> = {}) {
  return call(ws, name, args, extra).result;
}

/** States (from ps) of the live processes in process group `pgid`; zombies awaiting their reaper do not count. */
function runningInGroup(pgid: number): string[] {
  return execFileSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, g, stat]) => Number(g) === pgid && stat !== undefined && !stat.startsWith('Z'))
    .map(([pid]) => pid!);
}

/** Whether `pid` is a live process (a zombie awaiting its reaper is not). */
function isRunning(pid: number): boolean {
  const stat = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  return stat !== '' && !stat.startsWith('Z');
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('resolveInWorkspace', () => {
  const ws = makeWorkspace();
  const real = realpathSync(ws);
  const outside = tempDir('longhaul-outside-');
  writeFileSync(path.join(outside, 'secret.txt'), 'secret');
  symlinkSync(outside, path.join(ws, 'escape'));
  symlinkSync(path.join(outside, 'missing-dir', 'new.txt'), path.join(ws, 'dangling'));
  symlinkSync('src/lib', path.join(ws, 'inside'));

  it.each(['../x', '/etc/passwd', 'src/../../x'])('refuses %s with a fix message', async (p) => {
    const err = await resolveInWorkspace(ws, p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PathOutsideWorkspaceError);
    expect((err as PathOutsideWorkspaceError).path).toBe(p);
    expect((err as Error).message).toContain(`path "${p}" is outside the workspace`);
    expect((err as Error).message).toContain('use a path relative to the workspace root, such as "src/index.ts"');
  });

  it('refuses symlinks that lead outside, including dangling ones', async () => {
    for (const p of ['escape/secret.txt', 'escape', 'dangling']) {
      const err = await resolveInWorkspace(ws, p).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PathOutsideWorkspaceError);
      expect((err as Error).message).toMatch(/symbolic link .* outside the workspace .*use a path relative/);
    }
    const read = await run(ws, 'read_file', { path: 'escape/secret.txt' });
    expect(read.isError).toBe(true);
    expect(read.output).toContain('outside the workspace');
    expect(read.output).not.toContain('secret\n');
    const write = await run(ws, 'write_file', { path: 'dangling', content: 'x' });
    expect(write.isError).toBe(true);
    expect(() => statSync(path.join(outside, 'missing-dir'))).toThrow();
  });

  it('allows nested paths, absolute paths inside and symlinks that stay inside', async () => {
    await expect(resolveInWorkspace(ws, 'src/index.ts')).resolves.toBe(path.join(real, 'src/index.ts'));
    await expect(resolveInWorkspace(ws, 'new/dir/file.ts')).resolves.toBe(path.join(real, 'new/dir/file.ts'));
    await expect(resolveInWorkspace(ws, path.join(ws, 'README.md'))).resolves.toBe(path.join(real, 'README.md'));
    await expect(resolveInWorkspace(ws, 'inside/util.ts')).resolves.toBe(path.join(real, 'src/lib/util.ts'));
    await expect(resolveInWorkspace(ws, '.')).resolves.toBe(real);
    const read = await run(ws, 'read_file', { path: 'inside/util.ts' });
    expect(read.isError).toBe(false);
    expect(read.output).toContain('return 42;');
  });

  it('refuses paths inside .git', async () => {
    for (const p of ['.git/config', '.git', 'src/../.git/HEAD']) {
      const err = await resolveInWorkspace(ws, p).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PathOutsideWorkspaceError);
      expect((err as Error).message).toContain('.git directory');
      expect((err as Error).message).toContain('shell tool');
    }
  });
});

describe('edit_file', () => {
  it('replaces an exact, unique match and shows the result', async () => {
    const ws = makeWorkspace();
    const r = await run(ws, 'edit_file', { path: 'src/index.ts', oldText: 'const b = 2', newText: 'const b = "$&"' });
    expect(r.isError).toBe(false);
    expect(r.output).toContain('replaced 1 occurrence');
    expect(r.output).toContain('    3| export const b = "$&";');
    expect(readFileSync(path.join(ws, 'src/index.ts'), 'utf8')).toBe(
      'export const a = 1;\n// TODO: more\nexport const b = "$&";\n',
    );
  });

  it('explains a missing match with the closest line and suggests reading the file', async () => {
    const ws = makeWorkspace();
    const r = await run(ws, 'edit_file', { path: 'src/index.ts', oldText: 'export const b = 3;', newText: 'x' });
    expect(r.isError).toBe(true);
    expect(r.output).toContain('oldText was not found in "src/index.ts"');
    expect(r.output).toContain('line 3');
    expect(r.output).toContain('read_file');
    expect(readFileSync(path.join(ws, 'src/index.ts'), 'utf8')).toContain('const b = 2;');
  });

  it('refuses multiple matches unless replaceAll', async () => {
    const ws = makeWorkspace();
    const r = await run(ws, 'edit_file', { path: 'src/index.ts', oldText: 'export const', newText: 'const' });
    expect(r.isError).toBe(true);
    expect(r.output).toContain('occurs 2 times');
    expect(r.output).toContain('lines 1, 3');
    expect(r.output).toContain('replaceAll');
    const all = await run(ws, 'edit_file', {
      path: 'src/index.ts',
      oldText: 'export const',
      newText: 'const',
      replaceAll: true,
    });
    expect(all.isError).toBe(false);
    expect(readFileSync(path.join(ws, 'src/index.ts'), 'utf8')).toBe('const a = 1;\n// TODO: more\nconst b = 2;\n');
  });

  it('matches across CRLF line endings and keeps them', async () => {
    const ws = makeWorkspace();
    writeFileSync(path.join(ws, 'win.txt'), 'one\r\ntwo\r\nthree\r\n');
    const r = await run(ws, 'edit_file', { path: 'win.txt', oldText: 'one\ntwo', newText: 'uno\ndos' });
    expect(r.isError).toBe(false);
    expect(readFileSync(path.join(ws, 'win.txt'), 'utf8')).toBe('uno\r\ndos\r\nthree\r\n');
  });

  it('points to write_file for a missing file', async () => {
    const ws = makeWorkspace();
    const r = await run(ws, 'edit_file', { path: 'nope.ts', oldText: 'a', newText: 'b' });
    expect(r.isError).toBe(true);
    expect(r.output).toContain('does not exist: to create a new file, use write_file');
  });
});

describe('read_file', () => {
  const ws = makeWorkspace();
  const lines = Array.from({ length: 1000 }, (_, i) => `line ${i + 1}`);
  writeFileSync(path.join(ws, 'big.txt'), lines.join('\n') + '\n');

  it('returns numbered lines, 400 per page, and says how to read the next page', async () => {
    const r = await run(ws, 'read_file', { path: 'big.txt' });
    expect(r.isError).toBe(false);
    expect(r.output).toContain('big.txt (lines 1-400 of 1000)');
    expect(r.output).toContain('    1| line 1\n');
    expect(r.output).toContain('  400| line 400');
    expect(r.output).not.toContain('line 401');
    expect(r.output).toContain('"startLine": 401');
    expect(r.summary).toBe('read_file: big.txt lines 1-400 of 1000');
  });

  it('reads a requested range', async () => {
    const r = await run(ws, 'read_file', { path: 'big.txt', startLine: 998, endLine: 2000 });
    expect(r.output).toBe('big.txt (lines 998-1000 of 1000):\n  998| line 998\n  999| line 999\n 1000| line 1000');
  });

  it('pages by size as well as by line count', async () => {
    writeFileSync(path.join(ws, 'wide.txt'), Array.from({ length: 100 }, () => 'x'.repeat(1500)).join('\n'));
    const r = await run(ws, 'read_file', { path: 'wide.txt' }, { maxOutputChars: 20_000 });
    expect(r.output.length).toBeLessThanOrEqual(20_000);
    expect(r.output).toMatch(/"startLine": \d+/);
    expect(r.fullOutputRef).toBeUndefined();
  });

  it('reports bad ranges, directories, binary and missing files as errors with a hint', async () => {
    writeFileSync(path.join(ws, 'bin.dat'), Buffer.from([1, 2, 0, 3]));
    const past = await run(ws, 'read_file', { path: 'big.txt', startLine: 5000 });
    expect(past.isError).toBe(true);
    expect(past.output).toContain('has 1000 lines');
    expect((await run(ws, 'read_file', { path: 'src' })).output).toContain('is a directory');
    expect((await run(ws, 'read_file', { path: 'bin.dat' })).output).toContain('binary');
    expect((await run(ws, 'read_file', { path: 'missing.ts' })).output).toContain('does not exist');
  });
});

describe('list_files and search', () => {
  const ws = makeWorkspace();
  mkdirSync(path.join(ws, 'node_modules', 'dep'), { recursive: true });
  writeFileSync(path.join(ws, 'node_modules', 'dep', 'index.js'), '// TODO in a dependency\n');
  writeFileSync(path.join(ws, 'image.bin'), Buffer.concat([Buffer.from('TODO'), Buffer.from([0, 0, 0])]));

  it('lists recursively and sorted, marking directories and skipping .git and node_modules', async () => {
    const r = await run(ws, 'list_files', {});
    expect(r.isError).toBe(false);
    const entries = r.output.split('\n').slice(1);
    expect(entries).toEqual(['README.md', 'image.bin', 'src/', 'src/index.ts', 'src/lib/', 'src/lib/util.ts']);
    const sub = await run(ws, 'list_files', { path: 'src/lib' });
    expect(sub.output.split('\n').slice(1)).toEqual(['src/lib/util.ts']);
  });

  it('caps the listing and says how to see more', async () => {
    const r = await run(ws, 'list_files', { path: '.', maxEntries: 2 });
    expect(r.output).toContain('Listing stopped at 2 entries');
    expect(
      r.output
        .split('\n')
        .filter((l) => !l.startsWith('['))
        .slice(1),
    ).toHaveLength(2);
  });

  it('finds matching lines as path:line: text, skipping node_modules and binary files', async () => {
    const r = await run(ws, 'search', { pattern: 'TODO' });
    expect(r.isError).toBe(false);
    expect(r.output).toContain('README.md:2: TODO write docs');
    expect(r.output).toContain('src/index.ts:2: // TODO: more');
    expect(r.output).not.toContain('node_modules');
    expect(r.output).not.toContain('image.bin:');
    expect(r.output).toContain('1 binary');
  });

  it('filters by path and glob', async () => {
    const md = await run(ws, 'search', { pattern: 'TODO', glob: '*.md' });
    expect(md.output).toContain('README.md:2:');
    expect(md.output).not.toContain('src/index.ts');
    const src = await run(ws, 'search', { pattern: 'return \\d+', path: 'src', glob: 'src/**/*.ts' });
    expect(src.output).toContain('src/lib/util.ts:2: return 42;');
    const none = await run(ws, 'search', { pattern: 'nothing-like-this' });
    expect(none.isError).toBe(false);
    expect(none.output).toContain('No matches');
  });

  it('explains an invalid regular expression', async () => {
    const r = await run(ws, 'search', { pattern: 'foo(' });
    expect(r.isError).toBe(true);
    expect(r.output).toContain('not a valid JavaScript regular expression');
    expect(r.output).toContain('backslash');
  });
});

describe('write_file', () => {
  it('creates parent directories and keeps the mode of a file it overwrites', async () => {
    const ws = makeWorkspace();
    const r = await run(ws, 'write_file', { path: 'deep/er/new.txt', content: 'hello\nworld\n' });
    expect(r.isError).toBe(false);
    expect(r.output).toBe('Created deep/er/new.txt (2 lines, 12 bytes).');
    expect(readFileSync(path.join(ws, 'deep/er/new.txt'), 'utf8')).toBe('hello\nworld\n');

    writeFileSync(path.join(ws, 'run.sh'), 'echo old\n');
    chmodSync(path.join(ws, 'run.sh'), 0o755);
    const over = await run(ws, 'write_file', { path: 'run.sh', content: 'echo new\n' });
    expect(over.output).toContain('Overwrote run.sh');
    expect(statSync(path.join(ws, 'run.sh')).mode & 0o777).toBe(0o755);
    expect(readFileSync(path.join(ws, 'run.sh'), 'utf8')).toBe('echo new\n');
  });

  it('refuses to replace a directory', async () => {
    const ws = makeWorkspace();
    const r = await run(ws, 'write_file', { path: 'src', content: 'x' });
    expect(r.isError).toBe(true);
    expect(r.output).toContain('is a directory');
  });
});

describe('shell', () => {
  const ws = makeWorkspace();

  it('reports exit code, duration, stdout and stderr', async () => {
    const ok = await run(ws, 'shell', { command: 'echo hi; echo warn >&2; git rev-parse --is-inside-work-tree' });
    expect(ok.isError).toBe(false);
    expect(ok.exitCode).toBe(0);
    expect(ok.output).toMatch(/^exit code 0 \(\d+\.\d s\)/);
    expect(ok.output).toContain('--- stdout ---\nhi\ntrue');
    expect(ok.output).toContain('--- stderr ---\nwarn');

    const fail = await run(ws, 'shell', { command: 'exit 3' });
    expect(fail.isError).toBe(true);
    expect(fail.exitCode).toBe(3);
    expect(fail.summary).toMatch(/^shell: exit 3 → exit 3 \(\d+\.\d s\)$/);
    expect(fail.output).toContain('(no output)');
  });

  it('kills the whole process group on timeout', async () => {
    let spawned = 0;
    const seen = new Set<string>();
    const r = await runShell({
      command: 'sleep 100 & echo $!; sleep 100',
      cwd: ws,
      timeoutMs: 1000,
      onSpawn: (pid) => (spawned = pid),
      progressIntervalMs: 300,
      onProgress: () => runningInGroup(spawned).forEach((pid) => seen.add(pid)),
    });
    expect(r.timedOut).toBe(true);
    expect(r.aborted).toBe(false);
    const child = Number(r.stdout.trim());
    expect(child).toBeGreaterThan(1);
    expect(seen).toContain(String(child)); // the background sleep ran in the command's process group
    // The background sleep was in the group and is gone too (at most a zombie waiting for init to reap it).
    expect(await waitUntil(() => runningInGroup(spawned).length === 0, 5000)).toBe(true);
    expect(runningInGroup(spawned)).not.toContain(String(child));

    const viaTool = await run(ws, 'shell', { command: 'sleep 100 & sleep 100', timeoutSeconds: 1 });
    expect(viaTool.isError).toBe(true);
    expect(viaTool.output).toContain('Timed out after 1.0 s');
    expect(viaTool.output).toContain('timeoutSeconds');
    expect(viaTool.summary).toContain('timed out');
  });

  it('kills the command on abort; runTool rejects', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const r = await runShell({ command: 'sleep 100', cwd: ws, timeoutMs: 60_000, signal: controller.signal });
    expect(r.aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);

    const c2 = new AbortController();
    setTimeout(() => c2.abort(new Error('cancelled by test')), 300);
    await expect(run(ws, 'shell', { command: 'sleep 100' }, { signal: c2.signal })).rejects.toThrow(
      'cancelled by test',
    );
  });

  it('reports progress while running', async () => {
    const seen: { elapsedMs: number; bytes: number }[] = [];
    await runShell({
      command: 'echo start; sleep 0.6',
      cwd: ws,
      timeoutMs: 10_000,
      progressIntervalMs: 50,
      onProgress: (info) => seen.push(info),
    });
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen[seen.length - 1]!.bytes).toBe(6);
    expect(seen[seen.length - 1]!.elapsedMs).toBeGreaterThan(seen[0]!.elapsedMs);
  });

  it('cuts long output to head and tail and stores the full text', async () => {
    const { result, storeFullOutput } = call(
      ws,
      'shell',
      { command: 'echo HEAD-MARK; seq 1 100000; echo TAIL-MARK' },
      { maxOutputChars: 2000 },
    );
    const r = await result;
    expect(r.output.length).toBeLessThanOrEqual(2000);
    expect(r.output).toContain('HEAD-MARK');
    expect(r.output).toContain('TAIL-MARK');
    expect(r.output).toMatch(/… \[\d+ characters omitted: full output stored as ref-1\] …/);
    expect(r.fullOutputRef).toBe('ref-1');
    expect(storeFullOutput).toHaveBeenCalledTimes(1);
    const full = storeFullOutput.mock.calls[0]![0];
    expect(full).toContain('\n50000\n');
    expect(full).toContain('TAIL-MARK');
  });

  it('caps captured output in memory', async () => {
    const r = await runShell({
      command: 'head -c 5000 /dev/zero | tr "\\0" a',
      cwd: ws,
      timeoutMs: 10_000,
      maxCaptureBytes: 1000,
    });
    expect(r.stdout.startsWith('a'.repeat(1000))).toBe(true);
    expect(r.stdout).toContain('4000 more bytes dropped');
  });

  it('stops what a finished command left running in the background, and tells the model', async () => {
    const r = await runShell({ command: 'sleep 300 & echo $!', cwd: ws, timeoutMs: 10_000 });
    expect(r.exitCode).toBe(0);
    expect(r.backgroundStopped).toBe(true);
    const child = Number(r.stdout.trim());
    expect(await waitUntil(() => !isRunning(child), 5000)).toBe(true);
    const plain = await runShell({ command: 'echo done', cwd: ws, timeoutMs: 10_000 });
    expect(plain.backgroundStopped).toBeUndefined();
    const viaTool = await run(ws, 'shell', { command: 'sleep 300 & echo started' });
    expect(viaTool.output).toContain('[The command left processes running in the background; they were stopped.');
  });

  it('a command printing a gigabyte is cut without the worker holding it in memory', async () => {
    const before = process.memoryUsage().rss;
    const r = await run(ws, 'shell', { command: 'head -c 1073741824 /dev/zero | tr "\\0" x; echo; echo END' });
    const grown = process.memoryUsage().rss - before;
    expect(r.isError).toBe(false);
    expect(r.output.length).toBeLessThanOrEqual(20_000);
    expect(r.output).toMatch(/more bytes dropped: output exceeded 10485760 bytes/);
    expect(grown).toBeLessThan(200 * 1024 * 1024); // the 10 MiB capture cap, not the gigabyte
  }, 60_000);

  it('killProcessGroup kills a running group (e.g. left over from a previous attempt)', async () => {
    let pid = 0;
    const running = runShell({
      command: 'sleep 100 & sleep 100',
      cwd: ws,
      timeoutMs: 60_000,
      onSpawn: (p) => (pid = p),
    });
    expect(await waitUntil(() => pid > 0 && runningInGroup(pid).length >= 2, 5000)).toBe(true);
    expect(killProcessGroup(pid)).toBe(true);
    const r = await running;
    expect(r.signal).toBe('SIGKILL');
    expect(await waitUntil(() => runningInGroup(pid).length === 0, 5000)).toBe(true);
  });

  it('killProcessGroup ignores missing groups and refuses dangerous pids', () => {
    expect(killProcessGroup(0)).toBe(false);
    expect(killProcessGroup(1)).toBe(false);
    expect(killProcessGroup(2 ** 22 + 12345)).toBe(false);
  });
});

describe('truncateHeadTail', () => {
  it('leaves short text alone', () => {
    expect(truncateHeadTail('short', 10)).toEqual({ text: 'short', truncated: false, omittedChars: 0 });
  });

  it('keeps head and tail around a marker and fits the budget', () => {
    const text = Array.from({ length: 1000 }, (_, i) => `row ${i}`).join('\n');
    const r = truncateHeadTail(text, 300, 'blob://1');
    expect(r.truncated).toBe(true);
    expect(r.text.length).toBeLessThanOrEqual(300);
    expect(r.text.startsWith('row 0\nrow 1\n')).toBe(true);
    expect(r.text.endsWith('row 998\nrow 999')).toBe(true);
    expect(r.text).toContain(`… [${r.omittedChars} characters omitted: full output stored as blob://1] …`);
    const [head, tail] = r.text.split(/\n… \[.*\] …\n/);
    expect(text.startsWith(head!)).toBe(true);
    expect(text.endsWith(tail!)).toBe(true);
    expect(truncateHeadTail(text, 300).text).toContain('characters omitted] …');
  });
});

describe('malformed calls', () => {
  const ws = makeWorkspace();

  it('explains arguments that are not JSON', async () => {
    const r = await run(ws, 'read_file', '{path: src/index.ts}');
    expect(r.isError).toBe(true);
    expect(r.output).toContain('not valid JSON');
    expect(r.output).toContain('Send the arguments as a single JSON object');
    expect(r.output).toContain('read_file({ path: string, startLine?: integer, endLine?: integer })');
    const arr = await run(ws, 'read_file', '["src/index.ts"]');
    expect(arr.isError).toBe(true);
    expect(arr.output).toContain('must be a JSON object');
  });

  it('lists the valid tools for an unknown tool', async () => {
    const r = await run(ws, 'delete_everything', {});
    expect(r.isError).toBe(true);
    expect(r.output).toContain('Unknown tool "delete_everything"');
    expect(r.output).toContain(MODE_TOOLS.goal.join(', '));
  });

  it('refuses a tool of the other mode: propose_goal in a goal, write tools in a draft', async () => {
    const inGoal = await run(ws, 'propose_goal', { specYaml: 'objective: x', plan: 'p' });
    expect(inGoal).toMatchObject({ isError: true, summary: 'refused: propose_goal (not a goal tool)' });
    expect(inGoal.output).toContain('propose_goal is only for drafting a goal; this goal is already running');
    const inDraft = await run(ws, 'write_file', { path: 'x.txt', content: 'x' }, { mode: 'draft' });
    expect(inDraft).toMatchObject({ isError: true, summary: 'refused: write_file (read-only draft)' });
    expect(inDraft.output).toContain('Refused: write_file is not available while drafting');
    expect(existsSync(path.join(ws, 'x.txt'))).toBe(false);
  });

  it('explains paths and commands no system call takes: NUL bytes, names too long, commands too long', async () => {
    const nul = await run(ws, 'read_file', { path: 'a\u0000b' });
    expect(nul).toMatchObject({ isError: true });
    expect(nul.output).toContain('a path cannot contain a NUL byte: use a path relative to the workspace root');
    const longName = await run(ws, 'write_file', { path: `${'n'.repeat(300)}.txt`, content: 'x' });
    expect(longName.output).toContain('is too long (at most 255 bytes each)');
    const longPath = await run(ws, 'read_file', { path: 'd/'.repeat(3000) });
    expect(longPath.output).toMatch(/is 6000 characters long \(at most 4096\)/);
    const deep = await run(ws, 'write_file', { path: `${'d/'.repeat(50)}f.txt`, content: 'deep' });
    expect(deep.isError).toBe(false); // 50 folders deep is no symlink loop
    const lone = await run(ws, 'write_file', { path: '\ud800.txt', content: 'x' });
    expect(lone.output).toContain('is not valid Unicode (a lone surrogate)');
    const nulCommand = await run(ws, 'shell', { command: 'echo a\u0000b' });
    expect(nulCommand.output).toContain('contains a NUL byte, which no shell can run: remove it');
    const huge = await run(ws, 'shell', { command: `echo ${'x'.repeat(150_000)}` });
    expect(huge.output).toContain('longer than 100000 characters: write the script to a file with write_file');
  });

  it('names each bad field and what is expected', async () => {
    const r = await run(ws, 'shell', { command: 42, timeoutSeconds: 0, cwd: '/tmp' });
    expect(r.isError).toBe(true);
    expect(r.output).toContain('"command": expected string, received number');
    expect(r.output).toMatch(/"timeoutSeconds": .*>=1/);
    expect(r.output).toContain('"cwd": not a field of shell');
    expect(r.output).toContain('Fix the arguments and call shell again');

    const missing = await run(ws, 'edit_file', { path: 'src/index.ts', newText: 'x' });
    expect(missing.isError).toBe(true);
    expect(missing.output).toContain('"oldText": missing; expected string (The exact text to replace');
  });

  it('treats empty arguments as an empty object', async () => {
    const r = await run(ws, 'list_files', '');
    expect(r.isError).toBe(false);
    expect(r.output).toContain('src/index.ts');
  });
});

describe('done and tool definitions', () => {
  it('done yields the claim for the orchestrator to verify', async () => {
    const ws = makeWorkspace();
    const r = await run(ws, 'done', { summary: 'Added the feature; npm test passes.' });
    expect(r.isError).toBe(false);
    expect(r.control).toEqual({ kind: 'done', summary: 'Added the feature; npm test passes.' });
    expect(r.output).toContain('orchestrator');
  });

  it('offers every tool with a described JSON Schema; a draft gets the read-only ones and propose_goal', () => {
    const defs = toolDefinitions();
    expect(defs.map((d) => d.name)).toEqual(TOOL_NAMES.filter((t) => t !== 'propose_goal'));
    expect(toolDefinitions('draft').map((d) => d.name)).toEqual([
      'shell',
      'read_file',
      'list_files',
      'search',
      'propose_goal',
    ]);
    for (const def of [...defs, ...toolDefinitions('draft')]) {
      expect(def.description.length).toBeGreaterThan(40);
      expect(def.parameters).not.toHaveProperty('$schema');
      expect(def.parameters).toMatchObject({ type: 'object', additionalProperties: false });
      const props = def.parameters.properties as Record<string, { description?: string }>;
      for (const prop of Object.values(props)) expect(prop.description).toEqual(expect.any(String));
    }
    const list = defs.find((d) => d.name === 'list_files')!;
    expect(list.parameters.required).toBeUndefined();
  });
});
