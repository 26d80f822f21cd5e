import { baselineProblem, better, median, meets, progressOf, thresholdOf, verdictOf } from '../goal/decision';
import { parseDecimal, readSample, type CommandRun } from '../goal/measurement';
import type { MetricSpec } from '../goal/spec';

const lowerAbs = { direction: 'lower', target: { absolute: 2 } } as const;
const lowerRel = { direction: 'lower', target: { relative: -0.3 } } as const;
const higherAbs = { direction: 'higher', target: { absolute: 90 } } as const;
const higherRel = { direction: 'higher', target: { relative: 0.5 } } as const;

describe('thresholdOf', () => {
  test('an absolute target is the threshold, with or without a baseline', () => {
    expect(thresholdOf(lowerAbs, null)).toBe(2);
    expect(thresholdOf(lowerAbs, 10)).toBe(2);
  });

  test('a relative target is resolved against the baseline', () => {
    expect(thresholdOf(lowerRel, 10)).toBeCloseTo(7);
    expect(thresholdOf(higherRel, 10)).toBeCloseTo(15);
  });

  test('a relative target has no threshold without a baseline', () => {
    expect(thresholdOf(lowerRel, null)).toBeNull();
  });
});

describe('meets and better', () => {
  test('lower is better: reaching means at or below the threshold', () => {
    expect(meets('lower', 1.9, 2)).toBe(true);
    expect(meets('lower', 2, 2)).toBe(true);
    expect(meets('lower', 2.1, 2)).toBe(false);
  });

  test('higher is better: reaching means at or above the threshold', () => {
    expect(meets('higher', 91, 90)).toBe(true);
    expect(meets('higher', 90, 90)).toBe(true);
    expect(meets('higher', 89, 90)).toBe(false);
  });

  test('better is strict in both directions', () => {
    expect(better('lower', 1, 2)).toBe(true);
    expect(better('lower', 2, 1)).toBe(false);
    expect(better('lower', 2, 2)).toBe(false);
    expect(better('higher', 2, 1)).toBe(true);
    expect(better('higher', 1, 2)).toBe(false);
    expect(better('higher', 2, 2)).toBe(false);
  });
});

describe('verdictOf', () => {
  test('MET and NOT_MET against an absolute target', () => {
    expect(verdictOf(lowerAbs, 1.5, null)).toBe('MET');
    expect(verdictOf(lowerAbs, 2.5, null)).toBe('NOT_MET');
    expect(verdictOf(higherAbs, 95, 50)).toBe('MET');
    expect(verdictOf(higherAbs, 80, 50)).toBe('NOT_MET');
  });

  test('MET and NOT_MET against a relative target', () => {
    expect(verdictOf(lowerRel, 6.9, 10)).toBe('MET');
    expect(verdictOf(lowerRel, 8, 10)).toBe('NOT_MET');
    expect(verdictOf(higherRel, 16, 10)).toBe('MET');
    expect(verdictOf(higherRel, 14, 10)).toBe('NOT_MET');
  });

  test('UNKNOWN without a value, or with a relative target and no baseline', () => {
    expect(verdictOf(lowerAbs, null, 10)).toBe('UNKNOWN');
    expect(verdictOf(lowerRel, 5, null)).toBe('UNKNOWN');
    expect(verdictOf(lowerRel, null, null)).toBe('UNKNOWN');
  });
});

