/**
 * What the goal tells the user: its numbered events, the outbox of significant ones for Slack and the Slack
 * thread's state, the hourly refresh, warnings, and the one thing that needs the user's attention.
 */
import type { EventKind } from '../status';
import type { GoalState } from './state';

/** Events kept in the state (and in `status`). */
export const MAX_EVENTS = 20;
/** Undelivered Slack events kept; if Slack is down so long that more pile up, the oldest are not posted. */
export const MAX_OUTBOX = 100;

type EventState = Pick<GoalState, 'lastEvent' | 'events' | 'outbox'>;

/** Records an event; a `kind` marks it significant (it goes to Slack). */
export function event(s: EventState, text: string, now: number, kind?: EventKind): void {
  s.lastEvent = { at: now, text };
  const seq = (s.events.at(-1)?.seq ?? 0) + 1;
  s.events.push({ seq, at: now, text, ...(kind ? { kind } : {}) });
  if (s.events.length > MAX_EVENTS) s.events.shift();
  if (kind) {
    s.outbox.push({ seq, at: now, text, kind });
    if (s.outbox.length > MAX_OUTBOX) s.outbox.shift();
  }
}

/** Drops delivered events from the outbox (those up to `seq`). */
export function delivered(s: Pick<GoalState, 'outbox'>, seq: number): void {
  s.outbox = s.outbox.filter((e) => e.seq > seq);
}

/** Something the user should look at; shown in status and posted to Slack as "needs attention". */
export function needsAttention(s: EventState & Pick<GoalState, 'attention'>, text: string, now: number): void {
  s.attention = { at: now, text };
  event(s, `needs attention: ${text}`, now, 'attention');
}

/** A warning for the user (shown in status and the UI); also recorded as the last event. */
export function warn(s: EventState & Pick<GoalState, 'warnings'>, text: string, now: number): void {
  if (!s.warnings.includes(text)) s.warnings.push(text);
  event(s, `warning: ${text}`, now);
}

/** Slack answered with the goal's thread: later syncs reply in it. */
export function slackThread(s: Pick<GoalState, 'slack'>, channel: string, parentTs: string): void {
  s.slack = { channel, parentTs, off: null };
}

/** Slack cannot be used from this worker (no token): nothing more is queued for it until the next refresh. */
export function slackOff(s: Pick<GoalState, 'slack' | 'outbox'>, reason: string): void {
  s.slack.off = reason;
  s.outbox = [];
}

/**
 * Slack refused the sync for good (a bad channel, a missing scope): the user is warned, and the outbox waits for
 * the next hourly refresh, which tries again.
 */
export function slackMisconfigured(
  s: EventState & Pick<GoalState, 'slack' | 'warnings'>,
  error: string,
  now: number,
): void {
  s.slack.off = `Slack: ${error}`;
  warn(s, s.slack.off, now);
}

/** The hourly refresh is under way; Slack is tried again (the worker may have a token now, or the channel is fixed). */
export function refreshed(s: Pick<GoalState, 'lastRefreshAt' | 'refreshes' | 'slack'>, now: number): void {
  s.lastRefreshAt = now;
  s.refreshes += 1;
  s.slack.off = null;
}
