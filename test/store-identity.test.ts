/**
 * Which goal store a worker has, and its refusal to serve a goal whose records are in another one: the store's id
 * (created once, shared by every worker on the store), the start-up check that stops a worker whose store it
 * cannot use, and the non-retryable failure of an activity that finds the goal's baseline record missing. The
 * PostgreSQL part runs with LONGHAUL_TEST_STORE_URL (see test/store-postgres.test.ts).
 */
import { ApplicationFailure } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { protectWorkspace, verifyIntegrity } from '../activities/security/protect-workspace';
import { FileGoalStore, STORE_ID_FILE } from '../activities/store/files';
import { PostgresGoalStore } from '../activities/store/postgres';
import { FAILURE, PERMANENT_FAILURES } from '../goal/failures';
import { GoalStoreUnavailableError, openCheckedGoalStore } from '../worker/goal-store';
import { BUGGY_STATS, gitWorkspace, tempDir } from './helpers/workspace';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('the file goal store id', () => {
  test('is created once under LONGHAUL_HOME and is the same for every store opened there, also when asked at once', async () => {
    const home = tempDir('longhaul-home-');
    const stores = Array.from({ length: 8 }, () => new FileGoalStore(home));
    const ids = await Promise.all(stores.map((s) => s.storeId()));
    expect(ids[0]).toMatch(UUID);
    expect(new Set(ids).size).toBe(1);
    expect(readFileSync(path.join(home, STORE_ID_FILE), 'utf8').trim()).toBe(ids[0]);
    expect(await new FileGoalStore(home).storeId()).toBe(ids[0]); // a worker started later
    expect(await new FileGoalStore(tempDir('longhaul-home-')).storeId()).not.toBe(ids[0]); // another LONGHAUL_HOME
  });
});

describe('worker start-up', () => {
  test('reads the store id (creating it on a new store)', async () => {
    const home = tempDir('longhaul-home-');
    const { store, storeId } = await openCheckedGoalStore({ home, store: { kind: 'files' } });
    expect(storeId).toMatch(UUID);
    expect(store.description).toBe(home);
    expect(await new FileGoalStore(home).storeId()).toBe(storeId);
  });

  test('a goal store the worker cannot use stops it with which store and what to check', async () => {
    const notAFolder = path.join(tempDir('longhaul-home-'), 'file');
    writeFileSync(notAFolder, 'not a folder');
    const failure = openCheckedGoalStore({ home: notAFolder, store: { kind: 'files' } });
    await expect(failure).rejects.toBeInstanceOf(GoalStoreUnavailableError);
    await expect(failure).rejects.toThrow(
      new RegExp(
        `the goal store ${notAFolder} cannot be used: .*check that LONGHAUL_HOME is a folder this user can write`,
      ),
    );
  });
});

describe('a worker whose goal store has no record of the goal', () => {
  test('refuses to verify it, non-retryably, saying the goal was started against another goal store', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    const started = new FileGoalStore(tempDir('longhaul-home-')); // the store of the worker that ran the baseline
    const other = new FileGoalStore(tempDir('longhaul-home-')); // a second `longhaul dev`'s worker on that server
    const input = { goalId: 'split-goal', workspace: ws, startCommit: null };
    await protectWorkspace(started, { goalId: 'split-goal', workspace: ws, protect: ['test.js'], commands: [] });
    await expect(verifyIntegrity(started, input)).resolves.toEqual({ violations: [], restored: [] });

    const refusal = await verifyIntegrity(other, input).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refusal).toBeInstanceOf(ApplicationFailure);
    const failure = refusal as ApplicationFailure;
    expect(failure.type).toBe(FAILURE.goalStoreMismatch);
    expect(failure.nonRetryable).toBe(true);
    expect(PERMANENT_FAILURES).toContain(failure.type); // the goal ends with this message instead of retrying
    expect(failure.message).toBe(
      `this worker's goal store (${other.home}, store id ${await other.storeId()}) has no record of goal split-goal ` +
        '(its protected-paths manifest, recorded at baseline): the goal was started against another goal store ' +
        '(another LONGHAUL_HOME or LONGHAUL_STORE_URL), or its records were deleted. Run this worker with the same ' +
        'goal store as the one that started the goal, and stop workers with another store that poll the same ' +
        'Temporal server and task queue (each worker logs its goal store at start).',
    );
  });
});

const url = process.env.LONGHAUL_TEST_STORE_URL || undefined;
(url ? describe : describe.skip)('the PostgreSQL goal store id (LONGHAUL_TEST_STORE_URL)', () => {
  const schemas = [1, 2].map((n) => `longhaul_test_id_${process.pid}_${n}_${randomBytes(3).toString('hex')}`);
  afterAll(async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  test('is one per schema: the same for every worker on it, asked at once or later, another in another schema', async () => {
    const stores = [1, 2, 3].map(() => new PostgresGoalStore({ url: url!, schema: schemas[0]! }));
    try {
      const ids = await Promise.all(stores.map((s) => s.storeId()));
      expect(ids[0]).toMatch(UUID);
      expect(new Set(ids).size).toBe(1);
      const later = new PostgresGoalStore({ url: url!, schema: schemas[0]! });
      const elsewhere = new PostgresGoalStore({ url: url!, schema: schemas[1]! });
      stores.push(later, elsewhere);
      expect(await later.storeId()).toBe(ids[0]);
      expect(await elsewhere.storeId()).not.toBe(ids[0]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
