/**
 * The PostgreSQL goal store, for workers on several hosts sharing one database (LONGHAUL_STORE_URL). The tables
 * are created on first use, idempotently, under an advisory lock (two workers starting at once do not race), in
 * a configurable schema:
 *
 *   goal_turns (goal_id, turn)                       a turn (StoredTurn)                         upsert
 *   goal_tool_results (goal_id, turn, call_id)       a tool call's result (StoredToolResult)     upsert
 *   goal_blobs (goal_id, digest)                     full outputs, content-addressed (bytea)     insert once
 *   goal_ledger (goal_id, seq)                       the measurement ledger                      ordered append
 *   goal_asks (goal_id, seq)                         the ask log                                 ordered append
 *   goal_summaries (goal_id)                         the compaction summary                      upsert
 *   goal_protected_manifests (goal_id)               the protected paths' manifest               upsert
 *   goal_store (one row)                             the store's id (storeId)                    insert once
 *
 * Records are `json` (not `jsonb`): the text is kept as written, so a record reads back exactly (key order, and
 * a NUL character, which JSON escapes as \u0000 and `jsonb` and `text` reject). Blobs are UTF-8 bytes (`bytea`),
 * NULs included. Ids are stored as given when they are short and plain, else by their sha256.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import type { ProtectedManifest } from '../security/protected-paths';
import {
  blobDigest,
  blobNotFound,
  type GoalStore,
  type StoredAsk,
  type StoredSummary,
  type StoredToolResult,
  type StoredTurn,
  type TurnVersion,
} from './types';
import { displayStoreUrl, SCHEMA_NAME, storeUrlPasswords } from './settings';

export interface PostgresGoalStoreOptions {
  /** A postgres:// or postgresql:// URL (LONGHAUL_STORE_URL). */
  readonly url: string;
  /** The schema of the tables, created if missing: lower-case letters, digits and "_". @default 'public' */
  readonly schema?: string;
  /** Connections held at most; queries wait for a free one. @default 4 */
  readonly maxConnections?: number;
}

const TABLES = [
  'goal_turns',
  'goal_tool_results',
  'goal_blobs',
  'goal_ledger',
  'goal_asks',
  'goal_summaries',
  'goal_protected_manifests',
  'goal_store',
] as const;

