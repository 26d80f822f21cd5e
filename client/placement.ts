/** Client side of goal placement (goal/placement.ts): is a worker polling the host queue a goal is sent to? */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { hostQueue } from '../goal/placement';

/**
 * A warning when no worker polls `host`'s queue right now (the goal would wait for one), else null. Pollers are the
 * workers seen on the queue in the last minutes, so a worker that just started counts.
 */
export async function hostWorkerWarning(
  client: Client,
  namespace: string,
  sharedQueue: string,
  host: string,
): Promise<string | null> {
  const queue = hostQueue(sharedQueue, host);
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: queue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  if ((pollers ?? []).length > 0) return null;
  return `no worker polls host "${host}" (task queue ${queue}) right now: the goal waits until one does. Start \`longhaul worker\` on the machine that has the workspace (LONGHAUL_HOST=${host}), or start the goal with --host <name> of a worker that has it`;
}
