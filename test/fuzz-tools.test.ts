/**
 * Bad input, model tool calls: whatever name and raw argument string a model produces — malformed JSON, wrong types,
 * huge strings, NUL bytes in paths, absolute paths, "..", symlinks leading out of the workspace — `runTool` answers
 * with an error result that says how to fix the call (or a valid result for a valid call), reads and writes nothing
 * outside the workspace, and changes in the workspace only the file a successful write_file / edit_file named.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import YAML from 'yaml';
import { runTool, type ToolRunResult } from '../activities/tools/dispatch';
import { TOOL_NAMES } from '../goal/tools';
import { FUZZ_RUNS, HUGE, fuzzParams, nastyString, nastyValue } from './helpers/fuzz';
import { mutatedSpec, validSpec } from './helpers/spec-arbitraries';

const SECRET = `SENTINEL-${process.pid}-${Date.now()}`;

let root: string;
let ws: string;
let outside: string;

/** name → sha256 of content (or link target) of every entry under `dir`, .git excluded. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name === '.git') continue;
      const full = path.join(d, name);
      const rel = path.relative(dir, full);
      const st = lstatSync(full);
      if (st.isSymbolicLink()) out.set(rel, `link:${readlinkSync(full)}`);
      else if (st.isDirectory()) {
        out.set(rel, `dir:${st.mode}`);
        walk(full);
      } else out.set(rel, `${st.mode}:${createHash('sha256').update(readFileSync(full)).digest('hex')}`);
    }
  };
  walk(dir);
  return out;
}

function changedPaths(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
}

beforeAll(() => {
  root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'longhaul-fuzz-tools-')));
  outside = path.join(root, 'outside');
  mkdirSync(path.join(outside, 'nested'), { recursive: true });
  writeFileSync(path.join(outside, 'secret.txt'), `${SECRET}\n`);
  writeFileSync(path.join(outside, 'nested', 'deep.txt'), `${SECRET} deep\n`);
  ws = path.join(root, 'ws');
  mkdirSync(path.join(ws, 'src'), { recursive: true });
  execFileSync('git', ['init', '-q'], { cwd: ws });
  writeFileSync(path.join(ws, 'README.md'), '# Project\nTODO write docs\n');
  writeFileSync(path.join(ws, 'src', 'index.ts'), 'export const a = 1;\nexport const b = 2;\n');
  writeFileSync(path.join(ws, 'protected.txt'), 'the benchmark\n');
  symlinkSync('../outside', path.join(ws, 'escape')); // a directory outside
  symlinkSync(path.join(outside, 'secret.txt'), path.join(ws, 'secretlink')); // a file outside
  symlinkSync('../outside/missing/new.txt', path.join(ws, 'dangling')); // would create a file outside
  symlinkSync('src', path.join(ws, 'inside')); // stays inside: allowed
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const toolName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...TOOL_NAMES) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', 'Shell', 'read-file', ' read_file', 'functions.read_file', 'readFile', 'bash'),
  },
  { weight: 1, arbitrary: nastyString },
);

/** Paths a model may send: inside, escaping by "..", absolute elsewhere, through symlinks, into .git, with NUL. */
const toolPath = fc
  .oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        'README.md',
        'src/index.ts',
        'new/file.txt',
        'inside/new.ts',
        'protected.txt',
        '.',
        'src',
        'escape',
        'escape/secret.txt',
        'escape/nested/deep.txt',
        'escape/new.txt',
        'secretlink',
        'dangling',
        '../outside/secret.txt',
        'src/../../outside/secret.txt',
        '.git/config',
        'src/../.git/HEAD',
        'a\0b',
        'src/index.ts\0.png',
        '',
        '//',
        '~/x',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('OUTSIDE/secret.txt', 'OUTSIDE/new.txt', 'WS/README.md', 'WS/../outside/x'),
    },
    { weight: 2, arbitrary: nastyString },
  )
  .map((p) => p.replace(/^OUTSIDE/, () => outside).replace(/^WS/, () => ws));