function ddl(s: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${s}.goal_turns (
      goal_id text NOT NULL,
      turn integer NOT NULL,
      record json NOT NULL,
      written_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (goal_id, turn))`,
    `CREATE TABLE IF NOT EXISTS ${s}.goal_tool_results (
      goal_id text NOT NULL,
      turn integer NOT NULL,
      call_id text NOT NULL,
      record json NOT NULL,
      written_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (goal_id, turn, call_id))`,
    `CREATE TABLE IF NOT EXISTS ${s}.goal_blobs (
      goal_id text NOT NULL,
      digest text NOT NULL,
      content bytea NOT NULL,
      written_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (goal_id, digest))`,
    `CREATE TABLE IF NOT EXISTS ${s}.goal_ledger (
      goal_id text NOT NULL,
      seq bigint GENERATED ALWAYS AS IDENTITY,
      record json NOT NULL,
      written_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (goal_id, seq))`,
    `CREATE TABLE IF NOT EXISTS ${s}.goal_asks (
      goal_id text NOT NULL,
      seq bigint GENERATED ALWAYS AS IDENTITY,
      record json NOT NULL,
      written_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (goal_id, seq))`,
    `CREATE TABLE IF NOT EXISTS ${s}.goal_summaries (
      goal_id text PRIMARY KEY,
      record json NOT NULL,
      written_at timestamptz NOT NULL DEFAULT now())`,
    `CREATE TABLE IF NOT EXISTS ${s}.goal_protected_manifests (
      goal_id text PRIMARY KEY,
      record json NOT NULL,
      written_at timestamptz NOT NULL DEFAULT now())`,
    `CREATE TABLE IF NOT EXISTS ${s}.goal_store (
      one boolean PRIMARY KEY DEFAULT true CHECK (one),
      store_id text NOT NULL,
      written_at timestamptz NOT NULL DEFAULT now())`,
  ];
}

/** Ids longer than this (or with a NUL, which `text` rejects) are stored as their digest. */
const MAX_PLAIN_ID = 200;
const HASHED = 'sha256:';

/** The key column of an id: the id itself when short and plain, else `sha256:<hex>` (one-to-one either way). */
function key(id: string): string {
  return id.length <= MAX_PLAIN_ID && !id.includes('\0') && !id.startsWith(HASHED)
    ? id
    : `${HASHED}${createHash('sha256').update(id).digest('hex')}`;
}

export class PostgresGoalStore implements GoalStore {
  readonly description: string;
  readonly schema: string;
  private readonly pool: Pool;
  /** The URL's password in its forms: removed from every error message, which may reach workflow history. */
  private readonly passwords: string[];
  private readonly s: string;
  private ready: Promise<void> | null = null;
  private closed = false;
  private id: Promise<string> | null = null;

  constructor(options: PostgresGoalStoreOptions) {
    this.schema = options.schema ?? 'public';
    if (!SCHEMA_NAME.test(this.schema)) {
      throw new Error(`goal store schema "${this.schema}": use lower-case letters, digits and "_", e.g. longhaul`);
    }
    this.s = `"${this.schema}"`;
    this.description = displayStoreUrl(options.url) + (this.schema === 'public' ? '' : ` (schema ${this.schema})`);
    this.passwords = storeUrlPasswords(options.url);
    this.pool = new Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 4,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 15_000,
      // A query that hangs (a lost connection, a lock) fails and the activity is retried, rather than waiting forever.
      query_timeout: 120_000,
      keepAlive: true,
      allowExitOnIdle: true,
      application_name: 'longhaul-worker',
    });
    // An idle connection that breaks (the server restarted) is dropped by the pool and replaced on the next query;
    // without a listener, the error would end the process.
    this.pool.on('error', () => undefined);
  }

  /** The row of goal_store; the first caller inserts it (of two at once, one wins). One id per schema. */
  storeId(): Promise<string> {
    this.id ??= this.readOrCreateId().catch((err: unknown) => {
      this.id = null; // e.g. the database is not up yet: the next call tries again
      throw err;
    });
    return this.id;
  }

  private async readOrCreateId(): Promise<string> {
    await this.query(`INSERT INTO ${this.s}.goal_store (store_id) VALUES ($1) ON CONFLICT (one) DO NOTHING`, [
      randomUUID(),
    ]);
    const { rows } = await this.query<{ store_id: string }>(`SELECT store_id FROM ${this.s}.goal_store`, []);
    const row = rows[0];
    if (!row) throw new Error(`the goal store ${this.description} has no row in goal_store after inserting one`);
    return row.store_id;
  }

  async writeTurn(goalId: string, turn: StoredTurn): Promise<void> {
    await this.query(
      `INSERT INTO ${this.s}.goal_turns (goal_id, turn, record) VALUES ($1, $2, $3::json)
       ON CONFLICT (goal_id, turn) DO UPDATE SET record = EXCLUDED.record, written_at = now()`,
      [key(goalId), turn.turn, JSON.stringify(turn)],
    );
  }

  async readTurn(goalId: string, turn: number): Promise<StoredTurn | null> {
    return this.one<StoredTurn>(`SELECT record FROM ${this.s}.goal_turns WHERE goal_id = $1 AND turn = $2`, [
      key(goalId),
      turn,
    ]);
  }

  async turnNumbers(goalId: string, beforeTurn: number): Promise<number[]> {
    const { rows } = await this.query<{ turn: number }>(
      `SELECT turn FROM ${this.s}.goal_turns WHERE goal_id = $1 AND turn < $2 ORDER BY turn`,
      [key(goalId), bound(beforeTurn)],
    );
    return rows.map((r) => r.turn);
  }

  /** Each turn's written_at (set again by every upsert) as its version, from the same index scan as turnNumbers. */
  async turnVersions(goalId: string, beforeTurn: number, afterTurn = 0): Promise<TurnVersion[]> {
    const { rows } = await this.query<{ turn: number; version: string }>(
      `SELECT turn, written_at::text AS version FROM ${this.s}.goal_turns
       WHERE goal_id = $1 AND turn < $2 AND turn > $3 ORDER BY turn`,
      [key(goalId), bound(beforeTurn), Math.max(-1, Math.min(Math.floor(afterTurn), 2_147_483_647))],
    );
    return rows.map((r) => ({ turn: r.turn, version: r.version }));
  }

  async readTurns(goalId: string, beforeTurn: number, last = Infinity): Promise<StoredTurn[]> {
    // The last `last` turns, as the file store's slice(-last) takes them (0 or less: all).
    const limit = Number.isFinite(last) && last > 0 ? Math.floor(last) : null;
    const { rows } = await this.query<{ record: StoredTurn }>(
      `SELECT record FROM (
         SELECT turn, record FROM ${this.s}.goal_turns WHERE goal_id = $1 AND turn < $2 ORDER BY turn DESC LIMIT $3
       ) t ORDER BY turn`,
      [key(goalId), bound(beforeTurn), limit],
    );
    return rows.map((r) => r.record);
  }

  async writeToolResult(goalId: string, turn: number, result: StoredToolResult): Promise<void> {
    await this.query(
      `INSERT INTO ${this.s}.goal_tool_results (goal_id, turn, call_id, record) VALUES ($1, $2, $3, $4::json)
       ON CONFLICT (goal_id, turn, call_id) DO UPDATE SET record = EXCLUDED.record, written_at = now()`,
      [key(goalId), turn, key(result.callId), JSON.stringify(result)],
    );
  }

  async readToolResult(goalId: string, turn: number, callId: string): Promise<StoredToolResult | null> {
    return this.one<StoredToolResult>(
      `SELECT record FROM ${this.s}.goal_tool_results WHERE goal_id = $1 AND turn = $2 AND call_id = $3`,
      [key(goalId), turn, key(callId)],
    );
  }

  async putBlob(goalId: string, text: string): Promise<string> {
    const bytes = Buffer.from(text, 'utf8');
    const digest = createHash('sha256').update(bytes).digest('hex');
    await this.query(
      `INSERT INTO ${this.s}.goal_blobs (goal_id, digest, content) VALUES ($1, $2, $3)
       ON CONFLICT (goal_id, digest) DO NOTHING`,
      [key(goalId), digest, bytes],
    );
    return `blob:${digest}`;
  }

  async getBlob(goalId: string, ref: string): Promise<string> {
    const digest = blobDigest(ref);
    const { rows } = await this.query<{ content: Buffer }>(
      `SELECT content FROM ${this.s}.goal_blobs WHERE goal_id = $1 AND digest = $2`,
      [key(goalId), digest],
    );
    const row = rows[0];
    if (!row) throw blobNotFound(goalId, ref);
    return row.content.toString('utf8');
  }

  async appendLedger(goalId: string, records: readonly object[]): Promise<void> {
    await this.append('goal_ledger', goalId, records);
  }

  async readLedger(goalId: string): Promise<Record<string, unknown>[]> {
    return this.all<Record<string, unknown>>(
      `SELECT record FROM ${this.s}.goal_ledger WHERE goal_id = $1 ORDER BY seq`,
      goalId,
    );
  }

  async readSummary(goalId: string): Promise<StoredSummary | null> {
    return this.one<StoredSummary>(`SELECT record FROM ${this.s}.goal_summaries WHERE goal_id = $1`, [key(goalId)]);
  }

  async writeSummary(goalId: string, summary: StoredSummary): Promise<void> {
    await this.upsertByGoal('goal_summaries', goalId, summary);
  }

  async readProtectedManifest(goalId: string): Promise<ProtectedManifest | null> {
    return this.one<ProtectedManifest>(`SELECT record FROM ${this.s}.goal_protected_manifests WHERE goal_id = $1`, [
      key(goalId),
    ]);
  }

  async writeProtectedManifest(goalId: string, manifest: ProtectedManifest): Promise<void> {
    await this.upsertByGoal('goal_protected_manifests', goalId, manifest);
  }

  async appendAsk(goalId: string, record: StoredAsk): Promise<void> {
    await this.append('goal_asks', goalId, [record]);
  }

  async readAsks(goalId: string): Promise<StoredAsk[]> {
    return this.all<StoredAsk>(`SELECT record FROM ${this.s}.goal_asks WHERE goal_id = $1 ORDER BY seq`, goalId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async upsertByGoal(table: (typeof TABLES)[number], goalId: string, record: object): Promise<void> {
    await this.query(
      `INSERT INTO ${this.s}.${table} (goal_id, record) VALUES ($1, $2::json)
       ON CONFLICT (goal_id) DO UPDATE SET record = EXCLUDED.record, written_at = now()`,
      [key(goalId), JSON.stringify(record)],
    );
  }

  /**
   * Appends records in one transaction (all or none), in their order; under a lock per goal and table, so the
   * records of one append are consecutive and a reader never sees a later append without an earlier one.
   */
  private async append(table: 'goal_ledger' | 'goal_asks', goalId: string, records: readonly object[]): Promise<void> {
    if (records.length === 0) return;
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
        `${this.schema}.${table}`,
        key(goalId),
      ]);
      await client.query(
        `INSERT INTO ${this.s}.${table} (goal_id, record)
         SELECT $1, u.record::json FROM unnest($2::text[]) WITH ORDINALITY AS u(record, n) ORDER BY u.n`,
        [key(goalId), records.map((r) => JSON.stringify(r))],
      );
    });
  }

  private async one<T>(text: string, values: unknown[]): Promise<T | null> {
    const { rows } = await this.query<{ record: T }>(text, values);
    return rows[0]?.record ?? null;
  }

  private async all<T>(text: string, goalId: string): Promise<T[]> {
    const { rows } = await this.query<{ record: T }>(text, [key(goalId)]);
    return rows.map((r) => r.record);
  }

  private async query<R extends QueryResultRow>(text: string, values: unknown[]) {
    await this.ensureSchema();
    try {
      return await this.pool.query<R>(text, values);
    } catch (err) {
      throw this.scrubbed(err);
    }
  }

  private async transaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    await this.ensureSchema();
    await this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        await work(client);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** A pooled connection for `work`; one that failed is discarded rather than handed out again. */
  private async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.scrubbed(err);
    }
    try {
      const result = await work(client);
      client.release();
      return result;
    } catch (err) {
      client.release(true);
      throw this.scrubbed(err);
    }
  }

  /** Creates the schema and tables once per store (again after a failure, e.g. the database was not up yet). */
  private ensureSchema(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the goal store is closed'));
    this.ready ??= this.createSchema().catch((err: unknown) => {
      this.ready = null;
      throw err;
    });
    return this.ready;
  }

  private async createSchema(): Promise<void> {
    await this.withClient(async (client) => {
      // Already there (the usual start, and the only one for a role that may not create tables): no DDL, no lock.
      const existing = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = ANY($2::text[])',
        [this.schema, [...TABLES]],
      );
      if (existing.rows[0]?.n === TABLES.length) return;
      await client.query('BEGIN');
      try {
        // Two workers starting at once: the second waits here, then finds everything created.
        await client.query("SELECT pg_advisory_xact_lock(hashtext('longhaul goal store schema'))");
        const schema = await client.query('SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', [this.schema]);
        if (schema.rowCount === 0) await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.s}`);
        for (const statement of ddl(this.s)) await client.query(statement);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** The error with the URL's password taken out of its message and stack. */
  private scrubbed(err: unknown): unknown {
    if (!(err instanceof Error) || this.passwords.length === 0) return err;
    const scrub = (text: string) => this.passwords.reduce((t, p) => t.split(p).join('[redacted]'), text);
    err.message = scrub(err.message);
    if (err.stack) err.stack = scrub(err.stack);
    return err;
  }
}

/** A turn bound as a query parameter: Infinity (every turn) as the largest integer column value. */
function bound(beforeTurn: number): number {
  return Number.isFinite(beforeTurn) ? Math.min(beforeTurn, 2_147_483_647) : 2_147_483_647;
}
