/**
 * The goal page's controls — pause, resume, cancel, guide, ask, edit — as the CLI runs them: the same client
 * functions (client/steer.ts, client/goals.ts), the same edit parsing and validation (client/spec-input.ts), so a
 * refusal reads as it does in the terminal. Each answers { ok, message, … } or an error with an HTTP status.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { InvalidEditError } from '../../goal/edit';
import { InvalidSpecError } from '../../goal/spec';
import { cancelGoal } from '../goals';
import { editFromFlags, type EditFlags } from '../spec-input';
import { askGoal, editGoal, GoalEndedError, guideGoal, pauseGoal, RejectedError, resumeGoal } from '../steer';

export const CONTROLS = ['pause', 'resume', 'cancel', 'guide', 'ask', 'edit'] as const;
export type Control = (typeof CONTROLS)[number];

export interface ControlReply {
  readonly status: 200 | 400 | 404 | 409 | 500;
  readonly body: { readonly ok: boolean; readonly message: string; readonly answer?: string };
}

/** A body field as text: absent, or a string (anything else is a client error). */
function text(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new InvalidEditError([`${field} must be text`]);
  return v;
}

/** The edit form's fields as `longhaul edit` flags: targets {name: "-30%"}, budget numbers as typed, a reason. */
export function editFlagsOf(body: Record<string, unknown>): EditFlags {
  const flags: EditFlags = {};
  const targets = body.targets;
  if (targets !== undefined && targets !== null) {
    if (typeof targets !== 'object' || Array.isArray(targets))
      throw new InvalidEditError(['targets must map metric names to targets']);
    const list = Object.entries(targets as Record<string, unknown>)
      .filter(([, v]) => typeof v === 'string' && v.trim() !== '')
      .map(([name, v]) => `${name}=${String(v).trim()}`);
    if (list.length > 0) flags.target = list;
  }
  for (const [field, flag] of [
    ['maxTurns', 'maxTurns'],
    ['maxTokens', 'maxTokens'],
    ['maxHours', 'maxHours'],
    ['maxCostUsd', 'maxCost'],
  ] as const) {
    const v = text(body, field)?.trim();
    if (v) flags[flag] = v;
  }
  const reason = text(body, 'reason')?.trim();
  if (reason) flags.reason = reason;
  return flags;
}

export async function runControl(
  client: Client,
  goalId: string,
  control: Control,
  body: Record<string, unknown>,
): Promise<ControlReply> {
  try {
    switch (control) {
      case 'pause': {
        const r = await pauseGoal(client, goalId, text(body, 'reason')?.trim() || 'paused from the dashboard');
        return ok(`paused after turn ${r.turn}`);
      }
      case 'resume': {
        const r = await resumeGoal(client, goalId);
        return ok(`resumed at turn ${r.turn}`);
      }
      case 'cancel':
        await cancelGoal(client, goalId);
        return ok('cancellation requested: the goal finishes its current step, then ends cancelled');
      case 'guide':
        await guideGoal(client, goalId, text(body, 'text') ?? '');
        return ok('guidance sent; the agent gets it at its next turn');
      case 'ask': {
        const r = await askGoal(client, goalId, text(body, 'question') ?? '');
        return { status: 200, body: { ok: true, message: `answered at turn ${r.turn}`, answer: r.answer } };
      }
      case 'edit': {
        const flags = editFlagsOf(body);
        if (!flags.target && !flags.maxTurns && !flags.maxTokens && !flags.maxHours && !flags.maxCost) {
          throw new InvalidEditError(['nothing to change: give a new target or budget']);
        }
        const r = await editGoal(client, goalId, editFromFlags(flags));
        return ok(
          `edit accepted as goal version ${r.goalVersion}, applies at the next turn boundary: ${r.changes.join('; ')}`,
        );
      }
    }
  } catch (err) {
    return failure(err);
  }
}

function ok(message: string): ControlReply {
  return { status: 200, body: { ok: true, message } };
}

function failure(err: unknown): ControlReply {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof InvalidEditError || err instanceof InvalidSpecError)
    return { status: 400, body: { ok: false, message } };
  if (err instanceof RejectedError || err instanceof GoalEndedError)
    return { status: 409, body: { ok: false, message } };
  if (err instanceof WorkflowNotFoundError) {
    return { status: 404, body: { ok: false, message: `no goal with that id (${message})` } };
  }
  return { status: 500, body: { ok: false, message } };
}
