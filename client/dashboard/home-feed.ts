/**
 * The home page's live data: the goal list from visibility (one request per interval, shared by every tab), with
 * what visibility does not hold — cost, the needs-attention line, the pause — filled in per goal by a small,
 * rate-limited queue: the `status` query of a running goal when its row changed (or every minute), the result of a
 * closed goal once. Rows come first; these fill in as they arrive.
 */
import type { Client } from '@temporalio/client';
import { statusQuery } from '../../goal/messages';
import type { GoalOutcome, GoalStatusView } from '../../goal/status';
import { listGoalRows, type GoalRow } from './goal-list';
import { SharedFeed } from './shared-feed';

/** A home row with what the goal itself reports. */
export interface HomeGoal extends GoalRow {
  /** US dollars spent so far; null until known. */
  readonly costUsd: number | null;
  /** The running goal's needs-attention line (stall, blocker, budget at 80%, …). */
  readonly attention: string | null;
  readonly paused: boolean;
}

export interface HomeSnapshot {
  /** Needs attention first, then running, then ended; newest first within each. */
  readonly goals: readonly HomeGoal[];
  /** When visibility last answered (ISO). */
  readonly at: string | null;
  /** Why the last visibility request failed, or null. */
  readonly error: string | null;
}

export interface HomeFeedOptions {
  /** Time between visibility requests. @default 1000 */
  readonly intervalMs?: number;
  /** Per-goal lookups (status query or result) at once. @default 2 */
  readonly concurrency?: number;
  /** At least this long between the starts of two per-goal lookups. @default 250 */
  readonly lookupGapMs?: number;
  /** A running goal whose row did not change is asked again after this long. @default 60000 */
  readonly staleMs?: number;
  /** A per-goal lookup is given up after this long (a goal whose worker is down does not answer). @default 5000 */
  readonly lookupTimeoutMs?: number;
  /** Counts every visibility request (for the benchmark). */
  readonly onVisibilityRequest?: () => void;
  /** Counts every per-goal lookup. */
  readonly onLookup?: () => void;
}

interface Details {
  readonly key: string;
  readonly at: number;
  readonly costUsd: number | null;
  readonly attention: string | null;
  readonly paused: boolean;
}

/** What makes a row's details worth asking for again: another run, status, phase or turn. */
function rowKey(r: GoalRow): string {
  return `${r.runId}|${r.execution}|${r.status}|${r.phase}|${r.turns}`;
}

/** Goals that need the user: a running goal's needs-attention line. */
function rank(g: HomeGoal): number {
  if (g.execution === 'RUNNING' && g.attention) return 0;
  return g.execution === 'RUNNING' ? 1 : 2;
}

export class HomeFeed {
  readonly feed: SharedFeed<HomeSnapshot>;
  private readonly details = new Map<string, Details>();
  private readonly queue: GoalRow[] = [];
  private readonly queued = new Set<string>();
  private rows: GoalRow[] = [];
  private at: string | null = null;
  private error: string | null = null;
  private active = 0;
  private lastLookupStart = 0;
  private closed = false;
  private readonly o: Required<Omit<HomeFeedOptions, 'onVisibilityRequest' | 'onLookup'>>;

  constructor(
    private readonly client: Client,
    private readonly opts: HomeFeedOptions = {},
  ) {
    this.o = {
      intervalMs: opts.intervalMs ?? 1000,
      concurrency: opts.concurrency ?? 2,
      lookupGapMs: opts.lookupGapMs ?? 250,
      staleMs: opts.staleMs ?? 60_000,
      lookupTimeoutMs: opts.lookupTimeoutMs ?? 5000,
    };
    this.feed = new SharedFeed({
      intervalMs: this.o.intervalMs,
      poll: () => this.poll(),
      key: (s) => JSON.stringify(s.goals) + (s.error ?? ''),
    });
  }

  /** What a goal page's own status query saw: used for the home row, so it costs no second query. */
  noteView(view: GoalStatusView): void {
    const row = this.rows.find((r) => r.goalId === view.goalId);
    this.details.set(view.goalId, {
      key: row ? rowKey(row) : '',
      at: Date.now(),
      ...detailsOf(view),
    });
  }

  close(): void {
    this.closed = true;
    this.feed.close();
  }

  private async poll(): Promise<HomeSnapshot> {
    try {
      this.opts.onVisibilityRequest?.();
      this.rows = await listGoalRows(this.client);
      this.at = new Date().toISOString();
      this.error = null;
    } catch (err) {
      this.error = `Temporal visibility did not answer: ${(err as Error).message}`;
    }
    this.enqueueLookups();
    return this.snapshot();
  }

  private snapshot(): HomeSnapshot {
    const goals = this.rows.map((r): HomeGoal => {
      const d = this.details.get(r.goalId);
      return {
        ...r,
        costUsd: d?.costUsd ?? null,
        attention: r.execution === 'RUNNING' ? (d?.attention ?? null) : null,
        paused: r.execution === 'RUNNING' && (d?.paused ?? false),
      };
    });
    goals.sort((a, b) => rank(a) - rank(b) || b.startedAt.localeCompare(a.startedAt));
    return { goals, at: this.at, error: this.error };
  }

  private enqueueLookups(): void {
    const now = Date.now();
    for (const r of this.rows) {
      const d = this.details.get(r.goalId);
      const key = rowKey(r);
      const due =
        r.execution === 'RUNNING'
          ? !d || d.key !== key || now - d.at > this.o.staleMs
          : !d || !d.key.startsWith(`${r.runId}|`) || d.key.split('|')[1] === 'RUNNING';
      if (due && !this.queued.has(r.goalId)) {
        this.queued.add(r.goalId);
        this.queue.push(r);
      }
    }
    while (this.active < this.o.concurrency && this.queue.length > 0) {
      this.active++;
      void this.drain().finally(() => this.active--);
    }
  }

  private async drain(): Promise<void> {
    for (let row = this.queue.shift(); row && !this.closed; row = this.queue.shift()) {
      const wait = this.lastLookupStart + this.o.lookupGapMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait).unref());
      this.lastLookupStart = Date.now();
      this.opts.onLookup?.();
      try {
        const found = await this.lookup(row);
        this.details.set(row.goalId, { key: rowKey(row), at: Date.now(), ...found });
      } catch {
        // No answer (no worker, a goal that ended by termination): keep what was known, try again when it changes.
        const old = this.details.get(row.goalId);
        this.details.set(row.goalId, {
          key: rowKey(row),
          at: Date.now(),
          costUsd: old?.costUsd ?? null,
          attention: old?.attention ?? null,
          paused: old?.paused ?? false,
        });
      } finally {
        this.queued.delete(row.goalId);
      }
    }
  }

  private lookup(row: GoalRow): Promise<Omit<Details, 'key' | 'at'>> {
    const handle = this.client.workflow.getHandle(row.goalId, row.runId);
    const signal = AbortSignal.timeout(this.o.lookupTimeoutMs);
    if (row.execution === 'RUNNING') {
      return this.client.withAbortSignal(signal, async () => detailsOf(await handle.query(statusQuery)));
    }
    return this.client.withAbortSignal(signal, async () => {
      const outcome = (await handle.result()) as GoalOutcome;
      return { costUsd: outcome.costUsd, attention: null, paused: false };
    });
  }
}

function detailsOf(view: GoalStatusView): Omit<Details, 'key' | 'at'> {
  return { costUsd: view.budget.cost.used, attention: view.attention?.text ?? null, paused: view.paused };
}
