/**
 * Every activity heartbeats while it runs, so a worker that dies mid-activity is noticed within the heartbeat
 * timeout (seconds), not the start-to-close timeout (minutes), and the work is retried on a live worker.
 */
import { Context } from '@temporalio/activity';

/** Wraps each activity of `activities` so it heartbeats at a third of its heartbeat timeout (at most every 5 s). */
export function heartbeating<T extends Record<string, (input: never) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, (input: never) => Promise<unknown>> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (input: never) => {
      const ctx = Context.current();
      const every = Math.min(5_000, Math.max(100, (ctx.info.heartbeatTimeoutMs ?? 30_000) / 3));
      const timer = setInterval(() => ctx.heartbeat(), every);
      try {
        return await fn(input);
      } finally {
        clearInterval(timer);
      }
    };
  }
  return wrapped as T;
}
