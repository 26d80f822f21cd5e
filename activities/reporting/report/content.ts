/**
 * What the final report says, as sections both renderings share: the figures from the status view and the
 * ledger, the agent's reflection (untrusted model text, kept as text) and the clean-up's outcome. Pure.
 */
import { formatValue } from '../../../goal/values';
import type { GoalStatusView, MetricStatus } from '../../../goal/status';
import { cacheLine } from '../../../goal/prompt-cache';
import type { Measurement, ProgressDoc } from '../progress/doc';

/** How the clean-up at the end went (the agent removing leftovers of failed attempts, then a re-verification). */
export interface CleanupOutcome {
  /** Whether a clean-up ran at all. */
  readonly ran: boolean;
  /** Model turns the clean-up took. */
  readonly turns: number;
  /** Whether its changes were kept (false: undone, e.g. because a check failed afterwards). */
  readonly kept: boolean;
  /** Why it was undone or skipped, e.g. "reverted: check tests failed after clean-up". */
  readonly reason: string | null;
}

/** One thing the agent tried, as it reported it (untrusted model text). */
export interface AttemptNote {
  readonly what: string;
  /** true: it worked and stayed; false: it did not; null: unclear or partly. */
  readonly worked: boolean | null;
  readonly turn?: number;
}

/** A table of rows of plain text cells (escaped by the renderer). */
export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface Section {
  readonly title: string;
  /** The user's text quoted first (the objective). */
  readonly quote?: string;
  readonly paragraphs?: readonly string[];
  readonly items?: readonly string[];
  /** Free text of the model's (several lines, possibly Markdown), shown first, as text, never as markup. */
  readonly text?: string;
  readonly table?: Table;
  /** Shown when there is nothing else in the section. */
  readonly empty?: string;
  /** Where the HTML page puts the metric charts (after this section). */
  readonly charts?: boolean;
}

export interface ReportContent {
  readonly title: string;
  readonly statusLine: string;
  readonly sections: readonly Section[];
}

export interface ReportContentInput {
  readonly doc: ProgressDoc;
  readonly reflection: string | null;
  readonly cleanup: CleanupOutcome | null;
  readonly attempts: readonly AttemptNote[];
  /** Input and output tokens, when known (the view carries the total only). */
  readonly tokens: { readonly input: number; readonly output: number } | null;
}

/** The longest reflection shown; the rest is cut (the report stays small enough to commit and read). */
export const MAX_REFLECTION_CHARS = 20_000;
/** The most attempts listed. */
export const MAX_ATTEMPTS = 50;

export function reportContent(input: ReportContentInput): ReportContent {
  const v = input.doc.view;
  const common = {
    title: `Final report: goal ${v.goalId} (${statusWord(v)})`,
    statusLine: statusLine(v),
  };
  if (v.status === 'cancelled') {
    return {
      ...common,
      sections: [
        {
          title: 'Cancelled',
          quote: v.objective,
          paragraphs: [
            `Cancelled at turn ${v.turn}${v.reason ? ` (${v.reason})` : ''}; where it stood: ${whereItStood(v)}.`,
            ...frontierLines(v),
          ],
        },
        { ...outcomeSection(v), title: 'Where it stood' },
        ...(input.reflection === null ? [] : [triedSection(input, false)]),
        costSection(v, input.tokens),
        milestoneSection(v),
      ],
    };
  }
  return {
    ...common,
    sections: [
      criteriaSection(v),
      outcomeSection(v),
      measurementSection(input.doc),
      triedSection(input, true),
      cleanupSection(input.cleanup),
      risksSection(v, input.reflection, input.cleanup),
      costSection(v, input.tokens),
      milestoneSection(v),
    ],
  };
}

function statusWord(v: GoalStatusView): string {
  return v.status.toUpperCase().replace(/_/g, ' ');
}

function statusLine(v: GoalStatusView): string {
  return [
    statusWord(v),
    ...(v.reason ? [v.reason] : []),
    `turn ${v.turn}`,
    `goal version ${v.goalVersion}`,
    `started ${when(v.startedAt)}`,
    ...(v.endedAt ? [`ended ${when(v.endedAt)}`] : []),
  ].join(' · ');
}