/** A field value: mostly well-typed, sometimes anything. */
function field<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: nastyValue });
}

const text = fc.oneof(
  fc.string(),
  fc.constantFrom('export const a = 1;', 'TODO', 'SENTINEL', '$&', HUGE.slice(0, 30_000)),
);

/** Arguments shaped like each tool's, fields now and then hostile; shell commands stay harmless (true, echo). */
const argsFor: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  shell: fc.record(
    {
      command: field(fc.constantFrom('true', 'echo hi', 'echo "$PWD"', 'x'.repeat(8_000))),
      timeoutSeconds: field(fc.integer({ min: -1, max: 4000 })),
    },
    { requiredKeys: [] },
  ),
  read_file: fc.record(
    {
      path: field(toolPath),
      startLine: field(fc.integer({ min: -1, max: 5 })),
      endLine: field(fc.integer({ min: -1, max: 5 })),
    },
    { requiredKeys: [] },
  ),
  write_file: fc.record({ path: field(toolPath), content: field(text) }, { requiredKeys: [] }),
  edit_file: fc.record(
    {
      path: field(toolPath),
      oldText: field(fc.constantFrom('TODO', 'export const a = 1;', 'missing text', 'e', '')),
      newText: field(text),
      replaceAll: field(fc.boolean()),
    },
    { requiredKeys: [] },
  ),
  list_files: fc.record(
    { path: field(toolPath), maxEntries: field(fc.integer({ min: -1, max: 20_000 })) },
    { requiredKeys: [] },
  ),
  search: fc.record(
    {
      pattern: field(fc.constantFrom('TODO', 'export', '(', '[a-', 'SENTINEL-\\d+', '.*', '\\d+')),
      path: field(toolPath),
      glob: field(fc.constantFrom('*.ts', '**/*', '../**', '/etc/*', '[', '')),
    },
    { requiredKeys: [] },
  ),
  propose_goal: fc.record(
    {
      specYaml: field(
        fc.oneof(
          fc.oneof(validSpec, mutatedSpec).map((s) => YAML.stringify(s)),
          fc.constantFrom('objective: [', '&a [*a]', '', `${'['.repeat(5000)}`),
        ),
      ),
      plan: field(fc.constantFrom('# Plan\nmeasure first', '', HUGE.slice(0, 20_001))),
    },
    { requiredKeys: [] },
  ),
  done: fc.record(
    { summary: field(fc.string()), minutes: field(fc.integer({ min: -1, max: 2000 })), reason: field(fc.string()) },
    { requiredKeys: [] },
  ),
  record_progress: fc.record(
    { done: field(fc.string()), remaining: field(fc.string()), next: field(fc.string()) },
    { requiredKeys: [] },
  ),
};
const argsObject = fc.oneof(...Object.values(argsFor));

/** The raw argument string: JSON of those objects, broken JSON, JSON that is no object, anything. */
const rawArguments = fc.oneof(
  { weight: 8, arbitrary: argsObject.map((a) => JSON.stringify(a)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        argsObject.map((a) => JSON.stringify(a)),
        fc.nat(),
        fc.constantFrom('', '}', '"', ',', '\0', '\\'),
      )
      .map(([json, n, junk]) => json.slice(0, n % (json.length + 1)) + junk),
  },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: nastyString },
);

/** A call: mostly a tool with arguments of its own shape (so that valid calls happen), else any name with anything. */
const call: fc.Arbitrary<[string, string]> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(...Object.keys(argsFor)).chain((name) =>
      fc.tuple(
        fc.constant(name),
        argsFor[name]!.map((a) => JSON.stringify(a)),
      ),
    ),
  },
  { weight: 1, arbitrary: fc.tuple(toolName, rawArguments) },
);

/** Words of an error result that tell the model what to do next. */
const FIX_HINT =
  /\b(use|Use|call|Call|Expected|expected|must|check|instead|Fix|fix|remove|Send|pass|Pass|Include|Escape|Read|List|inspect|create|available|missing|not a field|which has|nothing to change)\b/;

