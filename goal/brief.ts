/**
 * The goal brief: the goal, criteria and their state, re-injected into the agent's context every turn; in two parts
 * for a cache-friendly prompt, the goal (changed only by an edit) and the turn's state.
 */
import type { GoalRun } from './run';

export function renderBrief(run: GoalRun, now: number): string {
  return [...goalLines(run), ...guidanceLines(run), ...versionLines(run), ...stateLines(run, now)].join('\n');
}

/**
 * The brief's stable part: the objective, the criteria and the goal version, changed only by an edit. It opens the
 * prompt, so a provider's prompt cache keeps it from turn to turn (activities/agent/context.ts).
 */
export function renderGoal(run: GoalRun): string {
  return [...goalLines(run), ...versionLines(run)].join('\n');
}

/** The brief's per-turn part: the user's guidance, the criteria's state, the budget and the frontier. */
export function renderTurnState(run: GoalRun, now: number): string {
  return [...guidanceLines(run), ...stateLines(run, now)].join('\n');
}

function goalLines(run: GoalRun): string[] {
  const { spec } = run;
  const lines = [`Objective: ${spec.objective}`];
  if (spec.guidance) lines.push(`Guidance: ${spec.guidance}`);
  lines.push('Exit criteria (verified by the orchestrator):');
  for (const m of spec.metrics) {
    const target =
      'absolute' in m.target ? `${m.target.absolute}` : `${(m.target.relative * 100).toFixed(0)}% vs baseline`;
    lines.push(`- metric ${m.name}: \`${m.command}\` (${m.measure}), ${m.direction} is better, target ${target}`);
  }
  for (const c of spec.checks) lines.push(`- check "${c.name}": \`${c.command}\` must exit 0`);
  return lines;
}

function guidanceLines(run: GoalRun): string[] {
  const guidance = run.state.guidance.slice(-10);
  if (guidance.length === 0) return [];
  return [
    'Guidance from the user while the goal runs (oldest first; all still applies unless superseded):',
    ...guidance.map((g) => `- (turn ${g.turn}) ${g.text}`),
  ];
}

function versionLines(run: GoalRun): string[] {
  const last = run.state.history.at(-1);
  if (!last) return [];
  return [
    `Goal version ${run.state.goalVersion}: last updated by the user at turn ${last.turn}: ${last.changes.join('; ')}${last.reason ? ` (reason: ${last.reason})` : ''}`,
  ];
}

function stateLines(run: GoalRun, now: number): string[] {
  const v = run.view(now);
  const lines = [`Current state: ${run.describeCriteria() || 'not measured yet'}`];
  const budget = [`turn ${v.budget.turns.used} of ${v.budget.turns.limit ?? '∞'}`];
  if (v.budget.tokens.limit) budget.push(`${v.budget.tokens.used} of ${v.budget.tokens.limit} tokens`);
  if (v.budget.cost.limit) budget.push(`$${v.budget.cost.used.toFixed(2)} of $${v.budget.cost.limit.toFixed(2)}`);
  if (v.budget.hours.limit) budget.push(`${v.budget.hours.used.toFixed(1)} of ${v.budget.hours.limit} hours`);
  lines.push(`Budget: ${budget.join(', ')}`);
  const f = run.state.frontier;
  lines.push(
    f
      ? `Execution frontier (your record_progress at turn ${f.turn}; update it as you go):\n  Done: ${f.done}\n  Remaining: ${f.remaining}\n  Next: ${f.next}`
      : 'Execution frontier: not recorded yet. Call record_progress with what is done, what remains and your next step; it stays in front of you every turn.',
  );
  return lines;
}

/** What the side chat (`ask`) knows: the brief plus the goal's phase, spend, last event and edits. */
export function renderSnapshot(run: GoalRun, now: number): string {
  const v = run.view(now);
  return [
    renderBrief(run, now),
    `Phase: ${v.phase}${v.paused ? ' (paused)' : ''}; status: ${v.status}; turn ${v.turn}; tokens used ${v.budget.tokens.used}`,
    `Last event: ${v.lastEvent?.text ?? 'none'}`,
    v.history.length > 0
      ? `Edits: ${v.history.map((h) => `v${h.version} at turn ${h.turn}: ${h.changes.join('; ')}`).join(' | ')}`
      : '',
  ]
    .filter(Boolean)
    .join('\n');
}
