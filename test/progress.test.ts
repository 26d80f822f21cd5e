import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import {
  CHART_COLORS,
  MAX_DRAWN_SAMPLES,
  bestSoFar,
  renderMetricChart,
  type ChartPoint,
} from '../activities/reporting/progress/chart';
import { buildProgressDoc } from '../activities/reporting/progress/doc';
import { renderProgressHtml, renderProgressMarkdown } from '../activities/reporting/progress/render';
import { PROGRESS_FAILURE, progressPaths, writeProgress } from '../activities/reporting/progress/write';
import { sampleRecord } from '../activities/verification/sample';
import { goalDir } from '../common/goal-files';
import { FileGoalStore } from '../activities/store/files';
import type { GoalStore } from '../activities/store/types';
import { GoalRun } from '../goal/run';
import { parseGoalSpec } from '../goal/spec';
import type { GoalStatusView } from '../goal/status';
import { findChromium, REQUIRE_CHROMIUM } from './helpers/chromium';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);
const GOAL = 'goal-progress';
const HOSTILE_OBJECTIVE = 'Make the build fast <script>alert("pwned")</script> & keep "tests" green';

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A status view as the workflow produces it: a baseline and two verifications of two metrics. */
function goalView(workspace: string, objective = HOSTILE_OBJECTIVE): GoalStatusView {
  const spec = parseGoalSpec({
    objective,
    workspace,
    metrics: [
      { name: 'build_seconds', command: 'sh build.sh', direction: 'lower', target: { relative: -0.3 } },
      {
        name: 'score',
        command: 'sh score.sh',
        measure: 'stdout_number',
        pattern: '(\\d+)',
        direction: 'higher',
        target: { absolute: 90 },
      },
    ],
    checks: [{ name: 'tests', command: 'npm test' }],
    holdout: [{ name: 'secret-cases', command: 'node /elsewhere/cases.js' }],
  });
  const run = GoalRun.create(GOAL, spec, T0);
  run.setStartCommit('0123456789abcdef0123456789abcdef01234567');
  const metric = (name: string, value: number | null) => ({ name, value, samples: 3, durationMs: 10 });
  const tests = (passed: boolean) => ({ name: 'tests', passed, exitCode: passed ? 0 : 1, excerpt: '', durationMs: 5 });
  run.recordBaseline([metric('build_seconds', 11), metric('score', 40)], [tests(true)], 'fp0', T0 + 1000);
  run.beginTurn();
  run.recordVerification([metric('build_seconds', 8), metric('score', 70)], [tests(true)], 'fp1', false, T0 + 60_000);
  run.beginTurn();
  run.event('the agent tried </td></tr><script>alert(2)</script>', T0 + 90_000);
  run.recordVerification(
    [metric('build_seconds', null), metric('score', 95)],
    [tests(false)],
    'fp2',
    false,
    T0 + 120_000,
  );
  return run.view(T0 + 130_000);
}

/** Ledger records as the measure activity writes them: one per sample; a string is a failed sample's error. */
function samples(metric: string, label: string, values: readonly (number | string)[]): Record<string, unknown>[] {
  return values.map((v, index) =>
    sampleRecord(
      {
        value: typeof v === 'number' ? { ok: true, value: v } : { ok: false, error: v },
        exitCode: typeof v === 'number' ? 0 : 1,
        durationMs: 12,
      },
      { kind: 'sample', goalId: GOAL, metric, label, commit: 'c0ffee', index },
    ),
  );
}

/** Ledger records as the paired activity writes them: baseline and candidate of each pair, one after the other. */
function pairs(metric: string, label: string, values: readonly [number, number][]): Record<string, unknown>[] {
  return values.flatMap(([baseline, candidate], pair) =>
    (['baseline', 'candidate'] as const).map((role) =>
      sampleRecord(
        { value: { ok: true, value: role === 'baseline' ? baseline : candidate }, exitCode: 0, durationMs: 9 },
        {
          kind: 'paired-sample',
          goalId: GOAL,
          metric,
          label,
          role,
          pair,
          commit: role === 'candidate' ? 'c0ffee' : 'baseline',
        },
      ),
    ),
  );
}

