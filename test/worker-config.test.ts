/** The worker's configuration from the environment: capacity and caching settings, and their errors. */
import { loadWorkerConfig } from '../worker/config';
import { ConfigError } from '../common/temporal-config';

const base = { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' };

test("capacity and caching come from LONGHAUL_MAX_* and LONGHAUL_STICKY_TIMEOUT_SECONDS; unset means Longhaul's defaults (bench/RESULTS.md), else the SDK's", () => {
  expect(loadWorkerConfig(base).tuning).toEqual({
    maxConcurrentActivityTaskExecutions: 1000,
    stickyQueueScheduleToStartTimeout: 1000,
  });
  expect(
    loadWorkerConfig({
      ...base,
      LONGHAUL_MAX_CACHED_WORKFLOWS: '1000',
      LONGHAUL_MAX_CONCURRENT_ACTIVITIES: '500',
      LONGHAUL_MAX_CONCURRENT_WORKFLOW_TASKS: '40',
      LONGHAUL_STICKY_TIMEOUT_SECONDS: '2.5',
    }).tuning,
  ).toEqual({
    maxCachedWorkflows: 1000,
    maxConcurrentActivityTaskExecutions: 500,
    maxConcurrentWorkflowTaskExecutions: 40,
    stickyQueueScheduleToStartTimeout: 2500,
  });
});

test('a bad capacity setting is refused with the variable, the rule and an example', () => {
  expect(() => loadWorkerConfig({ ...base, LONGHAUL_MAX_CONCURRENT_ACTIVITIES: '0' })).toThrow(ConfigError);
  expect(() => loadWorkerConfig({ ...base, LONGHAUL_MAX_CONCURRENT_ACTIVITIES: 'lots' })).toThrow(
    'LONGHAUL_MAX_CONCURRENT_ACTIVITIES must be a whole number of at least 1 (e.g. 1000 for 1000 goals)',
  );
  expect(() => loadWorkerConfig({ ...base, LONGHAUL_MAX_CACHED_WORKFLOWS: '1.5' })).toThrow(
    'LONGHAUL_MAX_CACHED_WORKFLOWS must be a whole number of at least 0',
  );
  expect(() => loadWorkerConfig({ ...base, LONGHAUL_STICKY_TIMEOUT_SECONDS: '-1' })).toThrow(
    'LONGHAUL_STICKY_TIMEOUT_SECONDS must be a number of seconds, e.g. 2',
  );
});

test('the goal store: files under LONGHAUL_HOME by default, PostgreSQL with LONGHAUL_STORE_URL (and a schema)', () => {
  expect(loadWorkerConfig(base).store).toEqual({ kind: 'files' });
  const url = 'postgres://longhaul:s3cret@db:5432/longhaul';
  expect(loadWorkerConfig({ ...base, LONGHAUL_STORE_URL: url }).store).toEqual({ kind: 'postgres', url });
  expect(
    loadWorkerConfig({ ...base, LONGHAUL_STORE_URL: `postgresql://db/x`, LONGHAUL_STORE_SCHEMA: 'longhaul' }).store,
  ).toEqual({ kind: 'postgres', url: 'postgresql://db/x', schema: 'longhaul' });
  expect(loadWorkerConfig({ ...base, LONGHAUL_STORE_URL: '' }).store).toEqual({ kind: 'files' });
});

test('a bad goal store setting is refused with the fix, never repeating the URL (it holds a password)', () => {
  for (const bad of ['mysql://u:hunter2-secret@db/x', 'db:5432', 'postgres://', 'hunter2-secret']) {
    let message = '';
    try {
      loadWorkerConfig({ ...base, LONGHAUL_STORE_URL: bad });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain(
      'LONGHAUL_STORE_URL must be a postgres:// URL, e.g. postgres://longhaul:<password>@db:5432/longhaul',
    );
    expect(message).not.toContain('hunter2');
  }
  expect(() =>
    loadWorkerConfig({ ...base, LONGHAUL_STORE_URL: 'postgres://db/x', LONGHAUL_STORE_SCHEMA: 'Bad-Name' }),
  ).toThrow('LONGHAUL_STORE_SCHEMA must be a PostgreSQL schema name of lower-case letters, digits and "_"');
  expect(() => loadWorkerConfig({ ...base, LONGHAUL_STORE_SCHEMA: 'longhaul' })).toThrow(
    'LONGHAUL_STORE_SCHEMA is set without LONGHAUL_STORE_URL: set both, or neither',
  );
});
