/**
 * What a goal page shows, built from the goal's `status` view and its goal store records: the view itself, the
 * metric charts of the progress document (every sample, the best so far, baseline, target), and the latest turns
 * with their tool calls and outputs, cut short. Pure, apart from the store reads in readGoalRecords.
 */
import { buildProgressDoc } from '../../activities/reporting/progress/doc';
import { metricCharts } from '../../activities/reporting/progress/render';
import type { GoalStore } from '../../activities/store/types';
import type { GoalStatusView } from '../../goal/status';

/** Turns shown on a goal page. */
export const RECENT_TURNS = 5;
/** Longest text shown of a message, a call's arguments or its output; the rest is in the goal store. */
export const MAX_SHOWN_CHARS = 1500;

export interface ShownCall {
  readonly name: string;
  readonly arguments: string;
  /** The result as the model saw it (cut short), or null when it was not stored (yet). */
  readonly output: string | null;
  readonly isError: boolean;
  readonly summary: string | null;
}

export interface ShownTurn {
  readonly turn: number;
  readonly at: string;
  /** What the agent said in the turn (cut short). */
  readonly text: string;
  readonly calls: readonly ShownCall[];
  readonly tokens: number;
}

export interface ShownChart {
  readonly metric: string;
  /** The progress document's figure: an inline SVG with a caption (escaped; no script). */
  readonly html: string;
  /** Samples drawn (one dot each). */
  readonly samples: number;
}

export interface GoalPageData {
  readonly goalId: string;
  readonly view: GoalStatusView | null;
  /** Why the status query failed (e.g. no worker), or null. */
  readonly error: string | null;
  readonly charts: readonly ShownChart[];
  readonly turns: readonly ShownTurn[];
  readonly links: {
    /** The workflow in the Temporal Web UI, when its URL is known. */
    readonly temporalUi: string | null;
    /** The progress document (served by the dashboard from LONGHAUL_HOME), when it has been written. */
    readonly progress: string | null;
    /** The final report, once written. */
    readonly report: string | null;
  };
}

/** Text cut to `max` characters, saying how much was left out. */
export function cut(text: string, max = MAX_SHOWN_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** The goal store records a page needs: the ledger (for the charts) and the latest turns with their results. */
export interface GoalRecords {
  readonly ledger: readonly Record<string, unknown>[];
  readonly turns: readonly ShownTurn[];
}

export async function readGoalRecords(store: GoalStore, goalId: string): Promise<GoalRecords> {
  const [ledger, stored] = await Promise.all([
    store.readLedger(goalId),
    store.readTurns(goalId, Number.MAX_SAFE_INTEGER, RECENT_TURNS),
  ]);
  const turns = await Promise.all(
    stored.map(async (t): Promise<ShownTurn> => {
      const calls = await Promise.all(
        t.output.flatMap((item) =>
          item.type === 'tool_call'
            ? [
                (async (): Promise<ShownCall> => {
                  const result = await store.readToolResult(goalId, t.turn, item.callId);
                  return {
                    name: item.name,
                    arguments: cut(item.arguments, 500),
                    output: result ? cut(result.output) : null,
                    isError: result?.isError ?? false,
                    summary: result?.summary ?? null,
                  };
                })(),
              ]
            : [],
        ),
      );
      const text = t.output
        .filter((i) => i.type === 'message' && i.role === 'assistant')
        .map((i) => (i.type === 'message' ? i.text : ''))
        .join('\n');
      return { turn: t.turn, at: t.at, text: cut(text), calls, tokens: t.usage.totalTokens };
    }),
  );
  return { ledger, turns: turns.reverse() }; // newest first
}

/** The charts of a view's metrics from the ledger, as the progress document draws them. */
export function chartsOf(view: GoalStatusView, ledger: readonly Record<string, unknown>[]): ShownChart[] {
  const doc = buildProgressDoc(view, ledger, new Date().toISOString());
  const figures = metricCharts(doc);
  return view.metrics.map((m, i) => ({
    metric: m.name,
    // The page's policy allows no inline style; its stylesheet gives the chart the same maximum width.
    html: (figures[i] ?? '').replace(/ style="max-width:\d+px"/, ''),
    samples: Number(/data-samples="(\d+)"/.exec(figures[i] ?? '')?.[1] ?? 0),
  }));
}
