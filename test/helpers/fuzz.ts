/**
 * Shared settings and arbitraries of the property-based (fast-check) fuzz tests of bad input: how many inputs each
 * property runs (cited by RELIABILITY.md), the seed, hostile values, and what a "clear error" must look like.
 *
 * Fast sizes by default (the whole fuzz suite in well under a minute on 2 cores); deeper runs with
 * `FUZZ_RUNS=10000 npx jest test/fuzz` (the CLI property, which spawns a process per input, runs FUZZ_RUNS / 50).
 * The seed is fixed so that the suite is reproducible; `FUZZ_SEED=<n>` explores other inputs, and a failure prints
 * the seed and path that replay it.
 */
import fc from 'fast-check';

const deep = Number(process.env.FUZZ_RUNS) > 0 ? Math.floor(Number(process.env.FUZZ_RUNS)) : undefined;

/** Runs of a pure property (microseconds each): FUZZ_RUNS if set, else the fast default. */
function pure(fast: number): number {
  return deep ?? fast;
}

/** Inputs run per property, by kind of input. */
export const FUZZ_RUNS = {
  /** parseGoalSpec: arbitrary JSON/JS values and near-valid specs with hostile fields. */
  spec: pure(1500),
  /** readSpecFile + finalizeSpec: spec files (YAML, JSON, hostile text) on disk, workspaces real and bogus. */
  specFile: pure(150),
  /** inlineSpec + finalizeSpec: the flags of `longhaul start "objective" ...`. */
  inlineSpec: pure(300),
  /** parseGoalEdit + applyEditToSpec: arbitrary edits against a frozen valid spec. */
  edit: pure(1500),
  /** The built CLI's `start` with fuzzed argv against a closed Temporal port (one process per input). */
  cliStart: deep !== undefined ? Math.max(40, Math.floor(deep / 50)) : 40,
  /** runTool: fuzzed tool names and raw argument strings in a git workspace with symlinks leading out. */
  toolCall: pure(400),
} as const;

/** The seed of every fuzz property: fixed unless FUZZ_SEED is set. */
export const FUZZ_SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 20_251_010;

/** fast-check parameters for a property of `numRuns` inputs. */
export function fuzzParams<T>(numRuns: number): fc.Parameters<T> {
  return { numRuns, seed: FUZZ_SEED, reporter: reportReadably };
}

/** fast-check's failure report with long runs of one character ("xxxx…", 300 000 of them) shortened to "x×300000". */
function reportReadably<T>(details: fc.RunDetails<T>): void {
  const message = fc.defaultReportMessage(details);
  if (message === undefined) return;
  const short = message.replace(/(.)\1{40,}/gs, (run, c: string) => `${c}×${run.length}`);
  const err = new Error(short.length > 20_000 ? `${short.slice(0, 20_000)}…` : short);
  if (details.errorInstance instanceof Error) err.cause = details.errorInstance;
  throw err;
}

/** A string long enough to trip every text limit (objective 20 000 chars, spec 128 KiB, edit 64 KiB). */
export const HUGE = 'x'.repeat(300_000);

/** Short strings a user, a file or a model may send that a naive validator mishandles. */
export const shortNastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\n\t ',
    '\0',
    'a\0b',
    'src/\0/x.ts',
    '/',
    '/etc/passwd',
    '/tmp',
    '..',
    '../..',
    '../../etc/passwd',
    'a/../../b',
    './.git/config',
    '~',
    '~/x',
    '$(touch pwned)',
    '`touch pwned`',
    '__proto__',
    'constructor',
    'toString',
    '(a+)+$',
    '(',
    '[',
    '\\',
    '%s%n',
    '${HOME}',
    '-30%',
    '1e309',
    'NaN',
    '-0',
    '\uD800',
    '\u202Eevil',
  ),
);

/** Strings a user, a file or a model may send that a naive validator mishandles, huge ones included. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: shortNastyString },
  fc.string({ maxLength: 8 }).map((s) => `${s}${HUGE.slice(0, 20_001)}`),
  fc.string({ maxLength: 8 }).map((s) => `${s}${HUGE}`),
);

/** Any value at all: wrong types, nested objects with odd keys, non-finite numbers, nasty strings. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, -1, 1.5, 2 ** 53, -(2 ** 31), Number.NaN, Infinity, -Infinity, 1e308),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }),
  fc.anything({ maxDepth: 2, withNullPrototype: true, withDate: true }),
  fc.array(nastyString, { maxLength: 3 }),
  fc.dictionary(nastyString, nastyString, { maxKeys: 3 }),
);

/** Lines that show an internal failure leaked into a message instead of an explanation. */
const UNCLEAR = [
  /\[object Object\]/,
  /\n\s+at .+\(.*:\d+:\d+\)/, // a stack frame
  /^\s*at .+:\d+:\d+\)?$/m,
  /\bundefined\b.*\bis not a function\b/,
  /Cannot read propert/,
  /Maximum call stack/,
];

/** Most characters one problem line may have: it echoes at most a short excerpt of what was sent. */
export const MAX_PROBLEM_CHARS = 2000;

/**
 * Asserts that `problems` explain themselves: at least one, each naming where the problem is on its first line (a
 * field path, "(spec)", a flag or the spec file, then ": " or the file's name and what is wrong), non-trivial,
 * without internals (stack frames, "[object Object]") and short enough to read.
 */
export function expectClearProblems(problems: readonly string[]): void {
  if (problems.length === 0) throw new Error('an error without any problem line');
  for (const p of problems) {
    const why = unclear(p);
    if (why !== undefined) {
      const shown = JSON.stringify(p.length > 400 ? `${p.slice(0, 400)}…` : p).replace(
        /(.)\1{40,}/g,
        (r, c: string) => `${c}×${r.length}`,
      );
      throw new Error(`unclear problem line (${why}): ${shown}`);
    }
  }
}

function unclear(p: unknown): string | undefined {
  if (typeof p !== 'string') return `not a string but ${typeof p}`;
  if (p.trim().length < 10) return 'empty or too short to say what to do';
  if (!/^[^\n]+?: \S/.test(p) && !/^(spec file )?\/\S+ \w/.test(p)) return 'does not start by naming the field';
  for (const bad of UNCLEAR) if (bad.test(p)) return `shows internals (${String(bad)})`;
  if (p.length > MAX_PROBLEM_CHARS) return `${p.length} characters long`;
  return undefined;
}

/** Runs `fn` and returns how long it took, in milliseconds (sync code cannot be interrupted, so a hang shows as time). */
export function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

/** Deep-freezes a plain object graph, so any mutation by the code under test throws in strict mode. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
