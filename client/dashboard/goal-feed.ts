/**
 * The goal pages' live data: one shared feed per goal that someone is watching (its `status` query once per
 * interval however many tabs show it, and the goal store read again only when the view changed), dropped when the
 * last watcher leaves. Goals nobody watches cost nothing.
 */
import type { Client } from '@temporalio/client';
import { existsSync } from 'node:fs';
import { progressPaths, reportPaths } from '../../common/goal-files';
import type { GoalStore } from '../../activities/store/types';
import type { GoalStatusView } from '../../goal/status';
import { goalStatus } from '../goals';
import { chartsOf, readGoalRecords, type GoalPageData, type GoalRecords, type ShownChart } from './goal-page';
import { SharedFeed } from './shared-feed';

export interface GoalFeedsOptions {
  readonly client: Client;
  /** Where the turns and the ledger are; null: the page shows the status view alone. */
  readonly store: GoalStore | null;
  /** LONGHAUL_HOME of this host: where the progress documents are. */
  readonly home: string;
  /** The Temporal Web UI's base URL and namespace, for the link to each goal's workflow. */
  readonly temporalUi: { readonly url: string; readonly namespace: string } | null;
  /** @default 1000 */
  readonly intervalMs?: number;
  /** Each view a status query returned (the home page reuses it). */
  readonly onView?: (view: GoalStatusView) => void;
  /** Counts every status query (for tests and the benchmark). */
  readonly onQuery?: (goalId: string) => void;
}

/** A goal that has ended is asked again only this often (a query of a closed workflow replays its history). */
const ENDED_INTERVAL_MS = 30_000;

/**
 * What changes when the goal store has something new for the page: a turn (its record), an event (a measurement,
 * a turn's tool calls done), new verdicts. Not the whole view: its working hours grow at every query.
 */
function recordsKey(v: GoalStatusView | null): string {
  return v ? JSON.stringify([v.turn, v.phase, v.status, v.events.at(-1)?.seq ?? 0, v.metrics]) : '';
}

export class GoalFeeds {
  private readonly feeds = new Map<string, SharedFeed<GoalPageData>>();

  constructor(private readonly o: GoalFeedsOptions) {}

  /** Follows a goal; returns the function that stops (the last one to stop ends the goal's polling). */
  subscribe(goalId: string, listener: (data: GoalPageData) => void): () => void {
    const feed = this.feedOf(goalId);
    const unsubscribe = feed.subscribe(listener);
    return () => {
      unsubscribe();
      if (feed.subscribers === 0 && this.feeds.get(goalId) === feed) {
        feed.close();
        this.feeds.delete(goalId);
      }
    };
  }

  /** The goal's data now (fresh within the interval); `force` asks the goal again (after a control). */
  async read(goalId: string, force = false): Promise<GoalPageData> {
    const feed = this.feeds.get(goalId);
    if (feed) return (await feed.refresh(force)) ?? this.build(goalId, null, null, null);
    const once = this.feedOf(goalId, false);
    return (await once.refresh()) ?? this.build(goalId, null, null, null);
  }

  /** Goals with a feed now (being watched). */
  get watched(): readonly string[] {
    return [...this.feeds.keys()];
  }

  close(): void {
    for (const feed of this.feeds.values()) feed.close();
    this.feeds.clear();
  }

  private feedOf(goalId: string, keep = true): SharedFeed<GoalPageData> {
    const existing = this.feeds.get(goalId);
    if (existing) return existing;
    let view: GoalStatusView | null = null;
    let viewKey = '';
    let records: GoalRecords | null = null;
    let charts: { key: string; value: ShownChart[] } = { key: '', value: [] };
    let lastAsked = 0;
    let last: GoalPageData | null = null;
    const feed = new SharedFeed<GoalPageData>({
      intervalMs: this.o.intervalMs ?? 1000,
      poll: async () => {
        const ended = view !== null && view.status !== 'running' && view.phase === 'done';
        if (ended && last && Date.now() - lastAsked < ENDED_INTERVAL_MS) return last;
        let error: string | null = null;
        try {
          lastAsked = Date.now();
          this.o.onQuery?.(goalId);
          view = await goalStatus(this.o.client, goalId);
          this.o.onView?.(view);
        } catch (err) {
          error = `the status query did not answer: ${(err as Error).message}`;
        }
        const key = recordsKey(view);
        if (this.o.store && (key !== viewKey || records === null)) {
          viewKey = key;
          records = await readGoalRecords(this.o.store, goalId).catch(() => records);
          charts = { key: '', value: [] };
        }
        // Drawn again only when the records or the verdicts changed (a long goal's ledger holds thousands of samples).
        if (view && charts.key !== key) charts = { key, value: chartsOf(view, records?.ledger ?? []) };
        last = this.build(goalId, view, records, error, charts.value);
        return last;
      },
    });
    if (keep) this.feeds.set(goalId, feed);
    return feed;
  }

  private build(
    goalId: string,
    view: GoalStatusView | null,
    records: GoalRecords | null,
    error: string | null,
    charts: readonly ShownChart[] = [],
  ): GoalPageData {
    const ui = this.o.temporalUi;
    const id = encodeURIComponent(goalId);
    return {
      goalId,
      view,
      error,
      charts: view ? charts : [],
      turns: records?.turns ?? [],
      links: {
        temporalUi: ui
          ? `${ui.url.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(ui.namespace)}/workflows/${id}`
          : null,
        progress: existsSync(progressPaths(this.o.home, goalId).html) ? `/goals/${id}/progress` : null,
        report: existsSync(reportPaths(this.o.home, goalId).html) ? `/goals/${id}/report` : null,
      },
    };
  }
}
