import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  buildManifest,
  checkIntegrity,
  filesNamedByCommand,
  protectedMatcher,
  protectedPatterns,
  restoreProtected,
} from '../activities/security/protected-paths';
import { runTool } from '../activities/tools/dispatch';

const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function gitIn(ws: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: ws, encoding: 'utf8' });
}

function write(ws: string, rel: string, content: string): void {
  mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
  writeFileSync(path.join(ws, rel), content);
}

function read(ws: string, rel: string): string {
  return readFileSync(path.join(ws, rel), 'utf8');
}

/** A committed repository with a test, a benchmark, code and a package.json; returns it and its start commit. */
function makeRepo(extra: Record<string, string> = {}): { ws: string; start: string } {
  const ws = tempDir('longhaul-integrity-');
  gitIn(ws, 'init', '-q');
  gitIn(ws, 'config', 'user.email', 'test@example.com');
  gitIn(ws, 'config', 'user.name', 'Test');
  gitIn(ws, 'config', 'commit.gpgsign', 'false');
  const files: Record<string, string> = {
    'test.js': 'require("assert").strictEqual(require("./src/lib.js").add(1, 2), 3);\n',
    'bench/slow.sh': '#!/bin/sh\nnode bench/run.js\n',
    'bench/run.js': 'console.log(42);\n',
    'bench/my script.sh': 'echo hi\n',
    'src/lib.js': 'exports.add = (a, b) => a + b;\n',
    'package.json': '{"scripts":{"test":"node test.js"}}\n',
    'test/a.test.js': 'a\n',
    'test/b.test.js': 'b\n',
    '.gitignore': 'out/\n',
    ...extra,
  };
  for (const [rel, content] of Object.entries(files)) write(ws, rel, content);
  gitIn(ws, 'add', '-A');
  gitIn(ws, 'commit', '-q', '-m', 'start');
  return { ws, start: gitIn(ws, 'rev-parse', 'HEAD').trim() };
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('filesNamedByCommand', () => {
  let ws: string;
  beforeAll(() => {
    ws = makeRepo().ws;
    write(path.dirname(ws), 'outside.js', 'outside\n');
  });

  it.each<[string, string[]]>([
    ['bash bench/slow.sh && node test.js > /dev/null', ['bench/slow.sh', 'test.js']],
    ['node ./test.js', ['test.js']],
    ['bash "bench/my script.sh"', ['bench/my script.sh']],
    ["bash 'bench/my script.sh'; node test.js", ['bench/my script.sh', 'test.js']],
    ['bash bench/my\\ script.sh', ['bench/my script.sh']],
    ['node test.js 2>&1 | tee out.log', ['test.js']],
    ['node bench/run.js>src/lib.js', ['bench/run.js']], // an output redirection target is written, not named
    ['node < test.js', ['test.js']],
    ['node missing.js nothere && cat nope.txt', []],
    ['ls bench src && node bench', []], // directories
    ['node ../outside.js', []], // outside the workspace
    ['cat .git/HEAD', []],
    ['FOO=1 node --require=./src/lib.js test.js # node bench/run.js', ['src/lib.js', 'test.js']],
    ['cd bench && node run.js', ['bench/run.js']],
    ['(cd bench && node run.js) && node test.js', ['bench/run.js', 'test.js']],
    ['sh -c "node test.js && node bench/run.js"', ['bench/run.js', 'test.js']],
    ['node --test test/*.test.js', ['test/a.test.js', 'test/b.test.js']],
    ['node $DIR/test.js', []],
    ['npm test', ['package.json']],
    ['npm run bench -- --fast', ['package.json']],
    ['npm --silent run-script bench', ['package.json']],
    ['npm install', []],
    ['yarn bench', ['package.json']],
    ['pnpm test && node test.js', ['package.json', 'test.js']],
    ['timeout 60 npm test', ['package.json']],
  ])('%s', async (command, expected) => {
    expect(await filesNamedByCommand(ws, command)).toEqual(expected);
  });

  it('accepts absolute paths inside the workspace', async () => {
    expect(await filesNamedByCommand(ws, `node ${path.join(ws, 'test.js')}`)).toEqual(['test.js']);
  });

  it('names a symlink and the file it leads to', async () => {
    symlinkSync('bench/run.js', path.join(ws, 'link.js'));
    try {
      expect(await filesNamedByCommand(ws, 'node link.js')).toEqual(['bench/run.js', 'link.js']);
    } finally {
      unlinkSync(path.join(ws, 'link.js'));
    }
  });

  it('names no package.json when there is none', async () => {
    const { ws: bare } = makeRepo();
    unlinkSync(path.join(bare, 'package.json'));
    expect(await filesNamedByCommand(bare, 'npm test')).toEqual([]);
  });
});

const isProtectedPath = (patterns: readonly string[], relPath: string) => protectedMatcher(patterns)(relPath);

describe('protectedPatterns and isProtectedPath', () => {
  it('merges the globs with the files named by metric and check commands, deduplicated and sorted', async () => {
    const { ws } = makeRepo();
    const patterns = await protectedPatterns(
      {
        protect: ['test/**', 'bench/**', 'test.js'],
        metrics: [{ command: 'bash bench/slow.sh' }, { command: 'bash "bench/my script.sh"' }],
        checks: [{ command: 'node test.js' }, { command: 'npm test' }],
      },
      ws,
    );
    expect(patterns).toEqual(['bench/**', 'bench/my script.sh', 'bench/slow.sh', 'package.json', 'test.js', 'test/**']);
  });

  it('escapes glob syntax in named file names', async () => {
    const { ws } = makeRepo({ 'bench/run (1).js': 'x\n' });
    const patterns = await protectedPatterns(
      { protect: [], metrics: [{ command: 'node "bench/run (1).js"' }], checks: [] },
      ws,
    );
    expect(patterns).toEqual(['bench/run \\(1\\).js']);
    expect(isProtectedPath(patterns, 'bench/run (1).js')).toBe(true);
    expect(isProtectedPath(patterns, 'bench/run 1.js')).toBe(false);
  });

  it('matches with dot: true, and a plain folder name protects what is under it', () => {
    expect(isProtectedPath(['test/**'], 'test/.hidden/x.js')).toBe(true);
    expect(isProtectedPath(['test/**'], 'src/test.js')).toBe(false);
    expect(isProtectedPath(['**/*.test.js'], 'src/a.test.js')).toBe(true);
    expect(isProtectedPath(['bench'], 'bench/run.js')).toBe(true);
    expect(isProtectedPath(['bench/'], 'bench/deep/run.js')).toBe(true);
    expect(isProtectedPath(['bench'], 'benchmarks/run.js')).toBe(false);
    expect(isProtectedPath(['test.js'], 'test.js')).toBe(true);
    expect(isProtectedPath(['test.js'], 'src/test.js')).toBe(false);
    expect(isProtectedPath([], 'test.js')).toBe(false);
  });
});

describe('manifest, integrity check and restore', () => {
  const patterns = ['test/**', 'test.js', 'bench/**'];

  it('hashes tracked and untracked (not ignored) protected files only', async () => {
    const { ws } = makeRepo();
    write(ws, 'test/untracked.test.js', 'u\n');
    write(ws, 'out/result.txt', 'ignored\n');
    const manifest = await buildManifest(ws, [...patterns, 'out/**']);
    expect(Object.keys(manifest.files).sort()).toEqual([
      'bench/my script.sh',
      'bench/run.js',
      'bench/slow.sh',
      'test.js',
      'test/a.test.js',
      'test/b.test.js',
      'test/untracked.test.js',
    ]);
    expect(manifest.files['test.js']).toBe(sha(read(ws, 'test.js')));
    expect(manifest.files['test/untracked.test.js']).toBe(sha('u\n'));
    expect(manifest.patterns).toEqual([...patterns, 'out/**']);
    expect(await checkIntegrity(ws, manifest)).toEqual([]);
  });

  it('reports modified, deleted and added files, and ignores unprotected changes', async () => {
    const { ws } = makeRepo();
    const manifest = await buildManifest(ws, patterns);
    write(ws, 'test.js', 'process.exit(0);\n');
    unlinkSync(path.join(ws, 'test/b.test.js'));
    write(ws, 'test/shadow.test.js', 'process.exit(0);\n');
    write(ws, 'bench/new/helper.js', 'x\n');
    write(ws, 'src/lib.js', 'exports.add = (a, b) => 3;\n');
    write(ws, 'src/new.js', 'new\n');
    expect(await checkIntegrity(ws, manifest)).toEqual([
      { path: 'bench/new/helper.js', change: 'added' },
      { path: 'test.js', change: 'modified' },
      { path: 'test/b.test.js', change: 'deleted' },
      { path: 'test/shadow.test.js', change: 'added' },
    ]);
  });

  it('still sees a protected file that was modified and then git-ignored', async () => {
    const { ws } = makeRepo();
    write(ws, 'test/local.test.js', 'local\n');
    const manifest = await buildManifest(ws, patterns);
    write(ws, 'test/local.test.js', 'weakened\n');
    write(ws, '.gitignore', 'out/\ntest/local.test.js\n');
    expect(await checkIntegrity(ws, manifest)).toEqual([{ path: 'test/local.test.js', change: 'modified' }]);
  });

  it('restores modified and deleted files from the start commit and removes added ones', async () => {
    const { ws, start } = makeRepo();
    const manifest = await buildManifest(ws, patterns);
    const original = read(ws, 'test.js');
    write(ws, 'test.js', 'process.exit(0);\n');
    gitIn(ws, 'commit', '-q', '-am', 'weaken the test'); // even committed by the agent
    unlinkSync(path.join(ws, 'bench/run.js'));
    write(ws, 'test/shadow.test.js', 'process.exit(0);\n');
    gitIn(ws, 'add', 'test/shadow.test.js');
    write(ws, 'src/lib.js', 'exports.add = (a, b) => a + b + 0;\n');

    const violations = await checkIntegrity(ws, manifest);
    expect(violations).toHaveLength(3);
    const lines = await restoreProtected(ws, start, manifest, violations);
    expect(lines).toHaveLength(3);
    expect(lines.join('\n')).toMatch(/test\.js: restored from the start commit/);
    expect(lines.join('\n')).toMatch(/bench\/run\.js: restored/);
    expect(lines.join('\n')).toMatch(/test\/shadow\.test\.js: removed/);
    expect(read(ws, 'test.js')).toBe(original);
    expect(read(ws, 'bench/run.js')).toBe('console.log(42);\n');
    expect(existsSync(path.join(ws, 'test/shadow.test.js'))).toBe(false);
    expect(gitIn(ws, 'ls-files', 'test/shadow.test.js')).toBe('');
    expect(read(ws, 'src/lib.js')).toBe('exports.add = (a, b) => a + b + 0;\n'); // unprotected work is kept
    expect(await checkIntegrity(ws, manifest)).toEqual([]);
  });

  it('reports an untracked protected file that was modified as not restorable', async () => {
    const { ws, start } = makeRepo();
    write(ws, 'test/untracked.test.js', 'strict\n');
    const manifest = await buildManifest(ws, patterns);
    write(ws, 'test/untracked.test.js', 'lenient\n');
    write(ws, 'test.js', 'weakened\n');
    const violations = await checkIntegrity(ws, manifest);
    expect(violations).toEqual([
      { path: 'test.js', change: 'modified' },
      { path: 'test/untracked.test.js', change: 'modified' },
    ]);
    const lines = await restoreProtected(ws, start, manifest, violations);
    expect(lines).toEqual([
      expect.stringMatching(/^test\.js: restored/),
      expect.stringMatching(/^test\/untracked\.test\.js: not restorable: .*untracked/),
    ]);
    expect(await checkIntegrity(ws, manifest)).toEqual([{ path: 'test/untracked.test.js', change: 'modified' }]);
  });

  it('reports everything as not restorable without a start commit, but still removes added files', async () => {
    const { ws } = makeRepo();
    const manifest = await buildManifest(ws, patterns);
    write(ws, 'test.js', 'weakened\n');
    write(ws, 'test/new.test.js', 'new\n');
    const lines = await restoreProtected(ws, null, manifest, await checkIntegrity(ws, manifest));
    expect(lines).toEqual([
      expect.stringMatching(/^test\/new\.test\.js: removed/),
      expect.stringMatching(/^test\.js: not restorable: .*no commit/),
    ]);
  });

  it('reports a file whose committed content is not the baseline as not restorable', async () => {
    const { ws, start } = makeRepo();
    write(ws, 'test.js', 'uncommitted baseline\n');
    const manifest = await buildManifest(ws, patterns);
    write(ws, 'test.js', 'weakened\n');
    const lines = await restoreProtected(ws, start, manifest, await checkIntegrity(ws, manifest));
    expect(lines).toEqual([expect.stringMatching(/^test\.js: not restorable: .*uncommitted changes/)]);
  });
});

describe('write tools refuse protected paths', () => {
  function call(ws: string, name: string, args: unknown) {
    return runTool({
      workspace: ws,
      name,
      arguments: JSON.stringify(args),
      defaultShellTimeoutMs: 30_000,
      maxOutputChars: 20_000,
      storeFullOutput: () => Promise.resolve('ref'),
      isProtected: (rel) => isProtectedPath(['test.js', 'test/**'], rel),
    });
  }

  it('refuses write_file and edit_file on a protected path and leaves the file alone', async () => {
    const { ws } = makeRepo();
    const before = read(ws, 'test.js');
    const written = await call(ws, 'write_file', { path: 'test.js', content: 'process.exit(0);\n' });
    expect(written.isError).toBe(true);
    expect(written.output).toBe(
      "test.js is protected: the goal's tests, benchmarks and measurement scripts may not be changed. " +
        'Change the code under test instead.',
    );
    expect(written.summary).toMatch(/^write_file: refused/);
    const edited = await call(ws, 'edit_file', { path: './test/../test.js', oldText: '3', newText: '4' });
    expect(edited.isError).toBe(true);
    expect(edited.output).toMatch(/^test\.js is protected/);
    expect(read(ws, 'test.js')).toBe(before);

    const created = await call(ws, 'write_file', { path: path.join(ws, 'test/new.test.js'), content: 'x\n' });
    expect(created.isError).toBe(true);
    expect(created.output).toMatch(/^test\/new\.test\.js is protected/);
    expect(existsSync(path.join(ws, 'test/new.test.js'))).toBe(false);
  });

  it('refuses a write through a symlink that leads to a protected file', async () => {
    const { ws } = makeRepo();
    symlinkSync('test.js', path.join(ws, 'alias.js'));
    const result = await call(ws, 'write_file', { path: 'alias.js', content: 'x\n' });
    expect(result.isError).toBe(true);
    expect(result.output).toMatch(/^test\.js is protected/);
  });

  it('still writes and edits paths outside the patterns', async () => {
    const { ws } = makeRepo();
    const edited = await call(ws, 'edit_file', { path: 'src/lib.js', oldText: 'a + b', newText: 'b + a' });
    expect(edited.isError).toBe(false);
    expect(read(ws, 'src/lib.js')).toBe('exports.add = (a, b) => b + a;\n');
    const written = await call(ws, 'write_file', { path: 'src/test.js', content: 'ok\n' });
    expect(written.isError).toBe(false);
    expect(read(ws, 'src/test.js')).toBe('ok\n');
  });
});
