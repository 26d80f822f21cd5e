import { readCoverage, readJunit, readSample, type CommandRun } from '../goal/measurement';
import type { MetricSpec } from '../goal/spec';

type Measured = Pick<MetricSpec, 'measure' | 'pattern' | 'path' | 'timeoutSeconds' | 'report' | 'count'>;

function run(over: Partial<CommandRun> = {}): CommandRun {
  return { exitCode: 0, stdout: '', durationMs: 1500, timedOut: false, ...over };
}

const junit: Measured = { measure: 'junit', timeoutSeconds: 600 };
const junitReport: Measured = { ...junit, report: 'reports/junit.xml' };
const coverage: Measured = { measure: 'coverage', timeoutSeconds: 600 };

const NESTED = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="12" failures="3" errors="0" time="1.2">
  <testsuite name="a" tests="7" failures="2" errors="1" skipped="1" time="0.5">
    <testcase classname="a" name="one" time="0.1"/>
  </testsuite>
  <testsuite name="b" tests="5" failures="0" errors="0" skipped="2" time="0.7">
  </testsuite>
</testsuites>`;

const SINGLE = `<?xml version="1.0"?>
<testsuite name="pytest" tests="10" failures="1" errors="2" skipped="3">
  <testcase name="t1"/>
</testsuite>`;

const NO_ATTRIBUTES = `<testsuites>
  <testsuite name="a">
    <testcase name="ok"/>
    <testcase name="ok too"><system-out>fine</system-out></testcase>
    <testcase name="fails"><failure message="expected 1">stack</failure></testcase>
    <testcase name="breaks"><error type="TypeError"/></testcase>
    <testcase name="later"><skipped/></testcase>
  </testsuite>
  <testsuite name="b">
    <testcase name="fails"><failure/></testcase>
    <testsuite name="b.inner">
      <testcase name="ok"/>
      <testcase name="fails"><failure/></testcase>
    </testsuite>
  </testsuite>
