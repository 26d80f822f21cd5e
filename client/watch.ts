/**
 * Following a goal from a terminal: `longhaul watch` redraws its status on every change; `longhaul dev --goal`
 * (and `demo`) print one line per event. Both poll the `status` query until the goal ends.
 */
import type { Client } from '@temporalio/client';
import type { GoalStatusView } from '../goal/status';
import { formatStatus } from './format';
import { goalStatus } from './goals';

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
}

async function pollStatus(client: Client, goalId: string, o: PollOptions): Promise<GoalStatusView | null> {
  const deadline = o.timeoutMs === undefined ? Infinity : Date.now() + o.timeoutMs;
  let last = '';
  let status: GoalStatusView | null = null;
  while (!o.signal?.aborted) {
    try {
      status = await goalStatus(client, goalId);
    } catch (err) {
      if (!o.retryErrors || o.signal?.aborted) throw err;
      await new Promise((r) => setTimeout(r, o.intervalMs ?? 1000));
      continue;
    }
    const key = o.key(status);
    if (key !== last) {
      last = key;
      o.onChange(status);
    }
    if (status.phase === 'done') return status;
    if (Date.now() > deadline) throw new Error(`goal ${goalId} did not end while watching`);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 1000));
  }
  return status;
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

/** Redraws on every change; resolves with the final status when the goal ends. */
export async function watchGoal(client: Client, goalId: string, opts: WatchOptions): Promise<GoalStatusView> {
  const final = await pollStatus(client, goalId, {
    ...opts,
    // Hours tick on every poll: redraw only on real changes.
    key: (s) => JSON.stringify({ ...s, budget: { turns: s.budget.turns, tokens: s.budget.tokens } }),
    onChange: (status) => {
      const frame = `${formatStatus(status)}\n(updated ${new Date().toISOString().slice(11, 19)}; Ctrl-C stops watching, not the goal)`;
      opts.write(opts.clear ? `\x1b[2J\x1b[H${frame}\n` : `${frame}\n\n`);
    },
  });
  return final!;
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
    key: (s) => String(s.events.at(-1)?.seq ?? 0),
    onChange: (s) => {
      for (const e of s.events.filter((x) => x.seq > printed)) log(`${e.at.slice(11, 19)} · ${e.text}`);
      printed = s.events.at(-1)?.seq ?? printed;
    },
  });
}
