/**
 * The final report of a goal (REPORT.md and report.html in the goal's store folder): the outcome against the
 * criteria, what was tried, the clean-up, remaining risks, cost and milestones. Rendering is pure and
 * deterministic (same view, ledger and reflection → same bytes), so committing it twice adds nothing.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { GoalStatusView } from '../../goal/status';
import { buildProgressDoc, withoutHoldoutNames, type ProgressDoc } from '../progress/doc';
import { html, metricCharts } from '../progress/render';
import type { GoalStore } from '../store';
import { writeAtomic } from './atomic';
import { reportContent, type AttemptNote, type CleanupOutcome, type Section, type Table } from './content';

export type { AttemptNote, CleanupOutcome } from './content';

export const REPORT_FILES = { markdown: 'REPORT.md', html: 'report.html' } as const;

export interface FinalReportInput {
  readonly goalId: string;
  /** The status snapshot at the end (what the status query returns once the goal has finished). */
  readonly view: GoalStatusView;
  /**
   * The agent's reflection: what was tried, what worked and what not, remaining risks (a section whose heading
   * names risks becomes the report's risks). Untrusted model text: shown as text, escaped. null: none written.
   */
  readonly reflection: string | null;
  /** How the clean-up went; null when there was none (e.g. a cancelled goal). */
  readonly cleanup: CleanupOutcome | null;
  /** What the agent tried, item by item (untrusted model text). @default [] */
  readonly attempts?: readonly AttemptNote[];
  /** Input and output tokens (the view has the total only); left out of the report when absent. */
  readonly tokens?: { readonly input: number; readonly output: number };
  /**
   * Name held-out checks "#1", "#2", ... instead of by name: for the copy committed to the goal branch, which
   * a later agent in the same repository could read. @default false
   */
  readonly hideHoldoutNames?: boolean;
}

export interface FinalReport {
  readonly markdown: string;
  readonly html: string;
}

export interface ReportPaths {
  readonly markdown: string;
  readonly html: string;
}

/** Where the final report of a goal lives in the store. */
export function reportPaths(store: GoalStore, goalId: string): ReportPaths {
  const dir = store.goalDir(goalId);
  return { markdown: path.join(dir, REPORT_FILES.markdown), html: path.join(dir, REPORT_FILES.html) };
}

/** Both renderings of the report for the input and the goal's ledger records (as GoalStore.readLedger returns them). */
export function renderFinalReport(
  input: FinalReportInput,
  ledger: readonly Record<string, unknown>[] = [],
): FinalReport {
  // The time of the end, not of rendering: a re-rendered report is byte for byte the same.
  const built = buildProgressDoc(input.view, ledger, input.view.endedAt ?? input.view.startedAt);
  const doc = input.hideHoldoutNames ? withoutHoldoutNames(built) : built;
  const content = reportContent({
    doc,
    reflection: input.reflection,
    cleanup: input.cleanup,
    attempts: input.attempts ?? [],
    tokens: input.tokens ?? null,
  });
  return {
    markdown: renderMarkdown(content.title, content.statusLine, content.sections),
    html: renderHtml(doc, content),
  };
}

/** Renders the report from the input and the goal's ledger and writes both files atomically; returns their paths. */
export async function writeFinalReport(store: GoalStore, input: FinalReportInput): Promise<ReportPaths> {
  const report = renderFinalReport(input, await store.readLedger(input.goalId));
  const paths = reportPaths(store, input.goalId);
  await fs.mkdir(path.dirname(paths.markdown), { recursive: true });
  await writeAtomic(paths.markdown, report.markdown);
  await writeAtomic(paths.html, report.html);
  return paths;
}

