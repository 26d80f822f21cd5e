/** The goal's current details for the Temporal UI: a Markdown status table (phase, criteria, budget, last event). */
import type { GoalRun } from './run';
import { formatValue } from './values';

export function renderDetails(run: GoalRun, now: number): string {
  const v = run.view(now);
  const cell = (t: string) => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = [
    ...v.metrics.map(
      (m) =>
        `| ${cell(m.name)} ${m.direction === 'lower' ? '↓' : '↑'} | ${formatValue(m.baseline)} | ${formatValue(m.best)} | ${formatValue(m.latest)} | ${m.direction === 'lower' ? '≤' : '≥'} ${formatValue(m.target)} | ${m.verdict} |`,
    ),
    ...v.checks.map(
      (c) =>
        `| check ${cell(c.name)} | ${c.baseline === null ? '—' : c.baseline ? 'pass' : 'FAIL'} | | ${c.latest === null ? '—' : c.latest ? 'pass' : 'FAIL'} | exit 0 | ${c.latest ? 'MET' : 'NOT_MET'} |`,
    ),
  ];
  const b = v.budget;
  const budget = [
    `turn ${b.turns.used}/${b.turns.limit ?? '∞'}`,
    `${b.tokens.used}${b.tokens.limit ? `/${b.tokens.limit}` : ''} tokens`,
    ...(b.cost.used > 0 || b.cost.limit
      ? [`$${b.cost.used.toFixed(2)}${b.cost.limit ? `/$${b.cost.limit}` : ''}`]
      : []),
    `${b.hours.used.toFixed(1)}${b.hours.limit ? `/${b.hours.limit}` : ''} h`,
  ].join(' · ');
  return [
    `**${v.status === 'running' ? v.phase : v.status}**${v.paused ? ' (paused)' : ''} · ${Math.round(v.progress * 100)}% · ${budget}`,
    ...(v.attention ? [`⚠ needs attention: ${cell(v.attention.text)}`] : []),
    ...(v.paused ? [`Paused since ${v.pausedSince ?? '?'}: resume with \`longhaul resume ${v.goalId}\``] : []),
    ...(v.waitingUntil ? [`Waiting until ${v.waitingUntil.until}: ${cell(v.waitingUntil.reason)}`] : []),
    ...(v.reason ? [`Result: ${cell(v.reason)}`] : []),
    ...(rows.length > 0
      ? [
          '',
          '| criterion | baseline | best | latest | target | verdict |',
          '| --- | --- | --- | --- | --- | --- |',
          ...rows,
        ]
      : []),
    ...(v.frontier ? ['', `**Next:** ${cell(v.frontier.next)}`] : []),
    ...(v.lastEvent ? ['', `_${cell(v.lastEvent.text).slice(0, 300)}_`] : []),
  ].join('\n');
}
