/**
 * An inline SVG line chart of one metric over time: every sample a dot, the best-so-far a step line, the
 * baseline and the target dashed lines, with axes and a legend. Pure; no script, no external resource.
 */
import { formatValue } from '../../../goal/values';

/** One point; a null or non-finite `y` is skipped. */
export interface ChartPoint {
  readonly x: number;
  readonly y: number | null;
}

export interface MetricChartInput {
  readonly title: string;
  readonly direction: 'lower' | 'higher';
  /** Every sample, drawn as a dot each (see MAX_DRAWN_SAMPLES). */
  readonly samples: readonly ChartPoint[];
  /**
   * The values that count, e.g. each measurement's median: the best-so-far line steps through them.
   * @default samples
   */
  readonly values?: readonly ChartPoint[];
  readonly baseline: number | null;
  readonly target: number | null;
  /**
   * What x is: a measurement number, or a time in milliseconds since the epoch (ticks shown as UTC times).
   * @default 'index'
   */
  readonly xAxis?: 'index' | 'time';
  /** @default 'measurement' (or 'time (UTC)') */
  readonly xLabel?: string;
  /** @default 720 */
  readonly width?: number;
  /** @default 400 */
  readonly height?: number;
  /** @default MAX_DRAWN_SAMPLES */
  readonly maxDots?: number;
}

/** Colours of the chart's parts (also what a screenshot test looks for). */
export const CHART_COLORS = {
  sample: '#4263eb',
  best: '#e8590c',
  baseline: '#495057',
  target: '#2f9e44',
  axis: '#868e96',
  grid: '#e9ecef',
  text: '#343a40',
} as const;

/**
 * Beyond this many samples the dots are thinned for drawing: the x range is cut into MAX_DRAWN_SAMPLES / 2
 * columns and each column keeps its lowest and its highest sample, so the spread stays visible. The best-so-far
 * line is always computed from every value.
 */
export const MAX_DRAWN_SAMPLES = 2000;

const MARGIN = { top: 28, right: 16, bottom: 110, left: 72 } as const;

