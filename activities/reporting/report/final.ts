/**
 * The final report of a goal (REPORT.md and report.html in the goal's host-local folder): the outcome against the
 * criteria, what was tried, the clean-up, remaining risks, cost and milestones. Rendering is pure and
 * deterministic (same view, ledger and reflection → same bytes), so committing it twice adds nothing.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { GoalStatusView } from '../../../goal/status';
import { buildProgressDoc, withoutHoldoutNames, type ProgressDoc } from '../progress/doc';
import { html, htmlPage, htmlTable } from '../html-page';
import { metricCharts } from '../progress/render';
import { reportPaths, type DocumentPaths } from '../../../common/goal-files';

export { REPORT_FILES, reportPaths } from '../../../common/goal-files';
import type { GoalStore } from '../../store/types';
import { writeAtomic } from './atomic';
import { reportContent, type AttemptNote, type CleanupOutcome, type Section } from './content';

export type { AttemptNote, CleanupOutcome } from './content';

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

/**
 * Renders the report from the input and the store's ledger and writes both files atomically into the goal's
 * folder under `home` (host-local, whichever the store); returns their paths.
 */
export async function writeFinalReport(
  store: GoalStore,
  home: string,
  input: FinalReportInput,
): Promise<DocumentPaths> {
  const report = renderFinalReport(input, await store.readLedger(input.goalId));
  const paths = reportPaths(home, input.goalId);
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
  return htmlPage(`Longhaul report: ${v.goalId} (${v.status})`, body);
}

function isEmpty(s: Section): boolean {
  return !s.quote && !s.paragraphs?.length && !s.items?.length && !s.text && !s.table?.rows.length;
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
