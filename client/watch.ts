/**
 * Following a goal from a terminal: `longhaul watch` redraws its status on every change (or, with --json, prints
 * one JSON line per event); `longhaul dev --goal` (and `demo`) print one line per event. All poll the `status`
 * query until the goal ends.
 */
import type { Client } from '@temporalio/client';
import type { EventKind, GoalOutcome, GoalStatusName, GoalStatusView } from '../goal/status';
import { formatStatus } from './format';
import { goalStatus, waitForGoal } from './goals';

interface PollOptions {
  /** @default 1000 */
  readonly intervalMs?: number;
  /** Give up after this long (tests); by default until the goal ends. */
  readonly timeoutMs?: number;
  /** Stop following (the goal goes on); resolves with the last status seen, or null. */
  readonly signal?: AbortSignal;
  /** What counts as a change worth reporting. */
  readonly key: (s: GoalStatusView) => string;
  readonly onChange: (s: GoalStatusView) => void;
  /** Keep polling when a query fails (e.g. while the worker restarts) instead of throwing. */
  readonly retryErrors?: boolean;
  /**
   * Settles when the workflow has closed, however it ended. A terminated goal never reports phase `done`:
   * after this settles, one more poll is made and polling stops. Without it, polling stops at phase `done`.
   */
  readonly closed?: Promise<unknown>;
}

async function pollStatus(client: Client, goalId: string, o: PollOptions): Promise<GoalStatusView | null> {
  const deadline = o.timeoutMs === undefined ? Infinity : Date.now() + o.timeoutMs;
  let closed = false;
  const whenClosed = o.closed?.then(
    () => (closed = true),
    () => (closed = true),
  );
  let last = '';
  let status: GoalStatusView | null = null;
  while (!o.signal?.aborted) {
    const closedBefore = closed;
    try {
      status = await goalStatus(client, goalId);
    } catch (err) {
      if (closedBefore && status) return status;
      if (!o.retryErrors || o.signal?.aborted) throw err;
      await pause(o.intervalMs ?? 1000, whenClosed);
      continue;
    }
    const key = o.key(status);
    if (key !== last) {
      last = key;
      o.onChange(status);
    }
    // With `closed`, the end is the workflow's close: the events of its last steps (the final milestone, the report)
    // come after its phase is already `done`.
    if (closedBefore || (o.closed === undefined && status.phase === 'done')) return status;
    if (Date.now() > deadline) throw new Error(`goal ${goalId} did not end while watching`);
    await pause(o.intervalMs ?? 1000, whenClosed);
  }
  return status;
}

/** Waits `ms`, or less when `early` settles first; leaves no timer behind. */
async function pause(ms: number, early?: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([new Promise((r) => (timer = setTimeout(r, ms))), ...(early ? [early] : [])]);
  } finally {
    clearTimeout(timer);
  }
}

/** Settles when the goal's workflow closes; never rejects (a missing goal shows in the status query instead). */
function closedSignal(client: Client, goalId: string): Promise<Awaited<ReturnType<typeof waitForGoal>> | null> {
  return waitForGoal(client, goalId).catch(() => null);
}

export interface WatchOptions {
  /** How often to poll the `status` query. @default 1000 */
  readonly intervalMs?: number;
  readonly write: (text: string) => void;
  /** Clear the screen before each redraw (a terminal); otherwise frames are separated by a blank line. */
  readonly clear: boolean;
  /** Stop waiting after this long (tests); by default until the goal ends. */
  readonly timeoutMs?: number;
}

/** Events shown under the status in `longhaul watch`. */
const WATCH_EVENTS = 6;

/** Redraws on every change; resolves with the final status when the goal ends. */
export async function watchGoal(client: Client, goalId: string, opts: WatchOptions): Promise<GoalStatusView> {
  const final = await pollStatus(client, goalId, {
    ...opts,
    closed: closedSignal(client, goalId),
    // Hours tick on every poll: redraw only on real changes.
    key: (s) => JSON.stringify({ ...s, budget: { ...s.budget, hours: s.budget.hours.limit } }),
    onChange: (status) => {
      const frame = `${formatStatus(status, { events: WATCH_EVENTS })}\n(updated ${new Date().toISOString().slice(11, 19)}; Ctrl-C stops watching, not the goal)`;
      opts.write(opts.clear ? `\x1b[2J\x1b[H${frame}\n` : `${frame}\n\n`);
    },
  });
  return final!;
}

/** One line of `longhaul watch --json` for each new event. */
export interface WatchEventLine {
  readonly type: 'event';
  readonly goalId: string;
  readonly seq: number;
  readonly at: string;
  readonly kind: EventKind | null;
  readonly text: string;
  /** The goal's turn, status and progress (0..1) when the event was seen. */
  readonly turn: number;
  readonly status: GoalStatusName;
  readonly progress: number;
}

/** The last line of `longhaul watch --json`: how the goal ended. */
export interface WatchEndLine {
  readonly type: 'end';
  readonly outcome: GoalOutcome & { readonly progress: number; readonly endedAt: string | null };
}

export type WatchLine = WatchEventLine | WatchEndLine;

export interface WatchEventsOptions {
  /** @default 1000 */
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  readonly emit: (line: WatchLine) => void;
}

/** Emits each new event, then the outcome when the goal ends; resolves with the final status name. */
export async function watchEvents(client: Client, goalId: string, opts: WatchEventsOptions): Promise<GoalStatusName> {
  const closed = closedSignal(client, goalId);
  let seen = 0;
  const final = await pollStatus(client, goalId, {
    ...opts,
    closed,
    key: (s) => String(s.events.at(-1)?.seq ?? 0),
    onChange: (s) => {
      for (const e of s.events) {
        if (e.seq <= seen) continue;
        opts.emit({
          type: 'event',
          goalId,
          seq: e.seq,
          at: e.at,
          kind: e.kind ?? null,
          text: e.text,
          turn: s.turn,
          status: s.status,
          progress: s.progress,
        });
        seen = e.seq;
      }
    },
  });
  const s = final!;
  let status: GoalStatusName = s.status;
  let reason = s.reason ?? '';
  if (s.phase !== 'done') {
    // The workflow closed without finishing its own way (terminated, timed out): the server says how.
    const result = await closed;
    status = result?.status ?? 'failed';
    reason = result?.reason ?? 'the goal ended without an outcome';
  }
  opts.emit({
    type: 'end',
    outcome: {
      goalId,
      status: status === 'running' ? 'failed' : status,
      reason,
      turns: s.turn,
      tokens: s.budget.tokens.used,
      costUsd: s.budget.cost.used,
      metrics: s.metrics,
      checks: s.checks,
      progress: s.progress,
      endedAt: s.endedAt,
    },
  });
  return status;
}

/** One line per goal event (`12:03:07 · verified after turn 3: …`), none missed, until the goal ends or `signal` aborts. */
export async function followGoal(
  client: Client,
  goalId: string,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<GoalStatusView | null> {
  let printed = 0;
  return pollStatus(client, goalId, {
    signal,
    retryErrors: true,
    // Its long poll stops with the signal: the connection may close right after.
    closed: client.withAbortSignal(signal, () => closedSignal(client, goalId)),
    key: (s) => String(s.events.at(-1)?.seq ?? 0),
    onChange: (s) => {
      for (const e of s.events.filter((x) => x.seq > printed)) log(`${e.at.slice(11, 19)} · ${e.text}`);
      printed = s.events.at(-1)?.seq ?? printed;
    },
  });
}