describe('progressOf', () => {
  test('is the fraction of the way from baseline to threshold', () => {
    expect(progressOf(lowerAbs, 6, 10)).toBeCloseTo(0.5);
    expect(progressOf(higherAbs, 70, 50)).toBeCloseTo(0.5);
    expect(progressOf(lowerRel, 8.5, 10)).toBeCloseTo(0.5);
  });

  test('is 1 once the target is met, even past it', () => {
    expect(progressOf(lowerAbs, 2, 10)).toBe(1);
    expect(progressOf(lowerAbs, 0.1, 10)).toBe(1);
    expect(progressOf(higherAbs, 200, 50)).toBe(1);
  });

  test('is clamped to 0 when the value got worse than the baseline', () => {
    expect(progressOf(lowerAbs, 12, 10)).toBe(0);
    expect(progressOf(higherAbs, 40, 50)).toBe(0);
  });

  test('is 0 without a value, a baseline or a threshold', () => {
    expect(progressOf(lowerAbs, null, 10)).toBe(0);
    expect(progressOf(lowerAbs, 5, null)).toBe(0);
    expect(progressOf(lowerRel, 5, null)).toBe(0);
  });

  test('is 0 at the baseline', () => {
    expect(progressOf(lowerAbs, 10, 10)).toBe(0);
  });
});

describe('median', () => {
  test('the middle value of an odd-length list, regardless of order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([7])).toBe(7);
  });

  test('the mean of the middle pair of an even-length list, sorted numerically', () => {
    expect(median([10, 9, 1, 2])).toBe(5.5);
    expect(median([100, 20])).toBe(60);
  });

  test('does not reorder the caller’s list', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });

  test('an empty list is a RangeError', () => {
    expect(() => median([])).toThrow(RangeError);
    expect(() => median([])).toThrow('median of an empty list');
  });
});

type Measured = Pick<MetricSpec, 'measure' | 'pattern' | 'path' | 'timeoutSeconds'>;

function run(over: Partial<CommandRun> = {}): CommandRun {
  return { exitCode: 0, stdout: '', durationMs: 1500, timedOut: false, ...over };
}

const wall: Measured = { measure: 'wall_time', timeoutSeconds: 600 };
const failing: Measured = { measure: 'stdout_number', pattern: '(\\d[\\d,]*) failing', timeoutSeconds: 600 };
const json: Measured = { measure: 'json', path: 'stats.total', timeoutSeconds: 600 };
const exit: Measured = { measure: 'exit_code', timeoutSeconds: 600 };

describe('readSample: wall_time', () => {
  test('is the duration in seconds when the command exits 0', () => {
    expect(readSample(wall, run({ durationMs: 2345 }))).toEqual({ ok: true, value: 2.345 });
  });

  test('a failing command’s time does not count', () => {
    expect(readSample(wall, run({ exitCode: 1 }))).toEqual({
      ok: false,
      error: 'command exited 1, so its time does not count',
    });
  });

  test('a command killed by a signal does not count either', () => {
    expect(readSample(wall, run({ exitCode: null }))).toEqual({
      ok: false,
      error: 'command exited by a signal, so its time does not count',
    });
  });
});

describe('readSample: stdout_number', () => {
  test('reads the first capture group', () => {
    expect(readSample(failing, run({ stdout: '12 passing\n3 failing\n' }))).toEqual({ ok: true, value: 3 });
  });

  test('reads the whole match when the pattern has no group', () => {
    expect(readSample({ ...failing, pattern: '\\d+\\.\\d+' }, run({ stdout: 'took 4.25s' }))).toEqual({
      ok: true,
      value: 4.25,
    });
  });

  test('uses the first match in the output', () => {
    expect(readSample(failing, run({ stdout: '5 failing\n7 failing' }))).toEqual({ ok: true, value: 5 });
  });

  test('thousands separators are ignored', () => {
    expect(readSample(failing, run({ stdout: '1,234,567 failing' }))).toEqual({ ok: true, value: 1234567 });
  });

  test('reads stdout even when the command exits non-zero', () => {
    expect(readSample(failing, run({ exitCode: 1, stdout: '2 failing' }))).toEqual({ ok: true, value: 2 });
  });

  test('no match says which pattern did not match', () => {
    expect(readSample(failing, run({ stdout: 'all good' }))).toEqual({
      ok: false,
      error: 'stdout did not match /(\\d[\\d,]*) failing/',
    });
  });

  test('a match that is not a number is refused with the matched text', () => {
    expect(readSample({ ...failing, pattern: 'result: (\\S+)' }, run({ stdout: 'result: fast' }))).toEqual({
      ok: false,
      error: 'matched "fast", which is not a number',
    });
  });
});

