/**
 * The goal's pull request description: while the goal runs, a short progress summary (status, criteria, each
 * metric's measurements as a table — GitHub shows no inline SVG — and the last milestones); at the end, the final
 * report headed by the outcome. Held-out checks are unnamed (anyone who can read the repository reads it). Pure.
 */
import { formatValue } from '../../../goal/values';
import type { MetricMeasurement, ProgressDoc } from './doc';
import { criteriaSection, mdRow, mdText, statusLine, when } from './render';

/** GitHub refuses a description longer than 65,536 characters; this leaves room for the truncation note. */
export const MAX_BODY_CHARS = 60_000;
/** Measurements per metric shown in its table (the latest). */
const METRIC_ROWS = 10;
/** Milestones shown (the latest). */
const MILESTONE_ROWS = 5;

/** A milestone commit on the goal branch, as `git log` reports it. */
export interface MilestoneLine {
  readonly commit: string;
  readonly subject: string;
  /** Committer date (ISO 8601). */
  readonly at: string;
}

export interface ProgressBodyInput {
  /** The progress document, held-out checks already unnamed (withoutHoldoutNames). */
  readonly doc: ProgressDoc;
  /** The goal branch's milestones, oldest first. */
  readonly milestones: readonly MilestoneLine[];
}

/** The live summary: what the description says after each milestone while the goal runs. */
export function renderProgressBody(input: ProgressBodyInput): string {
  const v = input.doc.view;
  const out: string[] = [
    marker(v.goalId),
    `**${mdText(statusLine(v))}** · updated ${mdText(when(input.doc.generatedAt))}`,
    '',
    ...v.objective.split(/\r?\n/).map((l) => `> ${mdText(l)}`.trimEnd()),
    '',
    '### Criteria',
    '',
  ];
  const criteria = criteriaSection(v).table;
  if (criteria && criteria.rows.length > 0) {
    out.push(mdRow(criteria.header), mdRow(criteria.header.map(() => '---')), ...criteria.rows.map(mdRow), '');
  } else {
    out.push('_no criteria_', '');
  }
  for (const m of v.metrics) {
    const ms = input.doc.measurements.filter((x): x is MetricMeasurement => x.kind === 'metric' && x.name === m.name);
    if (ms.length === 0) continue;
    const shown = ms.slice(-METRIC_ROWS);
    const first = ms.length - shown.length + 1;
    out.push(`### ${mdText(m.name)}${ms.length > shown.length ? ` (last ${shown.length} of ${ms.length})` : ''}`, '');
    const header = ['#', 'When', 'Label', 'Median', 'Best so far', 'Verdict'];
    out.push(mdRow(header), mdRow(header.map(() => '---')));
    let best: number | null = null;
    for (const x of ms.slice(0, first - 1)) best = better(m.direction, best, x.value);
    shown.forEach((x, i) => {
      best = better(m.direction, best, x.value);
      const value = x.error !== undefined ? `n/a: ${x.error}` : formatValue(x.value);
      out.push(mdRow([String(first + i), when(x.at), x.label, value, formatValue(best), x.verdict]));
    });
    const target = m.target === null ? '' : `; target ${m.direction === 'lower' ? '≤' : '≥'} ${formatValue(m.target)}`;
    out.push('', `_baseline ${formatValue(m.baseline)}${target}_`, '');
  }
  out.push('### Last milestones', '');
  const milestones = input.milestones.slice(-MILESTONE_ROWS).reverse();
  if (milestones.length > 0) {
    out.push(mdRow(['Commit', 'When', 'Milestone']), mdRow(['---', '---', '---']));
    for (const c of milestones) out.push(mdRow([c.commit.slice(0, 10), when(c.at), c.subject]));
    out.push('');
  } else {
    out.push('_no milestone yet_', '');
  }
  out.push(footer(v.goalId, v.milestones.branch));
  return limit(out.join('\n'));
}

/** At the end: the outcome, then the final report (REPORT.md, as committed on the goal branch). */
export function renderFinalBody(goalId: string, status: string, reason: string | null, report: string): string {
  const why = reason ? `: ${mdText(reason)}` : '';
  const head =
    status === 'achieved'
      ? `> **Goal achieved**, verified by the orchestrator${why}. Ready for review.`
      : `> **The goal ended ${mdText(status)}**${why}. This pull request stays a draft.`;
  return limit([marker(goalId), head, '', report.trimEnd(), '', footer(goalId, null)].join('\n'));
}

function marker(goalId: string): string {
  return `<!-- longhaul goal ${mdText(goalId).replace(/--/g, '-‐')} -->`;
}

/** While running: where it comes from and that edits are overwritten; at the end (no branch): that it is final. */
function footer(goalId: string, branch: string | null): string {
  const goal = `goal \`${goalId.replace(/`/g, '')}\``;
  return branch
    ? `---\n_Opened by Longhaul for ${goal} from \`${branch.replace(/`/g, '')}\`; rewritten at each milestone (edits to this description are replaced)._\n`
    : `---\n_Written by Longhaul at the end of ${goal}; REPORT.md on the branch has the same report._\n`;
}

function better(direction: 'lower' | 'higher', best: number | null, value: number | null): number | null {
  if (value === null) return best;
  if (best === null) return value;
  return direction === 'lower' ? Math.min(best, value) : Math.max(best, value);
}

/** The body cut to what GitHub accepts, saying so. */
function limit(body: string): string {
  if (body.length <= MAX_BODY_CHARS) return body;
  return `${body.slice(0, MAX_BODY_CHARS)}\n\n_(cut to ${MAX_BODY_CHARS} characters: the full report is REPORT.md on the goal branch)_\n`;
}
