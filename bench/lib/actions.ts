/**
 * Temporal Cloud actions read from a workflow's history, for sizing a fleet (docs.temporal.io/cloud/actions): a
 * workflow start (or continue-as-new), each activity attempt, each timer, each search-attribute upsert, each signal
 * and update, and the local activities of one workflow task together as one. Not in a history, so not counted here:
 * queries, and activity heartbeats that reach the server (the SDK throttles them to 80% of the heartbeat timeout; a
 * goal's model call sends its first after 5 s, then one every 24 s with the default 30 s timeout).
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface Actions {
  /** Per kind, over the counted span. */
  readonly byKind: Record<string, number>;
  readonly total: number;
  /** Model calls in the counted span (its turns). */
  readonly turns: number;
}

/**
 * The actions of the turns of `workflowId` between its second model call and its last (warm-up and the end left out),
 * `modelActivity` naming the model call (the goal's modelTurn, the peer's invokeModel).
 */
export async function actionsPerTurn(client: Client, workflowId: string, modelActivity: string): Promise<Actions> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const models = events
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => e.activityTaskScheduledEventAttributes?.activityType?.name === modelActivity)
    .map(({ i }) => i);
  const span = models.length >= 3 ? events.slice(models[1], models[models.length - 1]) : events;
  return { ...countActions(span), turns: Math.max(1, models.length - 2) };
}

export function countActions(events: readonly HistoryEvent[]): { byKind: Record<string, number>; total: number } {
  const byKind: Record<string, number> = {};
  const add = (kind: string, n = 1) => (byKind[kind] = (byKind[kind] ?? 0) + n);
  const localTasks = new Set<string>();
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) add('workflow started');
    else if (e.activityTaskStartedEventAttributes)
      add('activity attempt', e.activityTaskStartedEventAttributes.attempt ?? 1);
    else if (e.timerStartedEventAttributes) add('timer started');
    else if (e.upsertWorkflowSearchAttributesEventAttributes) add('search attributes upserted');
    else if (e.workflowExecutionSignaledEventAttributes) add('signal');
    else if (e.workflowExecutionUpdateAcceptedEventAttributes) add('update');
    else if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') {
      localTasks.add(String(e.markerRecordedEventAttributes.workflowTaskCompletedEventId ?? ''));
    }
  }
  if (localTasks.size > 0) add('local activities (one per workflow task)', localTasks.size);
  return { byKind, total: Object.values(byKind).reduce((a, b) => a + b, 0) };
}

/** "2.00 (activity attempt 1.00, …)": actions per turn and their kinds. */
export function describeActions(a: Actions): string {
  const kinds = Object.entries(a.byKind)
    .map(([k, n]) => `${k} ${(n / a.turns).toFixed(2)}`)
    .join(', ');
  return `${(a.total / a.turns).toFixed(2)} per turn (${kinds}; ${a.turns} turns)`;
}