describe('readSample: json', () => {
  test('follows a dotted path to a number', () => {
    expect(readSample(json, run({ stdout: '{"stats":{"total":42.5}}' }))).toEqual({ ok: true, value: 42.5 });
  });

  test('a dotted path can index into arrays', () => {
    expect(readSample({ ...json, path: 'runs.1.ms' }, run({ stdout: '{"runs":[{"ms":1},{"ms":2}]}' }))).toEqual({
      ok: true,
      value: 2,
    });
  });

  test('stdout that is not JSON is refused', () => {
    expect(readSample(json, run({ stdout: 'Total: 42' }))).toEqual({ ok: false, error: 'stdout is not JSON' });
  });

  test('a path through a non-object says the path is missing', () => {
    expect(readSample(json, run({ stdout: '{"stats":5}' }))).toEqual({
      ok: false,
      error: 'no "stats.total" in the JSON',
    });
  });

  test('a missing leaf or a non-number leaf says it is not a number', () => {
    expect(readSample(json, run({ stdout: '{"stats":{}}' }))).toEqual({
      ok: false,
      error: '"stats.total" is not a number in the JSON',
    });
    expect(readSample(json, run({ stdout: '{"stats":{"total":"42"}}' }))).toEqual({
      ok: false,
      error: '"stats.total" is not a number in the JSON',
    });
  });
});

describe('readSample: exit_code', () => {
  test('the exit code is the value, zero or not', () => {
    expect(readSample(exit, run({ exitCode: 0 }))).toEqual({ ok: true, value: 0 });
    expect(readSample(exit, run({ exitCode: 3 }))).toEqual({ ok: true, value: 3 });
  });

  test('a signal kill has no value', () => {
    expect(readSample(exit, run({ exitCode: null }))).toEqual({ ok: false, error: 'command was killed by a signal' });
  });
});

describe('readSample: timeouts', () => {
  test('a timed-out run has no value for any kind, naming the timeout', () => {
    for (const metric of [wall, failing, json, exit]) {
      expect(
        readSample(
          { ...metric, timeoutSeconds: 30 },
          run({ timedOut: true, stdout: '{"stats":{"total":1}} 1 failing' }),
        ),
      ).toEqual({ ok: false, error: 'command timed out after 30 s' });
    }
  });
});

describe('numbers read from output must be plain decimals', () => {
  test.each([
    ['', 'matched "", which is not a number'],
    ['0x1F', 'matched "0x1F", which is not a number'],
    ['1,5', 'matched "1,5", which is not a number'],
    ['Infinity', 'matched "Infinity", which is not a number'],
  ])('%j is refused', (text, error) => {
    expect(readSample({ ...failing, pattern: 'v=(\\S*)' }, run({ stdout: `v=${text}` }))).toEqual({ ok: false, error });
  });

  test.each([
    ['1,234,567.5', 1234567.5],
    ['-3.25', -3.25],
    ['1e3', 1000],
    ['.5', 0.5],
  ])('%j reads as %d', (text, value) => {
    expect(parseDecimal(text)).toBe(value);
  });
});

describe('relative targets need a measured, positive baseline', () => {
  const rel = { name: 'build_seconds', target: { relative: -0.3 } };
  test('no threshold, and a reason that says what to do, for a missing, zero or negative baseline', () => {
    for (const b of [null, 0, -10]) expect(thresholdOf(rel, b)).toBeNull();
    expect(baselineProblem(rel, null, 'command exited 1')).toBe(
      'metric build_seconds could not be measured at baseline (command exited 1), and its relative target needs a baseline: fix the command or give an absolute target',
    );
    expect(baselineProblem(rel, -10)).toBe(
      'metric build_seconds has baseline -10, and a relative target needs a positive baseline: give an absolute target',
    );
    expect(baselineProblem(rel, 12)).toBeNull();
    expect(baselineProblem({ name: 'x', target: { absolute: 0 } }, null)).toBeNull();
  });
});