</testsuites>`;

describe('readSample: junit', () => {
  test('a <testsuites> root sums its suites from their attributes; failed = failures + errors by default', () => {
    expect(readSample(junit, run({ stdout: NESTED }))).toEqual({ ok: true, value: 3 });
    expect(readSample({ ...junit, count: 'failed' }, run({ stdout: NESTED }))).toEqual({ ok: true, value: 3 });
    expect(readSample({ ...junit, count: 'total' }, run({ stdout: NESTED }))).toEqual({ ok: true, value: 12 });
    // 12 − (2 + 0) − (1 + 0) − (1 + 2)
    expect(readSample({ ...junit, count: 'passed' }, run({ stdout: NESTED }))).toEqual({ ok: true, value: 6 });
  });

  test('a single <testsuite> root', () => {
    expect(readSample(junit, run({ stdout: SINGLE }))).toEqual({ ok: true, value: 3 });
    expect(readSample({ ...junit, count: 'passed' }, run({ stdout: SINGLE }))).toEqual({ ok: true, value: 4 });
    expect(readSample({ ...junit, count: 'total' }, run({ stdout: SINGLE }))).toEqual({ ok: true, value: 10 });
  });

  test('without count attributes the <testcase> elements are counted, nested suites included', () => {
    expect(readJunit(NO_ATTRIBUTES)).toEqual({ ok: true, counts: { tests: 8, failures: 3, errors: 1, skipped: 1 } });
    expect(readSample(junit, run({ stdout: NO_ATTRIBUTES }))).toEqual({ ok: true, value: 4 });
    expect(readSample({ ...junit, count: 'passed' }, run({ stdout: NO_ATTRIBUTES }))).toEqual({ ok: true, value: 3 });
    expect(readSample({ ...junit, count: 'total' }, run({ stdout: NO_ATTRIBUTES }))).toEqual({ ok: true, value: 8 });
  });

  test('a missing attribute is counted from the test cases, the others are taken as written', () => {
    const partial = `<testsuite tests="40" failures="2">
      <testcase name="a"><error/></testcase><testcase name="b"><skipped/></testcase>
    </testsuite>`;
    expect(readJunit(partial)).toEqual({ ok: true, counts: { tests: 40, failures: 2, errors: 1, skipped: 1 } });
  });

  test('failing tests usually exit non-zero: the exit code does not matter, the report does', () => {
    expect(readSample(junit, run({ exitCode: 1, stdout: SINGLE }))).toEqual({ ok: true, value: 3 });
  });

  test('reads the report file when the spec names one', () => {
    expect(readSample(junitReport, run({ stdout: 'PASS 12 tests\n', report: NESTED }))).toEqual({
      ok: true,
      value: 3,
    });
  });

  test('a report file the command did not write is an error naming it', () => {
    expect(readSample(junitReport, run({ stdout: SINGLE, reportMissing: true }))).toEqual({
      ok: false,
      error: 'report file reports/junit.xml was not written by the command',
    });
  });

  test('malformed XML says what was expected', () => {
    const sample = readSample(junitReport, run({ report: '<testsuite tests="1"><testcase></testsuite>' }));
    expect(sample.ok).toBe(false);
    if (!sample.ok) {
      expect(sample.error).toMatch(/^report file reports\/junit\.xml is not well-formed XML \(line 1: /);
      expect(sample.error).toMatch(/expected JUnit XML: a <testsuites> root with <testsuite> elements/);
    }
  });

  test('text that is not XML, an empty report and another root element are errors too', () => {
    for (const stdout of ['3 tests, 1 failure', '', '<results><test/></results>', '<testsuites/>']) {
      const sample = readSample(junit, run({ stdout }));
      expect(sample.ok).toBe(false);
      if (!sample.ok) expect(sample.error).toMatch(/expected JUnit XML/);
    }
    expect(readSample(junit, run({ stdout: '<results><test/></results>' }))).toMatchObject({
      error: expect.stringMatching(/^stdout is not a JUnit report: the root element is <results>/),
    });
    expect(readSample(junit, run({ stdout: '<testsuites></testsuites>' }))).toMatchObject({
      error: expect.stringMatching(/^stdout has no <testsuite> element/),
    });
  });

  test('a timeout still wins over everything', () => {
    expect(readSample(junitReport, run({ timedOut: true, reportMissing: true }))).toEqual({
      ok: false,
      error: 'command timed out after 600 s',
    });
  });
});

const SUMMARY = JSON.stringify({
  total: {
    lines: { total: 400, covered: 350, skipped: 0, pct: 87.5 },
    statements: { total: 420, covered: 360, skipped: 0, pct: 85.71 },
    functions: { total: 40, covered: 30, skipped: 0, pct: 75 },
    branches: { total: 100, covered: 50, skipped: 0, pct: 50 },
  },
  '/src/a.ts': { lines: { total: 10, covered: 1, skipped: 0, pct: 10 } },
});

const LCOV = `TN:
SF:/src/a.ts
FN:1,a
FNDA:3,a
FNF:1
FNH:1
DA:1,3
DA:2,0
BRDA:2,0,0,1
BRF:1
BRH:1
LF:10
LH:8
end_of_record
SF:/src/b.ts
DA:1,1
LF:30
LH:12
end_of_record
TN:
SF:/src/c.ts
DA:1,5
DA:2,0
DA:3,1
DA:4,0
end_of_record
`;

describe('readSample: coverage', () => {
  test('an Istanbul json-summary gives total.lines.pct', () => {
    expect(readSample(coverage, run({ stdout: SUMMARY }))).toEqual({ ok: true, value: 87.5 });
  });

  test('a json-summary whose pct is not a number falls back to covered / total', () => {
    const summary = JSON.stringify({ total: { lines: { total: 8, covered: 6, skipped: 0, pct: 'Unknown' } } });
    expect(readSample(coverage, run({ stdout: summary }))).toEqual({ ok: true, value: 75 });
  });

  test('lcov sums LH over LF across records (a record without LF/LH is counted from its DA lines)', () => {
    // (8 + 12 + 2) / (10 + 30 + 4)
    const sample = readSample(coverage, run({ stdout: LCOV }));
    expect(sample.ok).toBe(true);
    if (sample.ok) expect(sample.value).toBeCloseTo((100 * 22) / 44, 10);
  });

  test('lcov with Windows line endings and no trailing end_of_record', () => {
    const sample = readCoverage('SF:a.js\r\nLF:4\r\nLH:1\r\nend_of_record\r\nSF:b.js\r\nLF:4\r\nLH:4\r\n');
    expect(sample).toEqual({ ok: true, value: 62.5 });
  });

  test('reads the report file, not stdout, and does not need exit 0', () => {
    const report = run({ exitCode: 1, stdout: 'Jest: coverage threshold not met', report: LCOV });
    expect(readSample({ ...coverage, report: 'coverage/lcov.info' }, report)).toEqual({ ok: true, value: 50 });
  });

  test('a missing report file is an error naming it', () => {
    expect(readSample({ ...coverage, report: 'coverage/coverage-summary.json' }, run({ reportMissing: true }))).toEqual(
      { ok: false, error: 'report file coverage/coverage-summary.json was not written by the command' },
    );
  });

  test('anything else is an error naming both accepted formats', () => {
    for (const stdout of [
      'All files | 87.5 | 80 | 75 | 87.5',
      '',
      '{"total":{"statements":{"pct":80}}}',
      '{"total": ',
      '<coverage line-rate="0.8"/>',
    ]) {
      const sample = readSample(coverage, run({ stdout }));
      expect(sample.ok).toBe(false);
      if (!sample.ok) {
        expect(sample.error).toMatch(/Istanbul json-summary/);
        expect(sample.error).toMatch(/lcov \.info/);
      }
    }
  });

  test('a report with no instrumented lines has no coverage', () => {
    expect(readCoverage('SF:a.js\nLF:0\nLH:0\nend_of_record\n')).toEqual({
      ok: false,
      error: 'stdout is an lcov file with no instrumented lines',
    });
    expect(readCoverage('{"total":{"lines":{"total":0,"covered":0,"pct":"Unknown"}}}')).toMatchObject({ ok: false });
  });
});

describe('readSample: json reads the report file too', () => {
  const json: Measured = { measure: 'json', path: 'stats.total', timeoutSeconds: 600, report: 'out/stats.json' };

  test('from the report when given', () => {
    expect(readSample(json, run({ stdout: 'done', report: '{"stats":{"total":7}}' }))).toEqual({ ok: true, value: 7 });
  });

  test('errors name the report file', () => {
    expect(readSample(json, run({ report: 'oops' }))).toEqual({
      ok: false,
      error: 'report file out/stats.json is not JSON',
    });
    expect(readSample(json, run({ reportMissing: true }))).toEqual({
      ok: false,
      error: 'report file out/stats.json was not written by the command',
    });
  });
});
