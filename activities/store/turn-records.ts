/**
 * What a model turn's context is read from: the stored turns and their tool results, either straight from the goal
 * store or through a worker's cache of them, so that a turn reads only the records written since the last one.
 *
 * The cache is safe for workers sharing a store, restarts and goals that move: the list of turns always comes from
 * the store (turnVersions, one listing), and an entry is used only under the version the store lists for its turn
 * now. A turn written again (a retried activity, a reset, a goal id used again) has another version, so its cached
 * record and its tool results are read again. A tool result is written once per call (executeTool returns a stored
 * one as is), so it is cached under its turn's version; a record not (yet) stored is never cached.
 */
import { LRUCache } from 'lru-cache';
import type { GoalStore, StoredToolResult, StoredTurn, TurnVersion } from './types';

export interface TurnRecords {
  /** The stored turns after `afterTurn` and before `beforeTurn`, in order, with their versions: always from the store. */
  list(goalId: string, beforeTurn: number, afterTurn: number): Promise<TurnVersion[]>;
  /** A listed turn's record (null when it is gone). */
  turn(goalId: string, at: TurnVersion): Promise<StoredTurn | null>;
  /** A call's result in a listed turn (null when it is not stored). */
  toolResult(goalId: string, at: TurnVersion, callId: string): Promise<StoredToolResult | null>;
}

/** Every record read from the store each time (what the context was built from before the cache). */
export function storeRecords(store: GoalStore): TurnRecords {
  return {
    list: (goalId, beforeTurn, afterTurn) => store.turnVersions(goalId, beforeTurn, afterTurn),
    turn: (goalId, at) => store.readTurn(goalId, at.turn),
    toolResult: (goalId, at, callId) => store.readToolResult(goalId, at.turn, callId),
  };
}

export interface TurnRecordCacheOptions {
  /** Bytes held at most for all goals together (estimated: two per character, plus a little per record). @default 64 MiB */
  readonly maxBytes?: number;
  /** Bytes held at most for one goal; its least recently used records go first. @default 4 MiB */
  readonly maxGoalBytes?: number;
  /** A goal not read for this long is dropped (it ended, or moved to another worker). @default 30 minutes */
  readonly idleMs?: number;
  /** The clock of idleMs (tests pass their own). @default performance */
  readonly clock?: { now(): number };
}

export const TURN_RECORD_CACHE_DEFAULTS = {
  maxBytes: 64 * 1024 * 1024,
  maxGoalBytes: 4 * 1024 * 1024,
  idleMs: 30 * 60_000,
} as const;

type CachedRecord = StoredTurn | StoredToolResult;

/** A worker process's cache of turn records and tool results, per goal, bounded per goal and in all. */
export class CachedTurnRecords implements TurnRecords {
  private readonly options: Required<Omit<TurnRecordCacheOptions, 'clock'>>;
  private readonly goals: LRUCache<string, LRUCache<string, CachedRecord>>;
  /** The sum of every goal's calculatedSize, kept as they change (not added up on each read). */
  private total = 0;
  private lastPurge = Date.now();

  constructor(
    private readonly store: GoalStore,
    options: TurnRecordCacheOptions = {},
  ) {
    const { clock: _clock, ...bounds } = options;
    this.options = { ...TURN_RECORD_CACHE_DEFAULTS, ...bounds };
    if (!(this.options.maxGoalBytes > 0 && this.options.maxBytes >= this.options.maxGoalBytes)) {
      throw new Error(
        `turn record cache: maxGoalBytes (${this.options.maxGoalBytes}) must be > 0 and at most maxBytes (${this.options.maxBytes})`,
      );
    }
    this.goals = new LRUCache({
      max: 100_000,
      ttl: this.options.idleMs,
      updateAgeOnGet: true,
      // A goal dropped whole (idle, over the total, forgotten): what it held leaves the total.
      dispose: (records) => {
        this.total -= records.calculatedSize;
      },
      ...(options.clock ? { perf: options.clock, ttlResolution: 0 } : {}), // read the given clock every time
    });
  }

  /** Bytes the cache holds now (its estimate), for all goals. */
  get bytes(): number {
    return this.total;
  }

  /** Records held for a goal now. */
  entries(goalId: string): number {
    return this.goals.peek(goalId)?.size ?? 0;
  }

  list(goalId: string, beforeTurn: number, afterTurn: number): Promise<TurnVersion[]> {
    return this.store.turnVersions(goalId, beforeTurn, afterTurn);
  }

  turn(goalId: string, at: TurnVersion): Promise<StoredTurn | null> {
    return this.read(goalId, `t\0${at.turn}\0${at.version}`, () => this.store.readTurn(goalId, at.turn), turnBytes);
  }

  toolResult(goalId: string, at: TurnVersion, callId: string): Promise<StoredToolResult | null> {
    return this.read(
      goalId,
      `r\0${at.turn}\0${at.version}\0${callId}`,
      () => this.store.readToolResult(goalId, at.turn, callId),
      resultBytes,
    );
  }

  /** Drops what is held for a goal (it ended). */
  forget(goalId: string): void {
    this.goals.delete(goalId);
  }

  private async read<T extends CachedRecord>(
    goalId: string,
    key: string,
    load: () => Promise<T | null>,
    bytesOf: (record: T) => number,
  ): Promise<T | null> {
    const hit = this.goals.get(goalId)?.get(key);
    if (hit) return hit as T;
    const record = await load();
    if (record === null) return null; // may be written later: never cached
    const size = bytesOf(record);
    if (size > this.options.maxGoalBytes) return record; // larger than a goal's share: not worth evicting the rest for
    const records = this.goalRecords(goalId);
    const before = records.calculatedSize;
    records.set(key, record, { size }); // may evict the goal's least recently read records
    this.total += records.calculatedSize - before;
    this.enforceTotal(goalId);
    return record;
  }

  private goalRecords(goalId: string): LRUCache<string, CachedRecord> {
    let records = this.goals.get(goalId);
    if (!records) {
      // Full: the goal's least recently read records go first (every set gives its record's size).
      records = new LRUCache<string, CachedRecord>({ maxSize: this.options.maxGoalBytes });
      this.goals.set(goalId, records);
    }
    return records;
  }

  /** Over the total: drops the goals read least recently (never the one just read), then idle ones. */
  private enforceTotal(current: string): void {
    const now = Date.now();
    if (now - this.lastPurge > 60_000) {
      this.lastPurge = now;
      this.goals.purgeStale(); // idle goals leave the total, not only when read again
    }
    while (this.bytes > this.options.maxBytes) {
      const oldest = this.goals.rkeys().next();
      if (oldest.done || oldest.value === current) break;
      this.goals.delete(oldest.value);
    }
  }
}

function turnBytes(turn: StoredTurn): number {
  return 256 + 2 * (textChars(turn.notes) + textChars(turn.output));
}

function resultBytes(result: StoredToolResult): number {
  return 256 + 2 * (result.output.length + result.summary.length + result.name.length);
}

function textChars(items: StoredTurn['output']): number {
  return items.reduce(
    (n, i) =>
      n + 64 + (i.type === 'message' ? i.text.length : i.type === 'tool_call' ? i.arguments.length : i.output.length),
    0,
  );
}
