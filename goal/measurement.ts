/** Reading a metric's value from one run of its command. Pure, so every kind is unit-testable. */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { MetricSpec } from './spec';

export interface CommandRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
  /** The content of the metric's `report` file after the run, when the spec names one (read by the activity). */
  readonly report?: string;
  /** The spec names a `report` file and the command did not write it. */
  readonly reportMissing?: boolean;
}

export type SampleValue =
  { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: string };

/** Extracts the metric's value from a run, or says why none could be read. */
export function readSample(
  metric: Pick<MetricSpec, 'measure' | 'pattern' | 'path' | 'timeoutSeconds' | 'report' | 'count'>,
  run: CommandRun,
): SampleValue {
  if (run.timedOut) return { ok: false, error: `command timed out after ${metric.timeoutSeconds} s` };
  const readsReport = metric.measure === 'json' || metric.measure === 'junit' || metric.measure === 'coverage';
  if (readsReport && run.reportMissing) {
    return { ok: false, error: `report file ${metric.report ?? '(unnamed)'} was not written by the command` };
  }
  // junit, coverage and json read the report file when the spec names one, else stdout.
  const text = run.report ?? run.stdout;
  const source = run.report !== undefined ? `report file ${metric.report ?? '(unnamed)'}` : 'stdout';
  switch (metric.measure) {
    case 'exit_code':
      return run.exitCode === null
        ? { ok: false, error: 'command was killed by a signal' }
        : { ok: true, value: run.exitCode };
    case 'wall_time':
      if (run.exitCode !== 0)
        return { ok: false, error: `command exited ${run.exitCode ?? 'by a signal'}, so its time does not count` };
      return { ok: true, value: run.durationMs / 1000 };
    case 'stdout_number': {
      const match = new RegExp(metric.pattern ?? '').exec(run.stdout);
      if (!match) return { ok: false, error: `stdout did not match /${metric.pattern ?? ''}/` };
      const text = (match[1] ?? match[0]).trim();
      const value = parseDecimal(text);
      return value === null ? { ok: false, error: `matched "${text}", which is not a number` } : { ok: true, value };
    }
    case 'json': {
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        return { ok: false, error: `${source} is not JSON` };
      }
      let node: unknown = data;
      for (const key of (metric.path ?? '').split('.').filter(Boolean)) {
        if (node === null || typeof node !== 'object')
          return { ok: false, error: `no "${metric.path ?? ''}" in the JSON` };
        node = (node as Record<string, unknown>)[key];
      }
      return typeof node === 'number' && Number.isFinite(node)
        ? { ok: true, value: node }
        : { ok: false, error: `"${metric.path ?? ''}" is not a number in the JSON` };
    }
    case 'junit': {
      // A run with failing tests usually exits non-zero: the exit code is not checked, only the report.
      const counts = readJunit(text, source);
      if (!counts.ok) return counts;
      return { ok: true, value: junitValue(counts.counts, metric.count ?? 'failed') };
    }
    case 'coverage':
      return readCoverage(text, source);
  }
}

/** Test counts from a JUnit XML report. */
export interface JunitCounts {
  readonly tests: number;
  readonly failures: number;
  readonly errors: number;
  readonly skipped: number;
}

const JUNIT_EXPECTED = 'expected JUnit XML: a <testsuites> root with <testsuite> elements, or a single <testsuite>';
const JUNIT_ARRAYS = new Set(['testsuites', 'testsuite', 'testcase']);

/**
 * Parses a JUnit XML report. Each <testsuite> is counted from its tests/failures/errors/skipped attributes; an
 * attribute that is missing (or not a count) is counted from its <testcase> elements instead (a test case with a
 * <failure> is a failure, else with an <error> an error, else with <skipped> skipped) plus its nested suites. The
 * counts of all top-level suites are summed.
 */
export function readJunit(
  text: string,
  source = 'stdout',
): { readonly ok: true; readonly counts: JunitCounts } | { readonly ok: false; readonly error: string } {
  if (text.trim() === '') return { ok: false, error: `${source} is empty; ${JUNIT_EXPECTED}` };
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    return {
      ok: false,
      error: `${source} is not well-formed XML (line ${valid.err.line}: ${valid.err.msg}); ${JUNIT_EXPECTED}`,
    };
  }
  let doc: unknown;
  try {
    doc = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@_',
      parseAttributeValue: false,
      isArray: (name) => JUNIT_ARRAYS.has(name),
    }).parse(text);
  } catch (e) {
    return { ok: false, error: `${source} could not be parsed as XML (${String(e)}); ${JUNIT_EXPECTED}` };
  }
  const root = asNode(doc);
  let suites: XmlNode[];
  if ('testsuites' in root) {
    suites = asNodes(root.testsuites).flatMap((group) => asNodes(group.testsuite));
  } else if ('testsuite' in root) {
    suites = asNodes(root.testsuite);
  } else {
    const found = Object.keys(root).filter((k) => !k.startsWith('?') && !k.startsWith('#'));
    const what = found.length > 0 ? `the root element is <${found.join('>, <')}>` : 'there is no root element';
    return { ok: false, error: `${source} is not a JUnit report: ${what}; ${JUNIT_EXPECTED}` };
  }
  if (suites.length === 0) {
    return { ok: false, error: `${source} has no <testsuite> element; ${JUNIT_EXPECTED}` };
  }
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const suite of suites) {
    const counts = suiteCounts(suite);
    total.tests += counts.tests;
    total.failures += counts.failures;
    total.errors += counts.errors;
    total.skipped += counts.skipped;
  }
  return { ok: true, counts: total };
}

