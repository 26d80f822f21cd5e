/**
 * The PostgreSQL goal store against a real server (LONGHAUL_TEST_STORE_URL, see scripts/setup-postgres.sh): the
 * shared contract (test/helpers/store-contract.ts), then two stores as two worker hosts on one database (each
 * sees the other's writes; concurrent upserts of one key leave one row; concurrent appends stay whole), schema
 * creation by two workers at once, and the URL's password kept out of descriptions and errors. Each run uses a
 * fresh schema, dropped at the end. Without the URL the suite is skipped with a message, unless
 * LONGHAUL_REQUIRE_POSTGRES=1 (CI), which makes it fail.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { goalDir } from '../common/goal-files';
import { PostgresGoalStore } from '../activities/store/postgres';
import { displayStoreUrl, isPostgresUrl, storeUrlPasswords } from '../activities/store/settings';
import { NO_FINISHING } from './helpers/finishing';
import { createHarness, runGoal } from './helpers/goal-harness';
import { assistant, describeGoalStoreContract, result, storedTurn } from './helpers/store-contract';
import { useServerAndFake } from './helpers/suite';
import { scoreMetric, scoreWorkspace, writeScore } from './helpers/workspace';

const URL_VAR = 'LONGHAUL_TEST_STORE_URL';
const url = process.env[URL_VAR] || undefined;
const required = process.env.LONGHAUL_REQUIRE_POSTGRES === '1';
const HOW = `run scripts/setup-postgres.sh (as root: it installs and starts PostgreSQL): eval "$(bash scripts/setup-postgres.sh)" sets ${URL_VAR}`;

if (!url) {
  if (required) {
    test('PostgreSQL is available (LONGHAUL_REQUIRE_POSTGRES=1)', () => {
      throw new Error(`LONGHAUL_REQUIRE_POSTGRES=1 but ${URL_VAR} is not set: ${HOW}`);
    });
  } else {
    console.warn(`store-postgres.test.ts: SKIPPED, ${URL_VAR} is not set: ${HOW}`);
  }
}

/** A schema of this run alone. */
const schema = `longhaul_test_${process.pid}_${randomBytes(4).toString('hex')}`;

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function count(table: string, where: string, values: unknown[]): Promise<number> {
  return admin(async (c) => {
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".${table} WHERE ${where}`,
      values,
    );
    return rows[0]!.n;
  });
}

const opened: PostgresGoalStore[] = [];
function host(options: { schema?: string; url?: string } = {}): PostgresGoalStore {
  const store = new PostgresGoalStore({ url: options.url ?? url!, schema: options.schema ?? schema });
  opened.push(store);
  return store;
}

