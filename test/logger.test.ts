import type { LogEntry } from '@temporalio/worker';
import { formatLogEntry } from '../worker/logger';

const at = BigInt(Date.UTC(2026, 10, 24, 12, 3, 7)) * 1_000_000n;

describe('the worker log, one line per event', () => {
  test('a failed activity attempt is one line: activity, attempt, goal, error, and whether Temporal retries it', () => {
    const entry: LogEntry = {
      level: 'WARN',
      message: 'Activity failed',
      timestampNanos: at,
      meta: {
        activityType: 'modelTurn',
        attempt: 3,
        workflowId: 'goal-x',
        taskToken: 'secret-looking-token',
        error: { message: 'could not reach the model server', type: 'ModelConnectionError', nonRetryable: false },
      },
    };
    expect(formatLogEntry(entry)).toBe(
      '12:03:07 activity modelTurn failed (attempt 3, goal goal-x): could not reach the model server; Temporal retries it',
    );
  });

  test('a permanent failure says so', () => {
    const entry: LogEntry = {
      level: 'WARN',
      message: 'Activity failed',
      timestampNanos: at,
      meta: {
        activityType: 'modelTurn',
        attempt: 1,
        workflowId: 'g',
        error: { message: 'bad key', nonRetryable: true },
      },
    };
    expect(formatLogEntry(entry)).toMatch(/: bad key; permanent$/);
  });

  test('other entries keep their level, message, the useful ids and an error message', () => {
    const entry: LogEntry = {
      level: 'ERROR',
      message: 'Workflow task failed',
      timestampNanos: at,
      meta: { workflowId: 'goal-y', taskQueue: 'longhaul', error: new Error('boom'), sdkComponent: 'worker' },
    };
    expect(formatLogEntry(entry)).toBe(
      '12:03:07 ERROR Workflow task failed (workflowId=goal-y taskQueue=longhaul): boom',
    );
  });
});
