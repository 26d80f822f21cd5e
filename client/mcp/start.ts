/**
 * `start_goal`: the spec from text or a file, validated and checked exactly as `longhaul start` does (the same
 * errors), then started on this machine's host.
 */
import path from 'node:path';
import { hostNameProblem } from '../../goal/placement';
import { InvalidSpecError, type GoalSpec } from '../../goal/spec';
import { startGoal } from '../goals';
import { hostWorkerWarning } from '../placement';
import { preflightGoal } from '../preflight';
import { formatProtection, type ProtectionSummary } from '../protection';
import { finalizeSpec, readSpecFile, specFromText } from '../spec-input';
import type { McpContext } from './context';

export interface StartGoalRequest {
  /** The spec as YAML or JSON text; a relative workspace is resolved against the server's working directory. */
  readonly spec?: string | undefined;
  /** Or a spec file; a relative workspace is taken from the file's folder, as `longhaul start FILE` does. */
  readonly specFile?: string | undefined;
  readonly goalId?: string | undefined;
  /** @default LONGHAUL_HOST, else this machine's name */
  readonly host?: string | undefined;
  /** No host: any worker may run it. */
  readonly anyHost?: boolean | undefined;
}

export interface StartedGoal {
  readonly goalId: string;
  readonly workspace: string;
  readonly host: string | null;
  readonly protection: ProtectionSummary;
  /** E.g. no worker polls the goal's host right now. */
  readonly warnings: readonly string[];
  /** What a model reads: the id, what is protected, the warnings, how to check on it. */
  readonly text: string;
}

/** The validated spec from a request; throws InvalidSpecError with the same text `longhaul start` prints. */
export function specOfRequest(req: StartGoalRequest, cwd: string): GoalSpec {
  if ((req.spec === undefined) === (req.specFile === undefined)) {
    throw new InvalidSpecError([
      'give the goal spec either as YAML or JSON text in "spec" or as a file path in "specFile" (one of the two)',
    ]);
  }
  const raw =
    req.specFile !== undefined
      ? readSpecFile(path.resolve(cwd, req.specFile))
      : specFromText(req.spec!, { source: 'the spec', baseDir: cwd });
  return finalizeSpec(raw);
}

export async function startGoalFromRequest(ctx: McpContext, req: StartGoalRequest): Promise<StartedGoal> {
  const spec = specOfRequest(req, ctx.cwd);
  if (req.host !== undefined) {
    const problem = hostNameProblem(req.host);
    if (problem) throw new InvalidSpecError([`host: ${problem}`]);
  }
  const protection = await preflightGoal(spec);
  const host = req.anyHost ? null : (req.host ?? ctx.config.host);
  const client = await ctx.client();
  const warning = host ? await hostWorkerWarning(client, ctx.config.namespace, ctx.config.taskQueue, host) : null;
  const handle = await startGoal(client, spec, {
    taskQueue: ctx.config.taskQueue,
    ...(req.goalId ? { goalId: req.goalId } : {}),
    ...(host ? { host } : {}),
  });
  const goalId = handle.workflowId;
  const warnings = warning ? [warning] : [];
  const text = [
    `started goal ${goalId} in ${spec.workspace}${host ? ` (host ${host})` : ''}`,
    ...formatProtection(protection),
    ...warnings.map((w) => `warning: ${w}`),
    `It runs on its own, for minutes or days: check on it with goal_status (goalId "${goalId}"), now and then, ` +
      `and read its progress document, resource longhaul://goals/${goalId}/progress.`,
  ].join('\n');
  return { goalId, workspace: spec.workspace, host, protection, warnings, text };
}
