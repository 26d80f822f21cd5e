/** Human-readable renderings of goal status for the terminal. */
import type { GoalListEntry } from './goals';
import { formatValue } from '../goal/values';
import type { GoalStatusView } from '../goal/status';
import { cacheLine } from '../goal/prompt-cache';
import { byText } from '../goal/actor';

/** A text progress bar: `[████████░░░░░░░░░░░░]  40%`. */
export function progressBar(fraction: number, width = 20): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${(f * 100).toFixed(0).padStart(3)}%`;
}

export interface FormatStatusOptions {
  /** Show this many of the latest events (oldest first) instead of only the last one. @default 0 */
  readonly events?: number;
}

/** " on host alpha", with the wait for a lost host or a move under way; empty for a goal without a host. */
function hostLine(h: GoalStatusView['host'] | undefined): string {
  if (!h?.name) return '';
  if (h.moving) return ` on host ${h.name}, MOVING to ${h.moving.host} (${h.moving.workspace})`;
  if (h.lostSince) return ` on host ${h.name}, WAITING FOR HOST since ${h.lostSince}`;
  return ` on host ${h.name}`;
}

export function formatStatus(s: GoalStatusView, opts: FormatStatusOptions = {}): string {
  const lines = [
    `${s.goalId}  ${s.status.toUpperCase()}  (phase ${s.phase}${s.paused ? `, PAUSED since ${s.pausedSince ?? '?'}` : ''}, goal version ${s.goalVersion})`,
    `progress ${progressBar(s.progress)}`,
    `objective: ${s.objective}`,
    `workspace: ${s.workspace}${s.startCommit ? ` @ ${s.startCommit.slice(0, 10)}` : ''}${hostLine(s.host)}`,
    `turn ${s.budget.turns.used}/${s.budget.turns.limit ?? '∞'} · tokens ${s.budget.tokens.used}${s.budget.tokens.limit ? `/${s.budget.tokens.limit}` : ''}${s.budget.cost.used > 0 || s.budget.cost.limit ? ` · $${s.budget.cost.used.toFixed(2)}${s.budget.cost.limit ? `/$${s.budget.cost.limit.toFixed(2)}` : ''}` : ''} · ${s.budget.hours.used.toFixed(2)} h${s.budget.hours.limit ? `/${s.budget.hours.limit} h` : ''}${s.model ? ` · ${s.model}` : ''}`,
  ];
  if (s.attention) lines.push(`NEEDS ATTENTION (${s.attention.at}): ${s.attention.text}`);
  if (s.sandbox === 'off') lines.push("UNSANDBOXED: sandbox: off — the agent's shell runs with the worker's rights");
  if (s.waitingUntil) lines.push(`waiting until ${s.waitingUntil.until}: ${s.waitingUntil.reason}`);
  for (const m of s.metrics) {
    lines.push(
      `  metric ${m.name}: baseline ${formatValue(m.baseline)} → latest ${formatValue(m.latest)} (best ${formatValue(m.best)}), target ${m.direction === 'lower' ? '≤' : '≥'} ${formatValue(m.target)}  ${m.verdict}${m.lastError ? `  (${m.lastError})` : ''}`,
    );
  }
  for (const c of s.checks) {
    const st = (v: boolean | null) => (v === null ? 'not run' : v ? 'pass' : 'FAIL');
    lines.push(`  check ${c.name}: baseline ${st(c.baseline)} → latest ${st(c.latest)}`);
  }
  for (const h of s.history) {
    lines.push(
      `  edit v${h.version} (turn ${h.turn}${byText(h.by)}): ${h.changes.join('; ')}${h.reason ? ` — ${h.reason}` : ''}`,
    );
  }
  for (const p of s.pendingEdits) lines.push(`  edit v${p.version}: accepted, applies at the next turn boundary`);
  for (const g of s.guidance)
    lines.push(
      `  guidance (turn ${g.turn}${byText(g.by)}): ${g.text.length > 100 ? `${g.text.slice(0, 97)}...` : g.text}`,
    );
  if (s.frontier) {
    lines.push(`  frontier (turn ${s.frontier.turn}): next: ${s.frontier.next}`);
    lines.push(`    remaining: ${s.frontier.remaining}`);
  }
  if (s.context.compactions > 0) {
    lines.push(`  context: turns 1–${s.context.summarisedThrough} summarised (${s.context.compactions} compactions)`);
  }
  const cache = s.promptCache;
  if (cache && cache.hitPercent !== null) lines.push(`  prompt cache: ${cacheLine(cache)}`);
  if (s.asks.count > 0) lines.push(`  side questions answered: ${s.asks.count} (${s.asks.tokens} tokens)`);
  if (s.milestones.count > 0) {
    const last = s.milestones.last ? `, last ${s.milestones.last.slice(0, 10)}` : '';
    lines.push(
      `  milestones: ${s.milestones.count} commit${s.milestones.count === 1 ? '' : 's'} on ${s.milestones.branch}${last}`,
    );
  }
  const pr = s.finalization.pullRequest;
  if (pr?.url) lines.push(`  pull request: #${pr.number}${pr.draft ? ' (draft)' : ''} ${pr.url}`);
  if (pr?.error) lines.push(`  pull request problem: ${pr.error}`);
  if (s.slack.off) lines.push(`  slack: off (${s.slack.off})`);
  else if (s.slack.channel) lines.push(`  slack: thread ${s.slack.channel}/${s.slack.parentTs ?? 'not posted yet'}`);
  const recent = opts.events ? s.events.slice(-opts.events) : [];
  if (recent.length > 0) {
    lines.push('recent events:');
    for (const e of recent)
      lines.push(`  ${e.at.slice(11, 19)} · ${e.text.length > 160 ? `${e.text.slice(0, 157)}...` : e.text}`);
  } else if (s.lastEvent) lines.push(`last event (${s.lastEvent.at}): ${s.lastEvent.text}`);
  if (s.reason) lines.push(`result: ${s.reason}`);
  return lines.join('\n');
}

export function formatList(goals: readonly GoalListEntry[]): string {
  if (goals.length === 0) return 'no goals yet: start one with `longhaul start`';
  const rows = goals.map((g) => [
    g.goalId,
    g.status,
    g.phase,
    String(g.turns),
    `${(g.progress * 100).toFixed(0)}%`,
    g.startedAt.slice(0, 19),
    g.objective.slice(0, 60),
  ]);
  const header = ['GOAL', 'STATUS', 'PHASE', 'TURNS', 'PROGRESS', 'STARTED', 'OBJECTIVE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