export function renderMetricChart(input: MetricChartInput): string {
  const width = input.width ?? 720;
  const height = input.height ?? 400;
  const xAxis = input.xAxis ?? 'index';
  const samples = finitePoints(input.samples);
  const values = input.values ? finitePoints(input.values) : samples;
  const drawn = thinSamples(samples, input.maxDots ?? MAX_DRAWN_SAMPLES);
  const best = bestSoFar(values, input.direction);

  const plot = { left: MARGIN.left, top: MARGIN.top, right: width - MARGIN.right, bottom: height - MARGIN.bottom };
  const xs = [...samples, ...values].map((p) => p.x);
  const ys = [...samples, ...values].map((p) => p.y);
  for (const line of [input.baseline, input.target]) if (line !== null && Number.isFinite(line)) ys.push(line);
  // Half a measurement either side of an index axis; 2% of the span of a time axis.
  const [x0, x1] = xAxis === 'index' ? padRange(xs, 0, 0.5, 1) : padRange(xs, 0.02, 0, 60_000);
  const [y0, y1] = padRange(ys, 0.06, 0, 1);
  const sx = (x: number) => plot.left + ((x - x0) / (x1 - x0)) * (plot.right - plot.left);
  const sy = (y: number) => plot.bottom - ((y - y0) / (y1 - y0)) * (plot.bottom - plot.top);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" width="100%" style="max-width:${width}px" role="img" aria-label="${attr(`${input.title}: ${samples.length} samples`)}" data-samples="${samples.length}" data-drawn="${drawn.length}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>${text(input.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${plot.left}" y="18" font-size="14" font-weight="600" fill="${CHART_COLORS.text}">${text(input.title)} <tspan font-weight="400" fill="${CHART_COLORS.axis}">(${input.direction} is better)</tspan></text>`,
  );

  // Axes, grid and ticks.
  const yTicks = niceTicks(y0, y1, 6);
  const yStep = yTicks.length > 1 ? yTicks[1]! - yTicks[0]! : 1;
  const yScale = scaleOf(yTicks.reduce((m, t) => Math.max(m, Math.abs(t)), 0));
  const grid: string[] = [];
  const labels: string[] = [];
  for (const t of yTicks) {
    const y = r(sy(t));
    grid.push(`<line x1="${plot.left}" y1="${y}" x2="${plot.right}" y2="${y}"/>`);
    labels.push(
      `<text x="${plot.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${text(formatTick(t, yStep, yScale))}</text>`,
    );
  }
  const xTicks = xAxis === 'time' ? timeTicks(x0, x1, 5) : niceTicks(x0, x1, 8).filter((t) => Number.isInteger(t));
  for (const t of xTicks) {
    const x = r(sx(t));
    grid.push(`<line x1="${x}" y1="${plot.top}" x2="${x}" y2="${plot.bottom}"/>`);
    labels.push(
      `<text x="${x}" y="${plot.bottom + 20}" text-anchor="middle">${text(xAxis === 'time' ? formatTime(t, x1 - x0) : String(t))}</text>`,
    );
  }
  parts.push(`<g class="grid" stroke="${CHART_COLORS.grid}" stroke-width="1">${grid.join('')}</g>`);
  parts.push(
    `<g class="axes" stroke="${CHART_COLORS.axis}" stroke-width="1"><line x1="${plot.left}" y1="${plot.bottom}" x2="${plot.right}" y2="${plot.bottom}" vector-effect="non-scaling-stroke"/><line x1="${plot.left}" y1="${plot.top}" x2="${plot.left}" y2="${plot.bottom}" vector-effect="non-scaling-stroke"/></g>`,
  );
  parts.push(`<g class="ticks" fill="${CHART_COLORS.text}">${labels.join('')}</g>`);
  parts.push(
    `<text x="${r((plot.left + plot.right) / 2)}" y="${plot.bottom + 44}" text-anchor="middle" fill="${CHART_COLORS.axis}">${text(input.xLabel ?? (xAxis === 'time' ? 'time (UTC)' : 'measurement'))}</text>`,
  );

  // Baseline and target.
  for (const [cls, value, color] of [
    ['baseline', input.baseline, CHART_COLORS.baseline],
    ['target', input.target, CHART_COLORS.target],
  ] as const) {
    if (value === null || !Number.isFinite(value)) continue;
    const y = r(sy(value));
    parts.push(
      `<line class="${cls}" x1="${plot.left}" y1="${y}" x2="${plot.right}" y2="${y}" stroke="${color}" stroke-width="2" stroke-dasharray="6 4" vector-effect="non-scaling-stroke"/>`,
    );
  }

  // Samples, then the best-so-far line on top.
  if (samples.length === 0) {
    parts.push(
      `<text x="${r((plot.left + plot.right) / 2)}" y="${r((plot.top + plot.bottom) / 2)}" text-anchor="middle" fill="${CHART_COLORS.axis}">no measurements yet</text>`,
    );
  }
  parts.push(
    `<g class="samples" fill="${CHART_COLORS.sample}" fill-opacity="0.6">${drawn
      .map((p) => `<circle class="sample" cx="${r(sx(p.x))}" cy="${r(sy(p.y))}" r="3.5"/>`)
      .join('')}</g>`,
  );
  if (best.length > 0) {
    // The best so far holds until the last measurement, also one that gave no value.
    const lastX = [...values, ...samples].reduce((m, p) => Math.max(m, p.x), -Infinity);
    parts.push(
      `<path class="best" d="${stepPath(best, lastX, sx, sy)}" fill="none" stroke="${CHART_COLORS.best}" stroke-width="3" stroke-linejoin="round" stroke-linecap="round" vector-effect="non-scaling-stroke"/>`,
    );
  }

  parts.push(legend(plot.left, plot.right, height - 44, samples.length, drawn.length, input));
  parts.push('</svg>');
  return parts.join('\n');
}

/** Points whose y is a finite number, sorted by x (stable). */
function finitePoints(points: readonly ChartPoint[]): { x: number; y: number }[] {
  return points
    .filter((p): p is { x: number; y: number } => Number.isFinite(p.x) && p.y !== null && Number.isFinite(p.y))
    .map((p) => ({ x: p.x, y: p.y }))
    .sort((a, b) => a.x - b.x);
}

/**
 * The points where the best value so far improves, in x order (the first point always): a step line through
 * them is exact, however many values there are.
 */
export function bestSoFar(points: readonly ChartPoint[], direction: 'lower' | 'higher'): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  for (const p of finitePoints(points)) {
    const last = out.at(-1);
    if (!last || (direction === 'lower' ? p.y < last.y : p.y > last.y)) out.push(p);
  }
  return out;
}

