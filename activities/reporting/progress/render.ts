/**
 * The progress document as Markdown and as a self-contained HTML page (inline CSS and SVG charts, no
 * script, nothing fetched). Every piece of user or command text is escaped. Pure.
 */
import { formatValue } from '../../../goal/values';
import type { GoalStatusView } from '../../../goal/status';
import { cacheLine } from '../../../goal/prompt-cache';
import { html, htmlPage, htmlTable, type Table } from '../html-page';
import { renderMetricChart } from './chart';
import type { CheckMeasurement, Measurement, MetricMeasurement, ProgressDoc } from './doc';

/** The document's sections, in order, shared by both renderings. */
export interface Section {
  readonly title: string;
  readonly paragraphs?: readonly string[];
  readonly items?: readonly string[];
  readonly table?: Table;
  /** Shown when there is nothing else in the section. */
  readonly empty?: string;
}

export function renderProgressMarkdown(doc: ProgressDoc): string {
  const v = doc.view;
  const out: string[] = [
    `# Progress of goal ${mdText(v.goalId)}`,
    '',
    `**${statusLine(v)}** · updated ${mdText(doc.generatedAt)}`,
    '',
    '## Objective',
    '',
    ...v.objective.split(/\r?\n/).map((l) => `> ${mdText(l)}`.trimEnd()),
    '',
  ];
  for (const s of sections(doc)) {
    out.push(`## ${mdText(s.title)}`, '');
    for (const p of s.paragraphs ?? []) out.push(mdText(p), '');
    if (s.items?.length) out.push(...s.items.map((i) => `- ${mdText(i).replace(/\r?\n/g, ' ')}`), '');
    if (s.table && s.table.rows.length > 0) {
      out.push(mdRow(s.table.header), mdRow(s.table.header.map(() => '---')), ...s.table.rows.map(mdRow), '');
    }
    if (!s.paragraphs?.length && !s.items?.length && !s.table?.rows.length && s.empty) out.push(`_${s.empty}_`, '');
  }
  if (v.metrics.length > 0) out.push('_Charts of every metric: see progress.html next to this file._', '');
  return `${out.join('\n').trimEnd()}\n`;
}

export function renderProgressHtml(doc: ProgressDoc): string {
  const v = doc.view;
  const body: string[] = [
    `<h1>Progress of goal ${html(v.goalId)}</h1>`,
    `<p class="status status-${html(v.status)}"><strong>${html(statusLine(v))}</strong><br><span class="muted">updated ${html(doc.generatedAt)}</span></p>`,
    '<h2>Objective</h2>',
    `<blockquote class="objective">${html(v.objective)}</blockquote>`,
  ];
  const charts = metricCharts(doc);
  for (const [i, s] of sections(doc).entries()) {
    body.push(`<h2>${html(s.title)}</h2>`);
    for (const p of s.paragraphs ?? []) body.push(`<p>${html(p)}</p>`);
    if (s.items?.length) body.push(`<ul>${s.items.map((x) => `<li>${html(x)}</li>`).join('')}</ul>`);
    if (s.table && s.table.rows.length > 0) body.push(htmlTable(s.table));
    if (!s.paragraphs?.length && !s.items?.length && !s.table?.rows.length && s.empty) {
      body.push(`<p class="muted">${html(s.empty)}</p>`);
    }
    if (i === 0 && charts.length > 0) body.push('<h2>Charts</h2>', ...charts);
  }
  return htmlPage(`Longhaul: ${v.goalId} (${v.status})`, body, v.status === 'running');
}

export function statusLine(v: GoalStatusView): string {
  const bits = [
    v.status.toUpperCase(),
    `phase ${v.phase}`,
    `turn ${v.turn}`,
    `progress ${Math.round(Math.min(1, Math.max(0, v.progress)) * 100)}%`,
  ];
  if (v.paused) bits.push(`paused since ${v.pausedSince ?? '?'}`);
  return bits.join(' · ');
}

function sections(doc: ProgressDoc): Section[] {
  const v = doc.view;
  return [
    criteriaSection(v),
    {
      title: 'Result',
      paragraphs: [...(v.reason ? [`${v.status}: ${v.reason}`] : []), ...(v.endedAt ? [`ended ${v.endedAt}`] : [])],
      items: v.warnings.map((w) => `warning: ${w}`),
      empty: 'still running',
    },
    measurementsSection(doc.measurements, doc.skippedRecords),
    {
      title: 'Edits',
      table: {
        header: ['Version', 'When', 'Turn', 'Changes', 'Reason'],
        rows: [
          ...v.history.map((h) => [`v${h.version}`, when(h.at), String(h.turn), h.changes.join('; '), h.reason ?? '']),
          ...v.pendingEdits.map((p) => [`v${p.version}`, when(p.at), '', 'accepted; applies at the next turn', '']),
        ],
      },
      empty: 'the goal has not been edited',
    },
    {
      title: 'Guidance',
      table: {
        header: ['When', 'Turn', 'Guidance'],
        rows: v.guidance.map((g) => [when(g.at), String(g.turn), g.text]),
      },
      empty: 'no guidance sent',
    },
    {
      title: 'Notable events',
      table: { header: ['#', 'When', 'Event'], rows: v.events.map((e) => [String(e.seq), when(e.at), e.text]) },
      empty: 'no events yet',
    },
    budgetSection(v),
  ];
}