(url ? describe : describe.skip)('PostgresGoalStore', () => {
  beforeAll(async () => {
    try {
      await admin((c) => c.query('SELECT 1'));
    } catch (err) {
      throw new Error(`cannot reach ${URL_VAR} (${displayStoreUrl(url!)}): ${(err as Error).message}. ${HOW}`);
    }
  });

  afterAll(async () => {
    for (const store of opened.splice(0)) await store.close();
    await admin((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  });

  describeGoalStoreContract('PostgresGoalStore', () => new PostgresGoalStore({ url: url!, schema }));

  describe('two hosts on one database', () => {
    test('each sees the other’s writes at once', async () => {
      const [a, b] = [host(), host()];
      const G = `shared-${randomBytes(4).toString('hex')}`;
      await a.writeTurn(G, storedTurn(1, [assistant('written on host a')]));
      expect((await b.readTurn(G, 1))?.output).toEqual([assistant('written on host a')]);
      await b.writeToolResult(G, 1, result('c1', 'run on host b'));
      expect((await a.readToolResult(G, 1, 'c1'))?.output).toBe('run on host b');
      const ref = await a.putBlob(G, 'full output from a');
      expect(await b.getBlob(G, ref)).toBe('full output from a');
      await a.appendLedger(G, [{ from: 'a' }]);
      await b.appendLedger(G, [{ from: 'b' }]);
      expect(await a.readLedger(G)).toEqual([{ from: 'a' }, { from: 'b' }]);
      await b.writeSummary(G, { through: 1, text: 'by b', at: 'now' });
      expect(await a.readSummary(G)).toEqual({ through: 1, text: 'by b', at: 'now' });
    });

    test('concurrent upserts of one key from both end with one row holding one of the writes', async () => {
      const [a, b] = [host(), host()];
      const G = `race-${randomBytes(4).toString('hex')}`;
      const writes = Array.from({ length: 20 }, (_, i) => [
        (i % 2 === 0 ? a : b).writeToolResult(G, 1, result('c1', `attempt ${i}`)),
        (i % 2 === 0 ? b : a).writeTurn(G, storedTurn(1, [assistant(`attempt ${i}`)])),
        (i % 2 === 0 ? a : b).putBlob(G, 'the same output'),
        (i % 2 === 0 ? b : a).writeSummary(G, { through: i, text: `attempt ${i}`, at: 'now' }),
      ]).flat();
      await Promise.all(writes);
      expect(await count('goal_tool_results', 'goal_id = $1', [G])).toBe(1);
      expect(await count('goal_turns', 'goal_id = $1', [G])).toBe(1);
      expect(await count('goal_blobs', 'goal_id = $1', [G])).toBe(1);
      expect(await count('goal_summaries', 'goal_id = $1', [G])).toBe(1);
      expect((await a.readToolResult(G, 1, 'c1'))?.output).toMatch(/^attempt \d+$/);
      expect(await b.readToolResult(G, 1, 'c1')).toEqual(await a.readToolResult(G, 1, 'c1'));
    });

    test('concurrent ledger appends from both keep every record, each append’s records together and in order', async () => {
      const [a, b] = [host(), host()];
      const G = `appends-${randomBytes(4).toString('hex')}`;
      const batch = (who: string, n: number) => Array.from({ length: 5 }, (_, i) => ({ who, n, i }));
      await Promise.all(
        Array.from({ length: 10 }, (_, n) => [
          a.appendLedger(G, batch('a', n)),
          b.appendLedger(G, batch('b', n)),
        ]).flat(),
      );
      const ledger = (await a.readLedger(G)) as { who: string; n: number; i: number }[];
      expect(ledger).toHaveLength(100);
      for (let k = 0; k < ledger.length; k += 5) {
        const run = ledger.slice(k, k + 5);
        expect(run.map((r) => r.i)).toEqual([0, 1, 2, 3, 4]);
        expect(new Set(run.map((r) => `${r.who}${r.n}`)).size).toBe(1);
      }
    });
  });

  describe('the schema and its columns', () => {
    test('is created once, by whichever of two workers starting at once comes first, in its own schema', async () => {
      const fresh = `${schema}_init`;
      const [a, b] = [host({ schema: fresh }), host({ schema: fresh })];
      try {
        await Promise.all([
          a.readLedger('g'),
          b.appendLedger('g', [{ n: 1 }]),
          a.readSummary('g'),
          b.readTurns('g', 5),
        ]);
        const tables = await admin(async (c) => {
          const { rows } = await c.query<{ tablename: string }>(
            'SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename',
            [fresh],
          );
          return rows.map((r) => r.tablename);
        });
        expect(tables).toEqual([
          'goal_asks',
          'goal_blobs',
          'goal_ledger',
          'goal_protected_manifests',
          'goal_store',
          'goal_summaries',
          'goal_tool_results',
          'goal_turns',
        ]);
        // A later worker finds it all there.
        expect(await host({ schema: fresh }).readLedger('g')).toEqual([{ n: 1 }]);
      } finally {
        await admin((c) => c.query(`DROP SCHEMA IF EXISTS "${fresh}" CASCADE`));
      }
    });

    test('a schema name that would need quoting is refused, saying what is allowed', () => {
      expect(() => new PostgresGoalStore({ url: url!, schema: 'Longhaul; DROP' })).toThrow(
        /use lower-case letters, digits and "_"/,
      );
    });

    test('a NUL byte is stored safely: tool outputs as escaped JSON, blobs as bytes', async () => {
      const store = host();
      const G = `nul-${randomBytes(4).toString('hex')}`;
      await store.writeToolResult(G, 1, result('c1', 'a\u0000b'));
      const ref = await store.putBlob(G, 'x\u0000y');
      const raw = await admin(async (c) => {
        const r = await c.query<{ record: string }>(
          `SELECT record::text AS record FROM "${schema}".goal_tool_results WHERE goal_id = $1`,
          [G],
        );
        const b = await c.query<{ content: Buffer }>(`SELECT content FROM "${schema}".goal_blobs WHERE goal_id = $1`, [
          G,
        ]);
        return { record: r.rows[0]!.record, content: b.rows[0]!.content };
      });
      expect(raw.record).toContain('"output":"a\\u0000b"');
      expect([...raw.content]).toEqual([0x78, 0, 0x79]);
      expect(await store.getBlob(G, ref)).toBe('x\u0000y');
    });
  });

  describe('the URL’s password', () => {
    test('is not in the store’s description', () => {
      const store = host({ url: 'postgres://longhaul:s3cret-Pa55@db.example:5432/longhaul?sslmode=disable' });
      expect(store.description).toBe(`postgres://db.example:5432/longhaul (schema ${schema})`);
      expect(host({ url: 'postgresql://u:p@db/longhaul', schema: 'public' }).description).toBe(
        'postgresql://db/longhaul',
      );
    });

    test('is taken out of error messages (here a database named like the password)', async () => {
      const parsed = new URL(url!);
      const password = storeUrlPasswords(url!)[0];
      expect(password).toBeDefined();
      parsed.pathname = `/${password}`;
      const store = host({ url: parsed.toString() });
      const failure = await store.readLedger('g').then(
        () => null,
        (err: unknown) => err as Error,
      );
      expect(failure).toBeInstanceOf(Error);
      expect(failure!.message).toContain('[redacted]');
      expect(failure!.message).not.toContain(password);
      expect(failure!.stack ?? '').not.toContain(password);
    });
  });

  describe('a goal run by a worker on this store', () => {
    const suite = useServerAndFake();

    test('ends achieved; its records are in the database, only host-local files under LONGHAUL_HOME', async () => {
      const store = host();
      const goalId = `pg-goal-${randomBytes(4).toString('hex')}`;
      const h = await createHarness(suite.env, suite.fake, 'responses', { store });
      suite.fake.setScript(() => writeScore(9));
      const { outcome } = await runGoal(
        h,
        { objective: 'Raise the score', workspace: scoreWorkspace(0), metrics: [scoreMetric(9)], ...NO_FINISHING },
        goalId,
      );
      expect(outcome).toMatchObject({ status: 'achieved', turns: 1 });
      const [turn] = await store.readTurns(goalId, 100);
      expect(turn?.output).toEqual([expect.objectContaining({ type: 'tool_call', name: 'write_file' })]);
      const call = turn!.output[0] as { callId: string };
      expect(await store.readToolResult(goalId, 1, call.callId)).toMatchObject({ name: 'write_file', isError: false });
      expect((await store.readLedger(goalId)).map((r) => r['value'])).toEqual(expect.arrayContaining([0, 9]));
      // The goal's folder on this host: the progress document and the final report, none of the store's files.
      const dir = goalDir(h.home, goalId);
      expect(existsSync(path.join(dir, 'progress.md'))).toBe(true);
      const files = readdirSync(dir, { recursive: true }).map(String);
      const storeFiles =
        /(^|\/)(ledger\.jsonl|asks\.jsonl|summary\.json|protected\.json)$|^turns\/\d+\.json$|\.results\/[^/]+\.json$|^blobs\//;
      expect(files.filter((f) => storeFiles.test(f))).toEqual([]);
    });
  });

  describe('closing', () => {
    test('close() can be called twice; a closed store refuses further use', async () => {
      const store = new PostgresGoalStore({ url: url!, schema });
      await store.readLedger('g');
      await store.close();
      await store.close();
      await expect(store.readLedger('g')).rejects.toThrow('the goal store is closed');
    });
  });
});

describe('LONGHAUL_STORE_URL helpers (no server)', () => {
  test('postgres:// and postgresql:// URLs with a host are store URLs; others are not', () => {
    for (const good of ['postgres://db/longhaul', 'postgresql://u:p@127.0.0.1:5432/x', 'postgres://u@db']) {
      expect(isPostgresUrl(good)).toBe(true);
    }
    for (const bad of ['', 'db:5432', 'mysql://db/x', 'http://db/x', 'postgres://', 'postgres:///x', 'longhaul']) {
      expect(isPostgresUrl(bad)).toBe(false);
    }
  });

  test('passwords are found as written and decoded, also as a parameter', () => {
    expect(storeUrlPasswords('postgres://u:p%40ss%2Fword@db/x')).toEqual(['p%40ss%2Fword', 'p@ss/word']);
    expect(storeUrlPasswords('postgres://u@db/x?password=in-param')).toEqual(['in-param']);
    expect(storeUrlPasswords('postgres://db/x')).toEqual([]);
    expect(displayStoreUrl('postgres://u:p%40ss@db:5433/x?password=q')).toBe('postgres://db:5433/x');
  });
});
