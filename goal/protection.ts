/**
 * Which files a goal protects, by the role of the command that names them: what a check or held-out check names
 * is a guard (protected); what a metric that reads a number names is its evaluator (protected); what a wall_time
 * metric runs is the workload being optimised (editable: the checks guard it). The texts that explain it to the
 * user and the agent, and when refusals become the user's business. Pure: the activities and the workflow share it.
 */
import type { GoalSpec, MetricSpec } from './spec';

/** Why a command's files are (or are not) protected. */
export type CommandRole = 'guard' | 'evaluator' | 'workload';

/** A command of the spec with the role of what it names, and who names it ("check still-builds"). */
export interface RoledCommand {
  readonly command: string;
  readonly role: CommandRole;
  /** Who names it, for the reasons shown: `check still-builds`, `metric build_seconds`. */
  readonly by: string;
}

/** Refused attempts on one protected path before the user is asked to look. */
export const REFUSALS_BEFORE_ATTENTION = 3;

/** Paths whose refusals are counted at once; the oldest is dropped beyond this. */
export const MAX_REFUSED_PATHS = 20;

/** A metric that times its command optimises it (the workload); one that reads a number is evaluated by it. */
export function metricRole(metric: Pick<MetricSpec, 'measure'>): CommandRole {
  return metric.measure === 'wall_time' ? 'workload' : 'evaluator';
}

/**
 * Every command whose files the automatic rules consider: metrics (by their role), checks and held-out checks
 * (guards). Checklist commands are left out: an item such as "the flag has a test" names the files the agent is
 * asked to write.
 */
export function roledCommands(spec: Pick<GoalSpec, 'metrics' | 'checks' | 'holdout'>): RoledCommand[] {
  return [
    ...spec.metrics.map((m) => ({ command: m.command, role: metricRole(m), by: `metric ${m.name}` })),
    ...spec.checks.map((c) => ({ command: c.command, role: 'guard' as const, by: `check ${c.name}` })),
    ...spec.holdout.map((c) => ({ command: c.command, role: 'guard' as const, by: `held-out check ${c.name}` })),
  ];
}

/** The reason a file named by `named` is protected, or (for the workload) why it is not. */
export function namedReason(named: Pick<RoledCommand, 'role' | 'by'>, via?: string): string {
  const through = via ? ` (through ${via})` : '';
  switch (named.role) {
    case 'guard':
      return `named by ${named.by}${through}`;
    case 'evaluator':
      return `named by ${named.by}${through}, which reads its number from it`;
    case 'workload':
      return `run by ${named.by}${through}: the workload being timed, editable (the checks guard it)`;
  }
}

/** The reason of a file that matches one of the spec's `protect` globs. */
export function protectGlobReason(glob: string): string {
  return `matches protect: ${glob}`;
}

/** The reason of a file the spec's `editable` exempts from the automatic rules. */
export function editableReason(glob: string, wouldBe: string): string {
  return `editable: ${glob} (else ${wouldBe})`;
}

/** Warnings `start` and `draft` show about protection: a timed workload that nothing guards. */
export function protectionWarnings(spec: Pick<GoalSpec, 'metrics' | 'checks'>): string[] {
  if (spec.checks.length > 0) return [];
  return spec.metrics
    .filter((m) => metricRole(m) === 'workload')
    .map(
      (m) =>
        `metric ${m.name} times \`${m.command}\`, which stays editable (it is the workload); with no check nothing ` +
        'proves it still does its job: add a check (--check "…") that runs it and verifies the result',
    );
}

/**
 * What the protectWorkspace activity is given for a spec: its globs, the commands with their roles, and (for
 * workers from before roles) the plain commands, whose files such a worker protects all.
 */
export function protectionInput(spec: Pick<GoalSpec, 'protect' | 'editable' | 'metrics' | 'checks' | 'holdout'>): {
  protect: string[];
  commands: string[];
  named: RoledCommand[];
  editable?: string[];
} {
  return {
    protect: [...spec.protect],
    commands: [...spec.metrics.map((m) => m.command), ...spec.checks.map((c) => c.command)],
    named: roledCommands(spec),
    ...(spec.editable ? { editable: [...spec.editable] } : {}),
  };
}

/** Whether an edit changed what the automatic rules exempt: the protection manifest must be taken again. */
export function protectionChanged(before: Pick<GoalSpec, 'editable'>, after: Pick<GoalSpec, 'editable'>): boolean {
  return JSON.stringify(before.editable ?? []) !== JSON.stringify(after.editable ?? []);
}

/** How the user lets the agent change `path`, given why it is protected. */
function allowHint(goalId: string, path: string, reason: string): string {
  if (reason.startsWith('matches protect: ')) {
    return `the spec's protect lists it, which \`--editable\` does not lift: guide the agent elsewhere, or start the goal again without that glob`;
  }
  return `allow it with \`longhaul edit ${goalId} --editable ${shellWord(path)}\``;
}

function shellWord(s: string): string {
  return /^[\w./@%+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The needs-attention text once the agent has been refused `path` REFUSALS_BEFORE_ATTENTION times. */
export function refusalAttentionText(goalId: string, path: string, reason: string, count: number): string {
  return (
    `the agent keeps trying to change ${path} (protected because ${reason}); ${allowHint(goalId, path, reason)} ` +
    `(refused ${count} times)`
  );
}

/** The note for the agent once the user has been asked about `path`. */
export function refusalAgentNote(path: string): string {
  return (
    `${path} stays protected: the user has been told you keep trying to change it, and may make it editable. ` +
    'Until the goal is updated, work on other files.'
  );
}