function criteriaSection(v: GoalStatusView): Section {
  const items = [
    ...v.metrics.map(
      (m) =>
        `metric ${m.name}: ${m.direction} is better, target ${targetText(m)}${m.pairs ? ' (decided by paired runs against the baseline)' : ''}`,
    ),
    ...v.checks.map((c) => `check ${c.name} passes`),
    ...v.holdout.map((h) => `held-out check ${h.name} passes (never shown to the agent)`),
    ...v.checklist.map((c) => `checklist: ${c.item}`),
  ];
  const edits = v.history.map(
    (h) =>
      `version ${h.version} (turn ${h.turn}, ${when(h.at)}): ${h.changes.join('; ')}${h.reason ? ` (reason: ${h.reason})` : ''}`,
  );
  const unapplied = v.pendingEdits.map((p) => `version ${p.version} (${when(p.at)}): accepted but never applied`);
  return {
    title: 'Objective and criteria',
    quote: v.objective,
    paragraphs: [
      `As they stood at the end (goal version ${v.goalVersion}${v.history.length > 0 ? `, after ${v.history.length} edit(s)` : ', never edited'}); workspace ${v.workspace}${v.startCommit ? ` from commit ${v.startCommit.slice(0, 12)}` : ''}.`,
    ],
    items: [...items, ...edits.map((e) => `edit to ${e}`), ...unapplied.map((e) => `edit ${e}`)],
    empty: 'no criteria',
  };
}

function outcomeSection(v: GoalStatusView): Section {
  const pass = (b: boolean | null) => (b === null ? 'not run' : b ? 'pass' : 'FAIL');
  const items = [
    ...v.metrics.map(metricLine),
    ...v.checks.map((c) => `check ${c.name}: baseline ${pass(c.baseline)} → final ${pass(c.latest)}`),
    ...v.holdout.map((h) => `held-out check ${h.name}: final ${pass(h.latest)}`),
    ...v.checklist.map(
      (c) =>
        `checklist "${c.item}": ${c.verified === null ? 'not verified' : c.verified ? 'verified' : 'NOT verified'}${c.by ? ` by ${c.by}${c.reason ? `: ${c.reason}` : ''}` : ''}`,
    ),
  ];
  if (v.integrity.violations > 0) items.push(integrityLine(v));
  return {
    title: 'Outcome and final verdicts',
    paragraphs: [`${statusWord(v)}${v.reason ? `: ${v.reason}` : ''}`],
    items,
    charts: true,
  };
}

/** "build_seconds: baseline 11 → final 8 (best 7.5; −27.3%), target ≤ 7.7: MET (9/10 pairs past target)". */
export function metricLine(m: MetricStatus): string {
  const change =
    m.baseline !== null && m.latest !== null && m.baseline !== 0
      ? `; ${signedPercent(m.latest / m.baseline - 1)} from baseline`
      : '';
  const pairs = m.pairs ? ` (${m.pairs.passes}/${m.pairs.n} pairs past target)` : '';
  return `metric ${m.name}: baseline ${formatValue(m.baseline)} → final ${formatValue(m.latest)} (best ${formatValue(m.best)}${change}), target ${targetText(m)}: ${m.verdict}${pairs}${m.lastError ? ` (last error: ${m.lastError})` : ''}`;
}

function targetText(m: MetricStatus): string {
  return m.target === null ? 'n/a' : `${m.direction === 'lower' ? '≤' : '≥'} ${formatValue(m.target)}`;
}

function integrityLine(v: GoalStatusView): string {
  const last = v.integrity.last ? `; last at turn ${v.integrity.last.turn}: ${v.integrity.last.paths.join(', ')}` : '';
  return `${v.integrity.violations} attempt(s) to change the ${v.integrity.protectedFiles} protected file(s), each undone${last}`;
}

function measurementSection(doc: ProgressDoc): Section {
  const ms = doc.measurements;
  const metrics = ms.filter((m) => m.kind === 'metric').length;
  const first = ms[0];
  const last = ms[ms.length - 1];
  return {
    title: 'Measurements',
    paragraphs:
      ms.length === 0
        ? []
        : [
            `${ms.length} measurement(s) in the ledger: ${metrics} of metrics, ${ms.length - metrics} check run(s).`,
            ...(first ? [`first: ${describeMeasurement(first)}`] : []),
            ...(last && last !== first ? [`last: ${describeMeasurement(last)}`] : []),
            ...(doc.skippedRecords > 0 ? [`${doc.skippedRecords} ledger record(s) of another kind not counted`] : []),
          ],
    empty: 'nothing was measured',
  };
}

