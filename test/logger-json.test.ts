import type { LogEntry } from '@temporalio/worker';
import { ConfigError } from '../common/temporal-config';
import { formatLogEntryJson, logFormatFromEnv, secretValues, workerStatusLine } from '../worker/logger';

const at = BigInt(Date.UTC(2026, 10, 24, 12, 3, 7, 250)) * 1_000_000n;

describe('the worker log as JSON lines (LONGHAUL_LOG_FORMAT=json)', () => {
  test('one JSON object per entry: time, level, message and the attributes', () => {
    const entry: LogEntry = {
      level: 'WARN',
      message: 'Activity failed',
      timestampNanos: at,
      meta: {
        activityType: 'modelTurn',
        attempt: 3,
        workflowId: 'goal-x',
        error: Object.assign(new Error('could not reach the model server'), { type: 'ModelConnectionError' }),
      },
    };
    const line = formatLogEntryJson(entry);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      time: '2026-11-24T12:03:07.250Z',
      level: 'WARN',
      message: 'Activity failed',
      attributes: {
        activityType: 'modelTurn',
        attempt: 3,
        workflowId: 'goal-x',
        error: { name: 'Error', message: 'could not reach the model server', type: 'ModelConnectionError' },
      },
    });
  });

  test('attributes named like secrets are left out, and secret values are masked wherever they appear', () => {
    const env = {
      OPENAI_API_KEY: 'sk-live-0123456789',
      SLACK_BOT_TOKEN: 'xoxb-abcdefghij',
      LONGHAUL_ENCRYPTION_KEY: 'q2ZlY3JldC1rZXktYnl0ZXMtMzItbG9uZw==',
      LONGHAUL_ENCRYPTION_KEYS: 'old:b2xkLWtleS1ieXRlcy0zMi1sb25nLWxvbmc=',
      PATH: '/usr/bin',
    };
    const entry: LogEntry = {
      level: 'ERROR',
      message: 'request failed with key sk-live-0123456789',
      timestampNanos: at,
      meta: {
        taskToken: 'AAAA-task-token',
        headers: { authorization: 'Bearer x', apiKey: 'k', accept: 'json' },
        detail: 'token xoxb-abcdefghij and old key b2xkLWtleS1ieXRlcy0zMi1sb25nLWxvbmc=',
        maxTokens: 100,
        payload: new Uint8Array(12),
        big: 10n,
      },
    };
    const line = formatLogEntryJson(entry, secretValues(env));
    for (const secret of [
      'sk-live-0123456789',
      'xoxb-abcdefghij',
      'b2xkLWtleS1ieXRlcy0zMi1sb25nLWxvbmc=',
      'AAAA-task-token',
      'Bearer x',
    ]) {
      expect(line).not.toContain(secret);
    }
    expect(JSON.parse(line)).toEqual({
      time: '2026-11-24T12:03:07.250Z',
      level: 'ERROR',
      message: 'request failed with key [redacted]',
      attributes: {
        headers: { accept: 'json' },
        detail: 'token [redacted] and old key [redacted]',
        maxTokens: 100,
        payload: '<12 bytes>',
        big: '10',
      },
    });
    expect(secretValues(env)).not.toContain('/usr/bin');
  });

  test('the goal store URL and its password are masked, the password also on its own and percent-decoded', () => {
    const env = { LONGHAUL_STORE_URL: 'postgres://longhaul:log-Pa55word%2F1@db:5432/longhaul' };
    const entry: LogEntry = {
      level: 'WARN',
      message: 'store postgres://longhaul:log-Pa55word%2F1@db:5432/longhaul said log-Pa55word/1',
      timestampNanos: at,
      meta: { detail: 'password log-Pa55word%2F1' },
    };
    const line = formatLogEntryJson(entry, secretValues(env));
    expect(line).not.toMatch(/log-Pa55word/);
    expect(JSON.parse(line)).toMatchObject({
      message: 'store [redacted] said [redacted]',
      attributes: { detail: 'password [redacted]' },
    });
  });

  test('the format is text by default, json on request, anything else a clear error', () => {
    expect(logFormatFromEnv({})).toBe('text');
    expect(logFormatFromEnv({ LONGHAUL_LOG_FORMAT: 'JSON' })).toBe('json');
    expect(() => logFormatFromEnv({ LONGHAUL_LOG_FORMAT: 'yaml' })).toThrow(ConfigError);
    expect(() => logFormatFromEnv({ LONGHAUL_LOG_FORMAT: 'yaml' })).toThrow(
      'LONGHAUL_LOG_FORMAT must be "text" or "json"',
    );
  });

  test("the worker's own lines follow the format", () => {
    expect(workerStatusLine({}, 'INFO', 'polling')).toBe('longhaul worker: polling');
    const json = JSON.parse(workerStatusLine({ LONGHAUL_LOG_FORMAT: 'json' }, 'ERROR', 'boom', { taskQueue: 'q' }));
    expect(json).toMatchObject({ level: 'ERROR', message: 'boom', attributes: { taskQueue: 'q' } });
    expect(new Date(json.time as string).getTime()).toBeGreaterThan(0);
  });
});
