/**
 * What `start` checks on this machine before a goal starts, shared by the CLI and `longhaul mcp`: the agent's shell
 * sandbox can run here (unless the spec says `sandbox: off`), and which paths will be protected and why.
 */
import { probeSandbox, SandboxUnavailableError } from '../activities/security/sandbox';
import { isUnsandboxed } from '../goal/sandbox';
import type { GoalSpec } from '../goal/spec';
import { protectionSummary, type ProtectionSummary } from './protection';

/** Throws SandboxUnavailableError (with the fix) when the spec needs a sandbox this machine cannot make. */
export async function preflightGoal(spec: GoalSpec): Promise<ProtectionSummary> {
  if (!isUnsandboxed(spec)) {
    const probe = probeSandbox();
    if (!probe.ok) throw new SandboxUnavailableError(probe.problem ?? 'unknown');
  }
  return protectionSummary(spec);
}