function expectWellFormed(r: ToolRunResult): void {
  expect(typeof r.output).toBe('string');
  expect(r.output.trim().length).toBeGreaterThan(0);
  expect(r.output.length).toBeLessThanOrEqual(20_000 + 500); // maxOutputChars, plus the truncation notice
  expect(r.summary.length).toBeLessThanOrEqual(200);
  expect(r.summary).not.toMatch(/\n/);
  expect(r.output).not.toContain(SECRET); // nothing outside the workspace was read back to the model
  expect(r.output).not.toMatch(/\[object Object\]|\n\s+at .+:\d+:\d+\)?\n/);
}

describe('fuzzing model tool calls', () => {
  // Would catch: a path check bypassed by a symlink, "..", an absolute path or a NUL byte (the sentinel's hash or
  // SECRET showing up), a malformed call that throws instead of returning an error result, an error without a fix
  // ("EINVAL", a stack trace), write_file leaving its temporary file behind, a protected file being changed, and a
  // draft's refused write tool touching the workspace.
  test('runTool refuses bad calls with a fix and touches nothing outside the workspace', async () => {
    const outsideBefore = snapshot(outside);
    const counts = { ok: 0, error: 0 };
    await fc.assert(
      fc.asyncProperty(call, fc.constantFrom('goal', 'draft'), async ([name, args], mode) => {
        const before = snapshot(ws);
        const started = Date.now();
        const result = await runTool({
          workspace: ws,
          name,
          arguments: args,
          mode,
          defaultShellTimeoutMs: 10_000,
          maxOutputChars: 20_000,
          storeFullOutput: () => Promise.resolve('blob-ref'),
          isProtected: (rel) => rel === 'protected.txt',
        });
        expectWellFormed(result);
        expect(Date.now() - started).toBeLessThan(5000);
        const changed = changedPaths(before, snapshot(ws));
        if (result.isError) {
          counts.error++;
          // A command that ran and failed is the command's answer, not a malformed call.
          const ran = result.exitCode !== undefined;
          if (!ran) expect(result.output).toMatch(FIX_HINT);
          if (name !== 'shell') expect(changed).toEqual([]);
        } else {
          counts.ok++;
          const writes = name === 'write_file' || name === 'edit_file';
          if (!writes) expect(changed).toEqual([]);
          else {
            // Exactly the file the call named (new folders on the way for write_file), and never protected.txt.
            const target = path.relative(
              ws,
              realpathSync(path.resolve(ws, (JSON.parse(args) as { path: string }).path)),
            );
            for (const c of changed) expect(target === c || target.startsWith(`${c}${path.sep}`)).toBe(true);
            expect(changed).not.toContain('protected.txt');
          }
        }
        expect([...snapshot(ws).keys()].filter((k) => k.endsWith('.tmp'))).toEqual([]);
      }),
      fuzzParams(FUZZ_RUNS.toolCall),
    );
    expect(snapshot(outside)).toEqual(outsideBefore);
    expect(readdirSync(outside).sort()).toEqual(['nested', 'secret.txt']);
    expect(counts.ok).toBeGreaterThan(FUZZ_RUNS.toolCall / 50);
    expect(counts.error).toBeGreaterThan(FUZZ_RUNS.toolCall / 50);
  });

  // Found by this fuzzing: the fork-bomb rule's unbounded /([A-Za-z_:][\w:]*)\(\)\{…/ backtracked quadratically over a
  // long run of word characters, so a 200 000-character command (a base64 blob in a heredoc) blocked the worker for
  // 90 s or more before it ran, with no heartbeat. Regression test.
  test('a long command is checked against the command policy in well under a second', async () => {
    const started = Date.now();
    await runTool({
      workspace: ws,
      name: 'shell',
      arguments: JSON.stringify({ command: `echo ${'x'.repeat(20_000)} > /dev/null` }),
      defaultShellTimeoutMs: 10_000,
      maxOutputChars: 20_000,
      storeFullOutput: () => Promise.resolve('blob-ref'),
    });
    expect(Date.now() - started).toBeLessThan(300);
  });
});