function renderMarkdown(title: string, status: string, sections: readonly Section[]): string {
  const out: string[] = [`# ${mdText(title)}`, '', `**${mdText(status)}**`, ''];
  for (const s of sections) {
    out.push(`## ${mdText(s.title)}`, '');
    if (s.quote !== undefined) out.push(...quoted(s.quote), '');
    // Model text stays inside a quote: its headings and code fences cannot break the report's structure.
    if (s.text) out.push(...quoted(s.text), '');
    for (const p of s.paragraphs ?? []) out.push(mdText(p), '');
    if (s.items?.length) out.push(...s.items.map((i) => `- ${mdText(i).replace(/\r?\n/g, ' ')}`), '');
    if (s.table && s.table.rows.length > 0) {
      out.push(mdRow(s.table.header), mdRow(s.table.header.map(() => '---')), ...s.table.rows.map(mdRow), '');
    }
    if (isEmpty(s) && s.empty) out.push(`_${mdText(s.empty)}_`, '');
  }
  if (sections.some((s) => s.charts)) out.push('_Charts of every metric: see report.html next to this file._', '');
  return `${out.join('\n').trimEnd()}\n`;
}

function renderHtml(
  doc: ProgressDoc,
  content: { title: string; statusLine: string; sections: readonly Section[] },
): string {
  const v = doc.view;
  const body: string[] = [
    `<h1>${html(content.title)}</h1>`,
    `<p class="status status-${html(v.status)}"><strong>${html(content.statusLine)}</strong></p>`,
  ];
  for (const s of content.sections) {
    body.push(`<h2>${html(s.title)}</h2>`);
    if (s.quote !== undefined) body.push(`<blockquote>${html(s.quote)}</blockquote>`);
    if (s.text) body.push(`<div class="model-text">${html(s.text)}</div>`);
    for (const p of s.paragraphs ?? []) body.push(`<p>${html(p)}</p>`);
    if (s.items?.length) body.push(`<ul>${s.items.map((x) => `<li>${html(x)}</li>`).join('')}</ul>`);
    if (s.table && s.table.rows.length > 0) body.push(htmlTable(s.table));
    if (isEmpty(s) && s.empty) body.push(`<p class="muted">${html(s.empty)}</p>`);
    if (s.charts) body.push(...metricCharts(doc));
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${html(`Longhaul report: ${v.goalId} (${v.status})`)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body.join('\n')}
</main>
</body>
</html>
`;
}

const CSS = `
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#212529;background:#f8f9fa}
main{max-width:960px;margin:0 auto;padding:12px 16px 48px;background:#fff}
h1{font-size:1.4em;margin:.6em 0 .3em;overflow-wrap:anywhere}h2{font-size:1.15em;margin:1.4em 0 .4em;border-bottom:1px solid #dee2e6}
.muted{color:#868e96}.status{margin:.2em 0}
.status-achieved strong{color:#2f9e44}.status-failed strong,.status-blocked strong,.status-stalled strong,.status-budget_exhausted strong{color:#c92a2a}
blockquote{margin:0;padding:.4em .8em;border-left:4px solid #4263eb;background:#f1f3f5;white-space:pre-wrap;overflow-wrap:anywhere}
.model-text{padding:.4em .8em;border-left:4px solid #adb5bd;background:#f8f9fa;white-space:pre-wrap;overflow-wrap:anywhere}
.table{overflow-x:auto}table{border-collapse:collapse;font-size:.9em;min-width:100%}
th,td{padding:4px 8px;border-bottom:1px solid #e9ecef;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f1f3f5}
figure{margin:1em 0}figcaption{font-size:.85em;color:#868e96}
svg.chart{display:block;height:auto}
@media (max-width:600px){body{font-size:14px}main{padding:8px 10px 32px}svg.chart text{font-size:24px}svg.chart .ticks text{font-size:20px}}
ul{padding-left:1.2em}
`.trim();

function isEmpty(s: Section): boolean {
  return !s.quote && !s.paragraphs?.length && !s.items?.length && !s.text && !s.table?.rows.length;
}

function htmlTable(t: Table): string {
  const head = `<tr>${t.header.map((h) => `<th>${html(h)}</th>`).join('')}</tr>`;
  const rows = t.rows.map((r) => `<tr>${r.map((c) => `<td>${html(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table"><table><thead>${head}</thead><tbody>\n${rows}\n</tbody></table></div>`;
}

function quoted(text: string): string[] {
  return text.split(/\r?\n/).map((l) => `> ${mdText(l)}`.trimEnd());
}

/** Text for Markdown: HTML-significant characters as entities, so no viewer runs markup from model or user text. */
function mdText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function mdRow(cells: readonly string[]): string {
  return `| ${cells.map((c) => mdText(c).replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>')).join(' | ')} |`;
}