/**
 * The samples to draw: all of them up to `max`; beyond, the lowest and the highest of each of `max / 2` equal
 * columns of the x range (see MAX_DRAWN_SAMPLES).
 */
export function thinSamples(points: readonly ChartPoint[], max = MAX_DRAWN_SAMPLES): { x: number; y: number }[] {
  const pts = finitePoints(points);
  if (pts.length <= max) return pts;
  const columns = Math.max(1, Math.floor(max / 2));
  const minX = pts[0]!.x;
  const span = pts.at(-1)!.x - minX || 1;
  const lo = new Array<{ x: number; y: number } | undefined>(columns);
  const hi = new Array<{ x: number; y: number } | undefined>(columns);
  for (const p of pts) {
    const c = Math.min(columns - 1, Math.floor(((p.x - minX) / span) * columns));
    if (!lo[c] || p.y < lo[c].y) lo[c] = p;
    if (!hi[c] || p.y > hi[c].y) hi[c] = p;
  }
  const out: { x: number; y: number }[] = [];
  for (let c = 0; c < columns; c++) {
    const a = lo[c];
    const b = hi[c];
    if (a) out.push(a);
    if (b && b !== a) out.push(b);
  }
  return out;
}

/** A step path through the best points: flat until the next improvement, then straight down (or up). */
function stepPath(
  best: readonly { x: number; y: number }[],
  lastX: number,
  sx: (x: number) => number,
  sy: (y: number) => number,
): string {
  const [first, ...rest] = best;
  if (!first) return '';
  let d = `M${r(sx(first.x))} ${r(sy(first.y))}`;
  for (const p of rest) d += ` H${r(sx(p.x))} V${r(sy(p.y))}`;
  const end = r(sx(Math.max(lastX, best.at(-1)!.x)));
  // A lone point still gets a visible mark: a short flat stroke.
  d += ` H${rest.length === 0 && end === r(sx(first.x)) ? end + 0.01 : end}`;
  return d;
}

/** The legend in two columns and two rows below the x axis, so it fits however narrow the page. */
function legend(
  left: number,
  right: number,
  top: number,
  total: number,
  drawn: number,
  input: MetricChartInput,
): string {
  const items: string[] = [];
  const add = (swatch: string, label: string) => {
    const i = items.length;
    const x = r(left + (i % 2) * ((right - left) / 2));
    const y = top + Math.floor(i / 2) * 26;
    items.push(
      `<g transform="translate(${x} ${y})">${swatch}<text x="26" y="0" dominant-baseline="middle">${text(label)}</text></g>`,
    );
  };
  add(
    `<circle cx="10" cy="0" r="3.5" fill="${CHART_COLORS.sample}" fill-opacity="0.6"/>`,
    drawn < total ? `samples (${drawn} of ${total} drawn)` : 'samples',
  );
  add(`<line x1="0" y1="0" x2="20" y2="0" stroke="${CHART_COLORS.best}" stroke-width="3"/>`, 'best so far');
  if (input.baseline !== null && Number.isFinite(input.baseline)) {
    add(
      `<line x1="0" y1="0" x2="20" y2="0" stroke="${CHART_COLORS.baseline}" stroke-width="2" stroke-dasharray="6 4"/>`,
      `baseline ${formatValue(input.baseline)}`,
    );
  }
  if (input.target !== null && Number.isFinite(input.target)) {
    add(
      `<line x1="0" y1="0" x2="20" y2="0" stroke="${CHART_COLORS.target}" stroke-width="2" stroke-dasharray="6 4"/>`,
      `target ${formatValue(input.target)}`,
    );
  }
  return `<g class="legend" fill="${CHART_COLORS.text}">${items.join('')}</g>`;
}

