/**
 * Bad input, CLI arguments: the built `longhaul start` with fuzzed inline flags and workspaces (missing, relative,
 * absolute, "..", a file, a real repository) against a Temporal address where nothing listens, so nothing can start.
 * Every run exits 2 (bad input) or 4 (unreachable), says why in a few `longhaul:` lines without a stack trace, and
 * creates nothing in the workspace or the current folder. Needs `npm run build` (the README's test command runs it).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { EXIT } from '../client/exit-codes';
import { runCli } from './helpers/cli';
import { FUZZ_RUNS, fuzzParams, shortNastyString } from './helpers/fuzz';
import { freePort } from './helpers/ports';

let root: string;
let repo: string;
let cwd: string;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'longhaul-fuzz-cli-'));
  repo = path.join(root, 'repo');
  cwd = path.join(root, 'cwd');
  mkdirSync(repo);
  mkdirSync(cwd);
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
  writeFileSync(path.join(root, 'a-file'), 'not a folder\n');
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A value for a flag: a plausible one, or any short string without NUL (argv cannot carry NUL). */
const value = (plausible: string[]) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...plausible) },
    { weight: 1, arbitrary: shortNastyString.filter((s) => !s.includes('\0')) },
  );

const flag = fc.oneof(
  value(['2.5', '-30%', 'relative:-0.3', '0%', '1e999', 'fast']).map((v) => ['--target', v]),
  value(['10', '0', '-1', '1.5', '99999999999999999999']).map((v) => ['--max-turns', v]),
  value(['20', '$2.50', '0', '-5', 'free']).map((v) => ['--max-cost', v]),
  value(['npm run build', 'true']).map((v) => ['--metric-cmd', v]),
  value(['npm test', 'true', '']).map((v) => ['--check', v]),
  value(['REPO', 'REPO/..', 'ROOT/repo/../repo', '../repo', 'repo', '.', '..', '/nonexistent', 'ROOT/a-file', '/']).map(
    (v) => ['--workspace', v.replace('REPO', () => repo).replace('ROOT', () => root)],
  ),
  value(['longhaul/x', 'main', 'a..b']).map((v) => ['--branch', v]),
  value(['gpt-5.1', 'local-llm']).map((v) => ['--model', v]),
);

const anyArgv = fc
  .tuple(
    fc.oneof(
      fc.constant('make the tests pass'),
      shortNastyString.filter((s) => !s.includes('\0')),
    ),
    fc.array(flag, { maxLength: 5 }),
  )
  .map(([objective, flags]) => ['start', objective, ...flags.flat()]);

/** Valid flags for the repository, then a few fuzzed ones (a later flag overrides an earlier one). */
const mostlyValidArgv = fc
  .array(flag, { maxLength: 2 })
  .map((flags) => ['start', 'make the tests pass', '--workspace', repo, '--check', 'true', ...flags.flat()]);

// Rarely: each reaches the connection attempt, which takes the client's 5 s connect timeout to give up.
const argv = fc.oneof({ weight: 20, arbitrary: anyArgv }, { weight: 1, arbitrary: mostlyValidArgv });

describe('fuzzing the CLI', () => {
  // Would catch: a flag value that crashes the CLI (exit 1 with a stack trace or "TypeError"), a relative or ".."
  // workspace resolved against the wrong folder, an error printed without the `longhaul:` prefix, a run that starts
  // (or hangs) although Temporal is unreachable, and validation that writes into the workspace.
  test('start with fuzzed flags exits 2 or 4 with a short `longhaul:` message and creates nothing', async () => {
    const address = `127.0.0.1:${await freePort()}`; // closed: nothing can start
    const home = path.join(root, 'home');
    const codes = new Map<number | null, number>();
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const repoBefore = readdirSync(repo);
        const r = await runCli(args, { TEMPORAL_ADDRESS: address, LONGHAUL_HOME: home }, cwd);
        codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
        expect([EXIT.usage, EXIT.unreachable]).toContain(r.code);
        expect(r.stdout).toBe('');
        expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?$/m); // no stack trace
        expect(r.stderr).not.toMatch(/TypeError|RangeError|ReferenceError|\[object Object\]/);
        const lines = r.stderr.trimEnd().split('\n');
        if (r.code === EXIT.unreachable || !r.stderr.startsWith('error:')) {
          // Ours: "longhaul: …" then at most a few problem lines.
          expect(lines[0]).toMatch(/^longhaul: \S/);
          expect(lines.length).toBeLessThanOrEqual(12);
        } else {
          // commander's own usage error ("error: option … argument missing"), followed by the command's help.
          expect(lines[0]).toMatch(/^error: \S/);
        }
        expect(readdirSync(repo)).toEqual(repoBefore);
        expect(readdirSync(cwd)).toEqual([]);
      }),
      fuzzParams(FUZZ_RUNS.cliStart),
    );
    // Both refusals must have been exercised, or the generator has drifted.
    expect(codes.get(EXIT.usage)).toBeGreaterThan(0);
    expect(codes.get(EXIT.unreachable)).toBeGreaterThan(0);
  });
});
