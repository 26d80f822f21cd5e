/** Timings read from a workflow's history: every workflow task and activity with its scheduled/started/completed times. */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface Task {
  readonly kind: 'workflow-task' | 'activity';
  /** The activity type, or 'workflow-task'. */
  readonly name: string;
  readonly scheduled: number;
  started: number | null;
  completed: number | null;
  /** The worker identity that started it. */
  identity: string | null;
}

const EventType = {
  WFT_SCHEDULED: 5,
  WFT_STARTED: 6,
  WFT_COMPLETED: 7,
  WFT_TIMED_OUT: 8,
  WFT_FAILED: 9,
  ACT_SCHEDULED: 10,
  ACT_STARTED: 11,
  ACT_COMPLETED: 12,
  ACT_FAILED: 13,
  ACT_TIMED_OUT: 14,
} as const;

function ms(e: HistoryEvent): number {
  const t = e.eventTime;
  return Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);
}

/** Every workflow task and activity of one run, in the order they were scheduled. */
export function tasksOf(events: readonly HistoryEvent[]): { tasks: Task[]; events: number } {
  const tasks: Task[] = [];
  const byId = new Map<number, Task>();
  for (const e of events) {
    const id = Number(e.eventId ?? 0);
    switch (e.eventType as number) {
      case EventType.WFT_SCHEDULED: {
        const t: Task = {
          kind: 'workflow-task',
          name: 'workflow-task',
          scheduled: ms(e),
          started: null,
          completed: null,
          identity: null,
        };
        tasks.push(t);
        byId.set(id, t);
        break;
      }
      case EventType.ACT_SCHEDULED: {
        const name = e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
        const t: Task = { kind: 'activity', name, scheduled: ms(e), started: null, completed: null, identity: null };
        tasks.push(t);
        byId.set(id, t);
        break;
      }
      case EventType.WFT_STARTED: {
        const a = e.workflowTaskStartedEventAttributes;
        const t = byId.get(Number(a?.scheduledEventId ?? 0));
        if (t) {
          t.started = ms(e);
          t.identity = a?.identity ?? null;
        }
        break;
      }
      case EventType.ACT_STARTED: {
        const a = e.activityTaskStartedEventAttributes;
        const t = byId.get(Number(a?.scheduledEventId ?? 0));
        if (t) {
          t.started = ms(e);
          t.identity = a?.identity ?? null;
        }
        break;
      }
      case EventType.WFT_COMPLETED:
      case EventType.WFT_TIMED_OUT:
      case EventType.WFT_FAILED: {
        const a =
          e.workflowTaskCompletedEventAttributes ??
          e.workflowTaskTimedOutEventAttributes ??
          e.workflowTaskFailedEventAttributes;
        const t = byId.get(Number(a?.scheduledEventId ?? 0));
        if (t) t.completed = ms(e);
        break;
      }
      case EventType.ACT_COMPLETED:
      case EventType.ACT_FAILED:
      case EventType.ACT_TIMED_OUT: {
        const a =
          e.activityTaskCompletedEventAttributes ??
          e.activityTaskFailedEventAttributes ??
          e.activityTaskTimedOutEventAttributes;
        const t = byId.get(Number(a?.scheduledEventId ?? 0));
        if (t) t.completed = ms(e);
        break;
      }
    }
  }
  return { tasks, events: events.length };
}

/** The tasks of every run of a workflow id (continue-as-new chains included), oldest run first. */
export async function workflowTasks(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<{ tasks: Task[]; events: number }> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return tasksOf(history.events ?? []);
}

/** Schedule-to-start delays (ms) of the tasks that started. */
export function schedulingDelays(tasks: readonly Task[]): number[] {
  return tasks.filter((t) => t.started !== null).map((t) => t.started! - t.scheduled);
}