/**
 * [min, max] of the finite numbers, widened by `fraction` of the span plus `absPad` (by `minPad` when they are
 * all equal to 0; by 10% when they are all equal to another number).
 */
function padRange(
  nums: readonly (number | null)[],
  fraction: number,
  absPad: number,
  minPad: number,
): [number, number] {
  const finite = nums.filter((n): n is number => n !== null && Number.isFinite(n));
  if (finite.length === 0) return [0, 1];
  let lo = finite.reduce((m, n) => Math.min(m, n), Infinity);
  let hi = finite.reduce((m, n) => Math.max(m, n), -Infinity);
  if (hi === lo) {
    const pad = Math.max(absPad, Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : minPad);
    return [lo - pad, hi + pad];
  }
  const pad = (hi - lo) * fraction + absPad;
  lo -= pad;
  hi += pad;
  return [lo, hi];
}

/** Round numbers (1, 2 or 5 × 10^k apart) inside [min, max], about `count` of them. */
export function niceTicks(min: number, max: number, count: number): number[] {
  if (!(max > min) || !Number.isFinite(min) || !Number.isFinite(max)) return [min];
  const step = niceStep((max - min) / Math.max(1, count));
  const out: number[] = [];
  for (let i = Math.ceil(min / step); i * step <= max + step * 1e-9; i++) {
    out.push(Number((i * step).toPrecision(12)));
    if (out.length > 50) break;
  }
  return out;
}

function niceStep(raw: number): number {
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/** Ticks of a time axis at round intervals (seconds to days), UTC. */
function timeTicks(min: number, max: number, count: number): number[] {
  const steps = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 7 * 86_400].map(
    (s) => s * 1000,
  );
  const step = steps.find((s) => (max - min) / s <= count) ?? niceStep((max - min) / count);
  const out: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max && out.length <= 50; t += step) out.push(t);
  return out;
}

function formatTime(ms: number, span: number): string {
  const iso = new Date(ms).toISOString();
  if (span >= 2 * 86_400_000) return iso.slice(5, 10);
  if (span >= 86_400_000) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return span >= 120_000 ? iso.slice(11, 16) : iso.slice(11, 19);
}

/** The unit a tick axis is shown in: none, thousands (k) or millions (M). */
function scaleOf(maxAbs: number): { div: number; suffix: string } {
  if (maxAbs >= 1e6) return { div: 1e6, suffix: 'M' };
  if (maxAbs >= 1e4) return { div: 1e3, suffix: 'k' };
  return { div: 1, suffix: '' };
}

/** A tick label with as many decimals as the step between ticks needs: 0.25, 12.5k, 3M. */
export function formatTick(value: number, step: number, scale = scaleOf(Math.abs(value))): string {
  const scaledStep = step / scale.div;
  const decimals = Math.min(10, Math.max(0, -Math.floor(Math.log10(scaledStep) + 1e-9)));
  const n = value / scale.div;
  const s = n.toFixed(decimals);
  return `${Number(s) === 0 ? (0).toFixed(decimals) : s}${scale.suffix}`;
}

function r(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Text content escaped for SVG/HTML. */
function text(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
