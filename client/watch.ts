/** `longhaul watch`: a live terminal view of a goal, redrawn when its status changes, until it ends. */
import type { Client } from '@temporalio/client';
import type { GoalStatusView } from '../goal/status';
import { formatStatus } from './format';
import { goalStatus } from './goals';

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
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  let last = '';
  for (;;) {
    const status = await goalStatus(client, goalId);
    const { budget: _budget, ...stable } = status; // hours tick every poll; redraw only on real changes
    const key = JSON.stringify({ ...stable, turns: status.budget.turns, tokens: status.budget.tokens });
    if (key !== last) {
      last = key;
      const frame = `${formatStatus(status)}\n(updated ${new Date().toISOString().slice(11, 19)}; Ctrl-C stops watching, not the goal)`;
      opts.write(opts.clear ? `\x1b[2J\x1b[H${frame}\n` : `${frame}\n\n`);
    }
    if (status.phase === 'done') return status;
    if (Date.now() > deadline) throw new Error(`goal ${goalId} did not end while watching`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
  }
}