export function criteriaSection(v: GoalStatusView): Section {
  const rows: string[][] = [];
  for (const m of v.metrics) {
    const target = m.target === null ? 'n/a' : `${m.direction === 'lower' ? '≤' : '≥'} ${formatValue(m.target)}`;
    const pairs = m.pairs ? ` (${m.pairs.passes}/${m.pairs.n} pairs past target)` : '';
    rows.push([
      `metric ${m.name}`,
      formatValue(m.baseline),
      formatValue(m.latest),
      formatValue(m.best),
      target,
      `${m.verdict}${pairs}${m.lastError ? `: ${m.lastError}` : ''}`,
    ]);
  }
  const pass = (b: boolean | null) => (b === null ? 'not run' : b ? 'pass' : 'FAIL');
  for (const c of v.checks) rows.push([`check ${c.name}`, pass(c.baseline), pass(c.latest), '', 'passes', '']);
  for (const h of v.holdout) rows.push([`held-out check ${h.name}`, '', pass(h.latest), '', 'passes', '']);
  for (const c of v.checklist) {
    const state = c.verified === null ? 'not verified yet' : c.verified ? 'verified' : 'NOT verified';
    rows.push([
      `checklist: ${c.item}`,
      '',
      state,
      '',
      'verified',
      c.by ? `by ${c.by}${c.reason ? `: ${c.reason}` : ''}` : '',
    ]);
  }
  const integrity =
    v.integrity.violations > 0
      ? [
          `${v.integrity.violations} attempt(s) to change the ${v.integrity.protectedFiles} protected file(s), each undone${v.integrity.last ? `; last at turn ${v.integrity.last.turn}: ${v.integrity.last.paths.join(', ')}` : ''}`,
        ]
      : [];
  return {
    title: 'Criteria and current verdicts',
    paragraphs: [`workspace ${v.workspace}${v.startCommit ? ` at ${v.startCommit.slice(0, 12)}` : ''}`, ...integrity],
    table: { header: ['Criterion', 'Baseline', 'Latest', 'Best', 'Target', 'Verdict'], rows },
    empty: 'no criteria',
  };
}

function measurementsSection(ms: readonly Measurement[], skipped: number): Section {
  const rows = ms.map((m, i) => [
    String(i + 1),
    when(m.at),
    m.label,
    ...(m.kind === 'metric' ? metricCells(m) : checkCells(m)),
  ]);
  return {
    title: `Measurements (${ms.length})`,
    paragraphs: skipped > 0 ? [`${skipped} ledger record(s) of another kind not shown`] : [],
    table: { header: ['#', 'When', 'Label', 'Metric or check', 'Value', 'Samples', 'Verdict'], rows },
    empty: 'nothing measured yet',
  };
}

function metricCells(m: MetricMeasurement): string[] {
  const value = m.error !== undefined ? `n/a: ${m.error}` : formatValue(m.value);
  if (!m.paired) return [m.name, value, String(m.samples.length), m.verdict];
  const { pairs, baselineMedian, passes } = m.paired;
  const change =
    m.value !== null && baselineMedian !== null && baselineMedian !== 0
      ? ` vs baseline ${formatValue(baselineMedian)} (${signedPercent(m.value / baselineMedian - 1)})`
      : '';
  const verdict = passes === null ? m.verdict : `${m.verdict} (${passes}/${pairs.length} pairs past target)`;
  return [m.name, `${value}${change}`, `${pairs.length} pairs`, verdict];
}

function checkCells(m: CheckMeasurement): string[] {
  const outcome = m.timedOut ? 'timed out' : m.passed ? 'pass' : `fail (exit ${m.exitCode ?? 'by a signal'})`;
  return [`${m.holdout ? 'held-out check' : 'check'} ${m.name}`, outcome, '1', m.passed ? 'pass' : 'FAIL'];
}

function budgetSection(v: GoalStatusView): Section {
  const of = (used: string, limit: number | null, unit = '') =>
    limit === null ? `${used}${unit} (no limit)` : `${used}${unit} of ${limit}${unit}`;
  return {
    title: 'Budget used',
    items: [
      `turns: ${of(String(v.budget.turns.used), v.budget.turns.limit)}`,
      `tokens: ${of(String(v.budget.tokens.used), v.budget.tokens.limit)}`,
      ...(v.promptCache && v.promptCache.hitPercent !== null ? [`prompt cache: ${cacheLine(v.promptCache)}`] : []),
      `hours: ${of(v.budget.hours.used.toFixed(2), v.budget.hours.limit, ' h')}`,
      `side questions: ${v.asks.count} (${v.asks.tokens} tokens, not counted)`,
      `started ${v.startedAt}${v.endedAt ? `, ended ${v.endedAt}` : ''}`,
    ],
  };
}

function signedPercent(f: number): string {
  const p = f * 100;
  return `${p > 0 ? '+' : p < 0 ? '−' : '±'}${Math.abs(p).toFixed(1)}%`;
}

/** An ISO time as "2025-01-02 03:04:05Z" (or as given when it is no ISO time). */
export function when(iso: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z` : iso;
}

/** One chart per metric (as HTML figures): every sample, the best median so far, the baseline and the target. */
export function metricCharts(doc: ProgressDoc): string[] {
  return doc.view.metrics.map((m) => {
    const ms = doc.measurements.filter((x): x is MetricMeasurement => x.kind === 'metric' && x.name === m.name);
    const svg = renderMetricChart({
      title: m.name,
      direction: m.direction,
      samples: ms.flatMap((x, i) => x.samples.map((y) => ({ x: i + 1, y }))),
      values: ms.map((x, i) => ({ x: i + 1, y: x.value })),
      baseline: m.baseline,
      target: m.target,
    });
    return `<figure class="chart">${svg}<figcaption>${html(m.name)}: each dot a sample, the line the best median so far, dashed the baseline and the target.</figcaption></figure>`;
  });
}

/** Text for Markdown: HTML-significant characters as entities, so no viewer runs markup from user text. */
export function mdText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function mdRow(cells: readonly string[]): string {
  return `| ${cells.map((c) => mdText(c).replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>')).join(' | ')} |`;
}