function describeMeasurement(m: Measurement): string {
  const what =
    m.kind === 'metric'
      ? `${m.name} = ${m.error !== undefined ? `n/a (${m.error})` : formatValue(m.value)}${m.paired ? ` over ${m.paired.pairs.length} pairs` : ` over ${m.samples.length} sample(s)`}`
      : `${m.holdout ? 'held-out check' : 'check'} ${m.name} ${m.passed ? 'passed' : 'failed'}`;
  return `${m.label}${m.at ? `, ${when(m.at)}` : ''}: ${what}`;
}

/** The reflection (without its risks section when the report has a risks section of its own) and the attempts. */
function triedSection(input: ReportContentInput, withoutRisks: boolean): Section {
  const reflection = input.reflection === null ? null : capped(input.reflection);
  const text = reflection === null ? null : withoutRisks ? splitRisks(reflection).rest : reflection.trim();
  const attempts = input.attempts.slice(0, MAX_ATTEMPTS);
  return {
    title: 'What was tried, what worked',
    ...(text ? { text } : {}),
    ...(attempts.length > 0
      ? {
          table: {
            header: ['Turn', 'Attempt', 'Worked'],
            rows: attempts.map((a) => [
              a.turn === undefined ? '' : String(a.turn),
              a.what,
              a.worked === null ? 'partly or unclear' : a.worked ? 'yes' : 'no',
            ]),
          },
        }
      : {}),
    ...(input.attempts.length > MAX_ATTEMPTS
      ? { paragraphs: [`${input.attempts.length - MAX_ATTEMPTS} more attempt(s) not listed`] }
      : {}),
    empty: input.reflection === null ? 'no reflection: the agent wrote none' : 'the reflection is empty',
  };
}

function cleanupSection(c: CleanupOutcome | null): Section {
  if (c === null) return { title: 'Clean-up', empty: 'no clean-up ran' };
  if (!c.ran) return { title: 'Clean-up', paragraphs: [`not run${c.reason ? `: ${c.reason}` : ''}`] };
  return {
    title: 'Clean-up',
    paragraphs: [
      `ran for ${c.turns} turn(s); ${c.kept ? 'its changes were kept (the criteria were verified again afterwards)' : 'its changes were reverted'}${c.reason ? `: ${c.reason.replace(/^reverted:\s*/i, '')}` : ''}`,
    ],
  };
}

function risksSection(v: GoalStatusView, reflection: string | null, cleanup: CleanupOutcome | null): Section {
  const fromAgent = reflection === null ? null : splitRisks(capped(reflection)).risks;
  const onRecord = derivedRisks(v, cleanup);
  return {
    title: 'Remaining risks',
    ...(fromAgent ? { text: fromAgent } : {}),
    ...(onRecord.length > 0
      ? { paragraphs: [fromAgent ? 'Also on record:' : 'On record:'], items: onRecord }
      : fromAgent
        ? {}
        : { empty: 'none on record, and the reflection names none' }),
  };
}

/** What the record says may still be wrong: unmet criteria, warnings, integrity violations, an undone clean-up. */
export function derivedRisks(v: GoalStatusView, cleanup: CleanupOutcome | null): string[] {
  const risks: string[] = [];
  for (const m of v.metrics) if (m.verdict !== 'MET') risks.push(`${metricLine(m)}`);
  for (const c of v.checks) {
    if (c.latest !== true) risks.push(`check ${c.name} ${c.latest === null ? 'was not run at the end' : 'fails'}`);
  }
  for (const h of v.holdout) {
    if (h.latest !== true) risks.push(`held-out check ${h.name} ${h.latest === null ? 'was not run' : 'fails'}`);
  }
  for (const c of v.checklist) {
    if (c.verified !== true) {
      risks.push(`checklist "${c.item}" ${c.verified === null ? 'was not verified' : 'is NOT verified'}`);
    }
  }
  for (const w of v.warnings) risks.push(`warning: ${w}`);
  if (v.integrity.violations > 0) risks.push(integrityLine(v));
  if (v.attention) risks.push(`needs attention: ${v.attention.text}`);
  for (const p of v.pendingEdits) risks.push(`edit version ${p.version} was accepted but never applied`);
  if (cleanup?.ran && !cleanup.kept) {
    risks.push(
      `the clean-up was reverted${cleanup.reason ? ` (${cleanup.reason})` : ''}: leftovers of failed attempts may remain`,
    );
  }
  return risks;
}