/** The metric's value from JUnit counts: failed = failures + errors, passed = the rest minus skipped, total = tests. */
export function junitValue(counts: JunitCounts, count: NonNullable<MetricSpec['count']>): number {
  switch (count) {
    case 'failed':
      return counts.failures + counts.errors;
    case 'passed':
      return Math.max(0, counts.tests - counts.failures - counts.errors - counts.skipped);
    case 'total':
      return counts.tests;
  }
}

type XmlNode = Record<string, unknown>;

/** An element as an object (a text-only or empty element parses to a string: it has no attributes or children). */
function asNode(value: unknown): XmlNode {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as XmlNode) : {};
}

function asNodes(value: unknown): XmlNode[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(asNode);
}

function suiteCounts(suite: XmlNode): JunitCounts {
  const counted = countCases(suite);
  return {
    tests: countAttribute(suite, 'tests') ?? counted.tests,
    failures: countAttribute(suite, 'failures') ?? counted.failures,
    errors: countAttribute(suite, 'errors') ?? counted.errors,
    skipped: countAttribute(suite, 'skipped') ?? countAttribute(suite, 'disabled') ?? counted.skipped,
  };
}

/** Counts the <testcase> elements of a suite, adding the counts of the suites nested in it. */
function countCases(suite: XmlNode): JunitCounts {
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const testcase of asNodes(suite.testcase)) {
    total.tests += 1;
    if ('failure' in testcase) total.failures += 1;
    else if ('error' in testcase) total.errors += 1;
    else if ('skipped' in testcase) total.skipped += 1;
  }
  for (const nested of asNodes(suite.testsuite)) {
    const counts = suiteCounts(nested);
    total.tests += counts.tests;
    total.failures += counts.failures;
    total.errors += counts.errors;
    total.skipped += counts.skipped;
  }
  return total;
}

/** A non-negative whole-number attribute, or null when it is missing or not a count. */
function countAttribute(node: XmlNode, name: string): number | null {
  const raw = node[`@_${name}`];
  if (typeof raw !== 'string' || !/^\s*\d+\s*$/.test(raw)) return null;
  return Number(raw);
}

const COVERAGE_EXPECTED =
  'expected an Istanbul json-summary ({"total":{"lines":{"pct":…}}}, e.g. from --coverageReporters=json-summary) or an lcov .info file (LF:/LH: lines)';

/**
 * Line coverage in percent (0–100) from an Istanbul json-summary (total.lines.pct, or covered/total when pct is not
 * a number) or from an lcov .info file (the sum of LH over the sum of LF across records; a record without LF/LH
 * is counted from its DA lines). Which format it is is told by the content.
 */
export function readCoverage(text: string, source = 'stdout'): SampleValue {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, error: `${source} is empty; ${COVERAGE_EXPECTED}` };
  if (trimmed.startsWith('{')) {
    let data: unknown;
    try {
      data = JSON.parse(trimmed);
    } catch {
      return { ok: false, error: `${source} is not valid JSON; ${COVERAGE_EXPECTED}` };
    }
    const lines = asNode(asNode(asNode(data).total).lines);
    const { pct, covered, total } = lines;
    if (typeof pct === 'number' && Number.isFinite(pct)) return { ok: true, value: pct };
    if (typeof covered === 'number' && typeof total === 'number' && total > 0) {
      return { ok: true, value: (100 * covered) / total };
    }
    if (total === 0) return { ok: false, error: `${source} is a coverage summary with no instrumented lines` };
    return { ok: false, error: `${source} is JSON without total.lines.pct; ${COVERAGE_EXPECTED}` };
  }
  const lcov = readLcov(trimmed);
  if (lcov === null) return { ok: false, error: `${source} is not a coverage report; ${COVERAGE_EXPECTED}` };
  if (lcov.found === 0) return { ok: false, error: `${source} is an lcov file with no instrumented lines` };
  return { ok: true, value: (100 * lcov.hit) / lcov.found };
}

/** Sums lines found/hit over lcov records; null when the text has no lcov record at all. */
function readLcov(text: string): { found: number; hit: number } | null {
  let found = 0;
  let hit = 0;
  let records = 0;
  let record = { lf: null as number | null, lh: null as number | null, da: 0, daHit: 0, open: false };
  const close = () => {
    if (!record.open) return;
    records += 1;
    found += record.lf ?? record.da;
    hit += record.lh ?? record.daHit;
    record = { lf: null, lh: null, da: 0, daHit: 0, open: false };
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const colon = line.indexOf(':');
    const key = colon >= 0 ? line.slice(0, colon) : line;
    const value = colon >= 0 ? line.slice(colon + 1).trim() : '';
    if (key === 'SF') {
      close();
      record.open = true;
    } else if (key === 'end_of_record') {
      close();
    } else if (key === 'LF' || key === 'LH') {
      if (!/^\d+$/.test(value)) return null;
      record.open = true;
      if (key === 'LF') record.lf = Number(value);
      else record.lh = Number(value);
    } else if (key === 'DA') {
      const hits = value.split(',')[1]?.trim();
      if (hits === undefined || !/^-?\d+$/.test(hits)) return null;
      record.open = true;
      record.da += 1;
      if (Number(hits) > 0) record.daHit += 1;
    } else if (line !== '' && !/^[A-Z]{2,5}:/.test(line)) {
      return null; // not an lcov line (TN, FN, FNDA, BRDA, … are skipped)
    }
  }
  close();
  return records > 0 ? { found, hit } : null;
}

/** A plain decimal number ("12", "-3.5", "1e3", "1,234.5" with thousands separators); null for anything else. */
export function parseDecimal(text: string): number | null {
  const plain = /^\d{1,3}(,\d{3})+(\.\d+)?$/.test(text.replace(/^[+-]/, '')) ? text.replace(/,/g, '') : text;
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(plain)) return null;
  const value = Number(plain);
  return Number.isFinite(value) ? value : null;
}