function checkRecord(check: string, label: string, passed: boolean): Record<string, unknown> {
  return {
    kind: 'check',
    goalId: GOAL,
    check,
    label,
    commit: 'c0ffee',
    at: new Date(T0).toISOString(),
    exitCode: passed ? 0 : 2,
    timedOut: false,
    passed,
    durationMs: 40,
    output: 'blob:0000',
  };
}

/** The ledger of the goal above: 9 measurements, among them a paired one and a failed one. */
async function writeLedger(store: GoalStore): Promise<void> {
  await store.appendLedger(GOAL, samples('build_seconds', 'baseline', [10, 11, 12]));
  await store.appendLedger(GOAL, samples('score', 'baseline', [40, 41, 39]));
  await store.appendLedger(GOAL, [
    checkRecord('tests', 'baseline', true),
    checkRecord('secret-cases', 'baseline', false),
  ]);
  // Ten pairs, 9 of them past the target (-30% against their own baseline run): the sign test says MET.
  await store.appendLedger(GOAL, pairs('build_seconds', 'turn 1', [...Array(9).fill([10, 6.5]), [10, 9.9]]));
  await store.appendLedger(GOAL, samples('score', 'turn 1', [70, 72, 68]));
  await store.appendLedger(
    GOAL,
    samples('build_seconds', 'turn 2', [7.5, 'command exited 1: <img src=x onerror=alert(3)>']),
  );
  await store.appendLedger(GOAL, samples('score', 'turn 2', [95, 96, Number.NaN]));
  await store.appendLedger(GOAL, [checkRecord('tests', 'turn 2', false)]);
}

/** The rows of the Markdown's measurement table. */
function measurementRows(md: string): string[] {
  const section = md.slice(md.indexOf('## Measurements'));
  return section
    .slice(0, section.indexOf('\n## '))
    .split('\n')
    .filter((l) => /^\| \d+ \|/.test(l));
}

function count(haystack: string, needle: string | RegExp): number {
  return haystack.split(needle).length - 1;
}