function costSection(v: GoalStatusView, tokens: ReportContentInput['tokens']): Section {
  const b = v.budget;
  const of = (used: string, limit: string | null) => (limit === null ? `${used} (no limit)` : `${used} of ${limit}`);
  const split = tokens ? ` (in ${tokens.input}, out ${tokens.output})` : '';
  return {
    title: 'Cost',
    items: [
      `turns: ${of(String(b.turns.used), b.turns.limit === null ? null : String(b.turns.limit))}`,
      `tokens: ${of(`${b.tokens.used} total${split}`, b.tokens.limit === null ? null : String(b.tokens.limit))}`,
      `cost: ${of(usd(b.cost.used), b.cost.limit === null ? null : usd(b.cost.limit))}`,
      ...(v.promptCache && v.promptCache.hitPercent !== null ? [`prompt cache: ${cacheLine(v.promptCache)}`] : []),
      `hours: ${of(b.hours.used.toFixed(2), b.hours.limit === null ? null : String(b.hours.limit))}`,
      `side questions: ${v.asks.count} (${v.asks.tokens} tokens, not counted toward the budget)`,
      `model: ${v.model ?? 'the worker default'}; context compactions: ${v.context.compactions}`,
    ],
  };
}

function milestoneSection(v: GoalStatusView): Section {
  const m = v.milestones;
  return {
    title: 'Milestones',
    items: [
      `branch ${m.branch}: ${m.count} milestone commit(s)${m.last ? `, the last ${m.last}` : ''}`,
      ...(m.count > 0 && v.startCommit ? [`see them with: git log ${v.startCommit.slice(0, 12)}..${m.branch}`] : []),
    ],
  };
}

function whereItStood(v: GoalStatusView): string {
  const pass = (b: boolean | null) => (b === null ? 'not run' : b ? 'passes' : 'FAILS');
  const parts = [
    ...v.metrics.map(
      (m) =>
        `${m.name} ${formatValue(m.latest)} (baseline ${formatValue(m.baseline)}, best ${formatValue(m.best)}, target ${targetText(m)}, ${m.verdict})`,
    ),
    ...v.checks.map((c) => `check ${c.name} ${pass(c.latest)}`),
  ];
  parts.push(`progress ${Math.round(Math.min(1, Math.max(0, v.progress)) * 100)}%`);
  return parts.join('; ');
}

function frontierLines(v: GoalStatusView): string[] {
  const f = v.frontier;
  if (!f) return [];
  return [`The agent's last account (turn ${f.turn}): done: ${f.done}; remaining: ${f.remaining}; next: ${f.next}`];
}

/**
 * The reflection split into its risks section (a heading naming risks, up to the next heading) and the rest.
 * Headings: Markdown `#` lines, or short lines that are bold or end with a colon.
 */
export function splitRisks(reflection: string): { rest: string; risks: string | null } {
  const lines = reflection.replace(/\r\n?/g, '\n').split('\n');
  const heading = (l: string): string | null => {
    const md = /^\s{0,3}#{1,6}\s+(.*?)[\s#]*$/.exec(l);
    if (md) return md[1] ?? '';
    const short = /^\s*(?:\*\*|__)(.{1,60}?)(?:\*\*|__):?\s*$/.exec(l) ?? /^\s*([A-Za-z][^:]{0,60}):\s*$/.exec(l);
    return short ? (short[1] ?? '') : null;
  };
  const start = lines.findIndex((l) => /\brisks?\b/i.test(heading(l) ?? ''));
  if (start < 0) return { rest: reflection.trim(), risks: null };
  let end = start + 1;
  while (end < lines.length && heading(lines[end]!) === null) end++;
  const risks = lines
    .slice(start + 1, end)
    .join('\n')
    .trim();
  const rest = [...lines.slice(0, start), ...lines.slice(end)].join('\n').trim();
  return { rest, risks: risks === '' ? null : risks };
}

function capped(text: string): string {
  return text.length <= MAX_REFLECTION_CHARS
    ? text
    : `${text.slice(0, MAX_REFLECTION_CHARS)}\n[…cut at ${MAX_REFLECTION_CHARS} characters]`;
}

/** US dollars: cents, or four decimals below a cent. */
export function usd(x: number): string {
  return `$${x.toFixed(x !== 0 && Math.abs(x) < 0.01 ? 4 : 2)}`;
}

function signedPercent(f: number): string {
  const p = f * 100;
  return `${p > 0 ? '+' : p < 0 ? '−' : '±'}${Math.abs(p).toFixed(1)}%`;
}

/** An ISO time as "2025-01-02 03:04:05Z" (or as given when it is no ISO time). */
export function when(iso: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z` : iso;
}
