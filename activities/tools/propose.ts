/**
 * The `propose_goal` tool of a draft: the model's spec YAML is parsed and validated with the same schema as
 * `longhaul start` (the workspace is always the user's, whatever the YAML says), so a proposal that reaches the
 * orchestrator is one `start` accepts; otherwise the model gets the problems to fix.
 */
import YAML from 'yaml';
import { InvalidSpecError, parseGoalSpec, type GoalSpec } from '../../goal/spec';

export type ProposalCheck = { ok: true; spec: GoalSpec } | { ok: false; problems: string[] };

/** Parses and validates proposed spec YAML for `workspace`. */
export function checkProposal(specYaml: string, workspace: string): ProposalCheck {
  let data: unknown;
  try {
    data = YAML.parse(specYaml);
  } catch (err) {
    return { ok: false, problems: [`specYaml is not valid YAML: ${(err as Error).message}`] };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, problems: ['specYaml must be a YAML mapping with objective, metrics, checks, ...'] };
  }
  try {
    return { ok: true, spec: parseGoalSpec({ ...data, workspace }) };
  } catch (err) {
    if (err instanceof InvalidSpecError) return { ok: false, problems: [...err.problems] };
    throw err;
  }
}