describe('the progress document', () => {
  test('writes progress.md and progress.html into the goal folder, with every measurement of the ledger', async () => {
    const store = new FileGoalStore(tempDir('longhaul-home-'));
    await writeLedger(store);
    const written = await writeProgress(store, store.home, { goalId: GOAL, view: goalView('/work/app') });

    expect(written).toEqual(progressPaths(store.home, GOAL));
    expect(path.dirname(written.markdown)).toBe(goalDir(store.home, GOAL));
    const md = readFileSync(written.markdown, 'utf8');
    const rows = measurementRows(md);
    expect(rows).toHaveLength(9);
    expect(md).toContain('## Measurements (9)');
    expect(rows[0]).toMatch(
      /^\| 1 \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \| baseline \| build_seconds \| 11 \| 3 \| NOT_MET \|$/,
    );
    expect(rows[1]).toMatch(/\| baseline \| score \| 40 \| 3 \| NOT_MET \|$/);
    expect(rows[2]).toMatch(/\| baseline \| check tests \| pass \| 1 \| pass \|$/);
    expect(rows[3]).toMatch(/\| baseline \| held-out check secret-cases \| fail \(exit 2\) \| 1 \| FAIL \|$/);
    expect(rows[4]).toMatch(
      /\| turn 1 \| build_seconds \| 6\.5 vs baseline 10 \(−35\.0%\) \| 10 pairs \| MET \(9\/10 pairs past target\) \|$/,
    );
    expect(rows[5]).toMatch(/\| turn 1 \| score \| 70 \| 3 \| NOT_MET \|$/);
    expect(rows[6]).toMatch(
      /\| turn 2 \| build_seconds \| n\/a: command exited 1: &lt;img src=x onerror=alert\(3\)&gt; \| 1 \| UNKNOWN \|$/,
    );
    expect(rows[7]).toMatch(/\| turn 2 \| score \| 95\.5 \| 2 \| MET \|$/); // NaN is recorded as null: no value
    expect(rows[8]).toMatch(/\| turn 2 \| check tests \| fail \(exit 2\) \| 1 \| FAIL \|$/);

    // The status: criteria, verdicts, events and budget.
    expect(md).toMatch(/\| metric score \| 40 \| 95 \| 95 \| ≥ 90 \| MET \|/);
    expect(md).toMatch(/\| metric build_seconds \| 11 \| n\/a \| 8 \| ≤ 7\.7 \| /);
    expect(md).toContain('turns: 2 of 50');
    expect(md).toContain('verified after turn 1');
    expect(readFileSync(written.html, 'utf8')).toContain('<td>turn 1</td><td>build_seconds</td>');
  });

  test('leaves no temp file behind, and rewrites replace both files whole', async () => {
    const store = new FileGoalStore(tempDir('longhaul-home-'));
    await writeLedger(store);
    const view = goalView('/work/app');
    const first = await writeProgress(store, store.home, { goalId: GOAL, view });
    const before = readFileSync(first.markdown, 'utf8');
    await store.appendLedger(GOAL, samples('score', 'turn 3', [99]));
    await writeProgress(store, store.home, { goalId: GOAL, view });
    const after = readFileSync(first.markdown, 'utf8');
    expect(measurementRows(after)).toHaveLength(measurementRows(before).length + 1);
    expect(readdirSync(goalDir(store.home, GOAL)).filter((f) => f.includes('.tmp'))).toEqual([]);
    expect(readdirSync(goalDir(store.home, GOAL)).filter((f) => f.startsWith('progress.'))).toEqual([
      'progress.html',
      'progress.md',
    ]);
  });

  test('a write that fails removes its temp file: no half-written file is left', async () => {
    const store = new FileGoalStore(tempDir('longhaul-home-'));
    const workspace = tempDir('longhaul-ws-');
    const mirror = path.join(workspace, '.longhaul');
    mkdirSync(path.join(mirror, 'progress.html'), { recursive: true }); // a folder where the file must go
    await expect(
      writeProgress(store, store.home, { goalId: GOAL, view: goalView(workspace), mirrorDir: mirror }),
    ).rejects.toThrow(/EISDIR|directory/);
    expect(readdirSync(mirror).sort()).toEqual(['progress.html', 'progress.md']); // no temp file beside them
    expect(readdirSync(goalDir(store.home, GOAL)).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  test('the HTML page escapes the objective, event texts and command output', async () => {
    const store = new FileGoalStore(tempDir('longhaul-home-'));
    await writeLedger(store);
    const { html } = await writeProgress(store, store.home, { goalId: GOAL, view: goalView('/work/app') });
    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/<img/i);
    expect(page).toContain('Make the build fast &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; keep');
    expect(page).toContain('the agent tried &lt;/td&gt;&lt;/tr&gt;&lt;script&gt;');
    expect(page).toContain('&lt;img src=x onerror=alert(3)&gt;');
    // Self-contained and readable on a phone.
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//i);
    expect(page).toContain("default-src 'none'");
  });

  test('the HTML page has one chart per metric, with a dot for every sample and the baseline and target lines', async () => {
    const store = new FileGoalStore(tempDir('longhaul-home-'));
    await writeLedger(store);
    const { html } = await writeProgress(store, store.home, { goalId: GOAL, view: goalView('/work/app') });
    const page = readFileSync(html, 'utf8');
    const charts = page.split('<svg').slice(1);
    expect(charts).toHaveLength(2);
    const [build, score] = charts as [string, string];
    // build_seconds: 3 baseline samples, 10 paired candidates, 1 sample before the failure.
    expect(count(build, 'class="sample"')).toBe(14);
    // score: 3 + 3 + 2 (the NaN skipped).
    expect(count(score, 'class="sample"')).toBe(8);
    for (const chart of charts) {
      expect(count(chart, '<line class="baseline"')).toBe(1);
      expect(count(chart, '<line class="target"')).toBe(1);
      expect(count(chart, '<path class="best"')).toBe(1);
    }
    expect(score).toContain('target 90');
    expect(score).toContain('baseline 40');
  });

  test('the copy in the workspace names held-out checks by number only; the store copy names them', async () => {
    const store = new FileGoalStore(tempDir('longhaul-home-'));
    await writeLedger(store);
    const workspace = tempDir('longhaul-ws-');
    const mirror = path.join(workspace, '.longhaul', 'progress');
    const written = await writeProgress(store, store.home, {
      goalId: GOAL,
      view: goalView(workspace),
      mirrorDir: mirror,
    });
    const visible = readFileSync(path.join(mirror, 'progress.md'), 'utf8');
    expect(visible).not.toContain('secret-cases');
    expect(visible).toContain('held-out check #1');
    expect(readFileSync(path.join(mirror, 'progress.html'), 'utf8')).not.toContain('secret-cases');
    expect(readFileSync(written.markdown, 'utf8')).toContain('held-out check secret-cases');
    expect(readdirSync(mirror).sort()).toEqual(['progress.html', 'progress.md']);
  });

  test('refuses a mirror folder that is relative or outside the workspace, before writing anything', async () => {
    const store = new FileGoalStore(tempDir('longhaul-home-'));
    const workspace = tempDir('longhaul-ws-');
    const view = goalView(workspace);
    for (const mirrorDir of ['reports', path.join(workspace, '..', 'elsewhere'), path.dirname(workspace)]) {
      await expect(writeProgress(store, store.home, { goalId: GOAL, view, mirrorDir })).rejects.toMatchObject({
        type: PROGRESS_FAILURE.mirrorDirInvalid,
        nonRetryable: true,
      });
    }
    expect(existsSync(progressPaths(store.home, GOAL).markdown)).toBe(false);
  });

  test('an empty ledger still gives a complete document', () => {
    const doc = buildProgressDoc(
      goalView('/work/app', 'a plain objective\non two lines'),
      [],
      new Date(T0).toISOString(),
    );
    const md = renderProgressMarkdown(doc);
    expect(md).toContain('_nothing measured yet_');
    expect(md).toContain('> a plain objective\n> on two lines');
    const page = renderProgressHtml(doc);
    expect(page).toContain('no measurements yet');
    expect(count(page, 'class="sample"')).toBe(0);
  });
});

describe('the metric chart', () => {
  const points = (ys: readonly (number | null)[]): ChartPoint[] => ys.map((y, i) => ({ x: i + 1, y }));

  test('draws a dot per finite sample and skips null and NaN', () => {
    const svg = renderMetricChart({
      title: 'latency',
      direction: 'lower',
      samples: points([5, null, 4, Number.NaN, 6, Infinity, 3]),
      baseline: 5,
      target: 3.5,
    });
    expect(count(svg, 'class="sample"')).toBe(4);
    expect(svg).toContain('data-samples="4"');
  });

  test('places the baseline and target lines at their values', () => {
    const svg = renderMetricChart({
      title: 'm',
      direction: 'lower',
      samples: points([10, 5]),
      baseline: 10,
      target: 5,
    });
    const yOf = (cls: string) => Number(new RegExp(`<line class="${cls}" x1="[\\d.]+" y1="([\\d.]+)"`).exec(svg)![1]);
    const dots = [...svg.matchAll(/class="sample" cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(yOf('baseline')).toBe(dots[0]); // the sample at 10
    expect(yOf('target')).toBe(dots[1]); // the sample at 5
    expect(yOf('target')).toBeGreaterThan(yOf('baseline')); // lower values lower on the page
  });

  test('the best-so-far follows the direction', () => {
    const ys = points([5, 7, 4, 6, 2, 9]);
    expect(bestSoFar(ys, 'lower').map((p) => p.y)).toEqual([5, 4, 2]);
    expect(bestSoFar(ys, 'higher').map((p) => p.y)).toEqual([5, 7, 9]);
  });

  test('thousands of samples are thinned for drawing, keeping the extremes; the best line stays exact', () => {
    // A slow descent with noise, 5,000 samples, 5 per measurement.
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const samples: ChartPoint[] = [];
    const values: ChartPoint[] = [];
    for (let m = 1; m <= 1000; m++) {
      const ys = Array.from({ length: 5 }, () => 5000 - m * 2 + rand() * 800);
      ys.forEach((y) => samples.push({ x: m, y }));
      values.push({ x: m, y: [...ys].sort((a, b) => a - b)[2]! });
    }
    const svg = renderMetricChart({ title: 'ms', direction: 'lower', samples, values, baseline: 5400, target: 3000 });
    const drawn = count(svg, 'class="sample"');
    expect(drawn).toBeLessThanOrEqual(MAX_DRAWN_SAMPLES);
    expect(drawn).toBeGreaterThan(MAX_DRAWN_SAMPLES / 2);
    expect(svg).toContain('data-samples="5000"');
    expect(svg).toContain(`samples (${drawn} of 5000 drawn)`);
    // The lowest and highest samples are among the dots drawn.
    const cys = [...svg.matchAll(/class="sample" cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    const ys = samples.map((p) => p.y!);
    const [lo, hi] = [Math.min(...ys), Math.max(...ys)];
    const pageY = (v: number) => {
      // Invert from two known lines: baseline (5400) and target (3000).
      const yb = Number(/<line class="baseline" x1="[\d.]+" y1="([\d.]+)"/.exec(svg)![1]);
      const yt = Number(/<line class="target" x1="[\d.]+" y1="([\d.]+)"/.exec(svg)![1]);
      return yb + ((v - 5400) / (3000 - 5400)) * (yt - yb);
    };
    expect(Math.min(...cys)).toBeCloseTo(pageY(hi), 0);
    expect(Math.max(...cys)).toBeCloseTo(pageY(lo), 0);
    // Every improvement of the best median is a step of the line.
    const d = /<path class="best" d="([^"]+)"/.exec(svg)![1]!;
    expect(count(d, 'V')).toBe(bestSoFar(values, 'lower').length - 1);
  });

  test('no sample and one sample', () => {
    const none = renderMetricChart({ title: 'm', direction: 'higher', samples: [], baseline: null, target: 10 });
    expect(none).toContain('no measurements yet');
    expect(none).not.toContain('class="best"');
    expect(count(none, '<line class="target"')).toBe(1);
    const one = renderMetricChart({ title: 'm', direction: 'higher', samples: points([7]), baseline: 7, target: 10 });
    expect(count(one, 'class="sample"')).toBe(1);
    expect(one).toContain('<path class="best"');
    expect(one).not.toMatch(/NaN|Infinity/);
  });

  test('a time axis is labelled with UTC clock times', () => {
    const svg = renderMetricChart({
      title: 'm',
      direction: 'lower',
      xAxis: 'time',
      samples: [0, 20, 40, 60].map((min) => ({ x: T0 + min * 60_000, y: 10 - min / 10 })),
      baseline: 10,
      target: 5,
    });
    const labels = [...svg.matchAll(/<text x="[\d.]+" y="[\d.]+" text-anchor="middle">([^<]+)</g)].map((m) => m[1]);
    expect(labels).toEqual(expect.arrayContaining(['03:15', '03:30', '03:45', '04:00']));
    expect(svg).toContain('time (UTC)');
  });

  test('tick labels are short, readable numbers', () => {
    const big = renderMetricChart({
      title: 'bytes',
      direction: 'lower',
      samples: points([1_234_567, 1_200_000, 1_150_000]),
      baseline: 1_234_567,
      target: 1_100_000,
    });
    const small = renderMetricChart({
      title: 'ratio',
      direction: 'higher',
      samples: points([0.101, 0.103, 0.107]),
      baseline: 0.101,
      target: 0.11,
    });
    for (const svg of [big, small]) {
      const ticks = [...svg.matchAll(/text-anchor="end" dominant-baseline="middle">([^<]+)</g)].map((m) => m[1]!);
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      for (const t of ticks) expect(t).toMatch(/^-?\d+(\.\d{1,3})?[kM]?$/);
      expect(new Set(ticks).size).toBe(ticks.length); // no two ticks read the same
    }
    expect(big).toMatch(/>1\.\d+M</);
  });
});

/** Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) into RGBA pixels. */
function decodePng(buf: Buffer): { width: number; height: number; rgba: Buffer } {
  expect(buf.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colour, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      expect({ depth, interlace }).toEqual({ depth: 8, interlace: 0 });
      channels = colour === 6 ? 4 : colour === 2 ? 3 : 0;
      expect(channels).toBeGreaterThan(0);
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[y * stride + i - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + i]! : 0;
      const c = y > 0 && i >= channels ? out[(y - 1) * stride + i - channels]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      if (predictor === undefined) throw new Error(`PNG filter ${filter} unknown`);
      out[y * stride + i] = (line[i]! + predictor) & 0xff;
    }
  }
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = out[i * channels]!;
    rgba[i * 4 + 1] = out[i * channels + 1]!;
    rgba[i * 4 + 2] = out[i * channels + 2]!;
    rgba[i * 4 + 3] = channels === 4 ? out[i * channels + 3]! : 255;
  }
  return { width, height, rgba };
}

/** The columns (x) holding a pixel that `match`es. */
function columnsWhere(
  png: { width: number; height: number; rgba: Buffer },
  match: (r: number, g: number, b: number) => boolean,
): Set<number> {
  const cols = new Set<number>();
  for (let i = 0; i < png.width * png.height; i++) {
    if (match(png.rgba[i * 4]!, png.rgba[i * 4 + 1]!, png.rgba[i * 4 + 2]!)) cols.add(i % png.width);
  }
  return cols;
}

/** The columns (x) of the pixels of a colour, within a small tolerance for anti-aliasing. */
function columnsOf(png: { width: number; height: number; rgba: Buffer }, hex: string): Set<number> {
  const [r, g, b] = rgb(hex);
  return columnsWhere(png, (pr, pg, pb) => Math.abs(pr - r) <= 6 && Math.abs(pg - g) <= 6 && Math.abs(pb - b) <= 6);
}

function rgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

/** Pixels of the (translucent) sample dots: the dots' blue over white, alone or overlapping, but not opaque. */
function isSampleDot(r: number, g: number, b: number): boolean {
  const [sr, sg, sb] = rgb(CHART_COLORS.sample);
  const opaque = Math.abs(r - sr) <= 6 && Math.abs(g - sg) <= 6 && Math.abs(b - sb) <= 6; // e.g. the quote's border
  return !opaque && b > 200 && b - r > 40 && b - g > 30;
}

const chromium = findChromium();

describe('the progress page in a real browser (headless Chromium)', () => {
  if (!chromium && !REQUIRE_CHROMIUM) {
    test.skip('skipped: no chromium binary (apt-get install -y --no-install-recommends chromium, or set CHROMIUM_PATH)', () => {});
    return;
  }

  function screenshot(page: string, width: number, height: number): { width: number; height: number; rgba: Buffer } {
    if (!chromium) throw new Error('LONGHAUL_REQUIRE_CHROMIUM=1 but no chromium binary: apt-get install -y chromium');
    const dir = tempDir('longhaul-shot-');
    const png = path.join(dir, 'page.png');
    execFileSync(
      chromium,
      [
        '--headless',
        '--no-sandbox', // root in CI has no user namespace sandbox
        '--disable-gpu',
        '--hide-scrollbars',
        '--no-first-run',
        `--user-data-dir=${path.join(dir, 'profile')}`,
        `--window-size=${width},${height}`,
        `--screenshot=${png}`,
        `file://${page}`,
      ],
      { stdio: 'pipe', timeout: 60_000 },
    );
    return decodePng(readFileSync(png));
  }

  test('shows the chart: the best-so-far line across the plot and the dashed target, on a desktop and a phone', async () => {
    const store = new FileGoalStore(tempDir('longhaul-home-'));
    await writeLedger(store);
    const { html } = await writeProgress(store, store.home, {
      goalId: GOAL,
      view: goalView('/work/app', 'short objective'),
    });
    // Per page width: the columns a line across the plot covers at least, and those of the dots (5 places, 2 charts).
    for (const [width, height, lineColumns, dotColumns] of [
      [1000, 1400, 250, 20],
      [390, 1600, 120, 10],
    ] as const) {
      const png = screenshot(html, width, height);
      expect(png.width).toBe(width);
      const best = columnsOf(png, CHART_COLORS.best);
      const target = columnsOf(png, CHART_COLORS.target);
      // The legend's swatches alone are 20 px (a dot 7 px) wide: the chart's lines and dots cover far more.
      expect(best.size).toBeGreaterThan(lineColumns);
      expect(target.size).toBeGreaterThan(lineColumns);
      expect(columnsWhere(png, isSampleDot).size).toBeGreaterThan(dotColumns);
    }
  });
});
