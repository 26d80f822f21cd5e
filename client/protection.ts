/**
 * What `start` and `draft` show about protection before a goal runs: each path the automatic rules consider, whether
 * it is protected and why, and the warnings (a timed workload that no check guards). Computed on this machine from
 * the workspace as it is now; the worker takes the real manifest at the baseline, by the same rules.
 */
import { protectionInput, protectionWarnings } from '../goal/protection';
import type { GoalSpec } from '../goal/spec';
import { protectionPlan, type ProtectionEntry } from '../activities/security/protected-paths';

export interface ProtectionSummary {
  /** Null when the workspace cannot be read from here (another host's path): the worker still decides. */
  readonly entries: readonly ProtectionEntry[] | null;
  readonly warnings: readonly string[];
}

export async function protectionSummary(spec: GoalSpec): Promise<ProtectionSummary> {
  const warnings = protectionWarnings(spec);
  try {
    const plan = await protectionPlan(protectionInput(spec), spec.workspace);
    return { entries: plan.entries, warnings };
  } catch {
    return { entries: null, warnings };
  }
}

/** One line per path ("protected  check.sh: named by check still-builds"), then the warnings. */
export function formatProtection(summary: ProtectionSummary): string[] {
  const lines: string[] = [];
  if (summary.entries === null)
    lines.push('protection: the workspace is not readable here; the worker decides at baseline');
  else if (summary.entries.length === 0)
    lines.push('protection: nothing is protected (no check, protect glob or evaluator names a file)');
  else
    for (const e of summary.entries) lines.push(`${e.protected ? 'protected' : 'editable '}  ${e.path}: ${e.reason}`);
  for (const w of summary.warnings) lines.push(`warning: ${w}`);
  return lines;
}
