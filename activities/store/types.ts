/**
 * The goal store: everything of a goal too large for workflow history (transcript, full tool outputs, the
 * measurement ledger, the compaction summary, the protected-paths manifest, side questions). Two
 * implementations: files under LONGHAUL_HOME (files.ts, the default) and PostgreSQL (postgres.ts, for workers on
 * several hosts); open.ts picks one from the configuration.
 *
 * Keyed writes (a turn, a tool result, the summary, the manifest) replace what the key held, so a retried activity
 * overwrites rather than duplicates; blobs are content-addressed; the ledger and the ask log are ordered appends.
 * Host-local files (progress pages, reports, the baseline worktree, draft copies, tool process ids) are not the
 * store's: see ../goal-files.ts.
 */
import type { MessageItem, TokenUsage, ToolCallItem, TranscriptItem } from '../../goal/transcript';
import type { ToolControl } from '../../goal/tools';
import type { ProtectedManifest } from '../security/protected-paths';

/** One model turn as stored: the orchestrator's notes given to the model, and what the model produced. */
export interface StoredTurn {
  readonly turn: number;
  readonly notes: readonly MessageItem[];
  readonly output: readonly TranscriptItem[];
  readonly usage: TokenUsage;
  readonly at: string;
}

/** A stored turn's number and a token that changes whenever the turn is written again (a retry, a reused goal id). */
export interface TurnVersion {
  readonly turn: number;
  readonly version: string;
}

export interface StoredToolResult {
  readonly callId: string;
  readonly name: string;
  readonly output: string;
  readonly isError: boolean;
  readonly summary: string;
  readonly control?: ToolControl;
  readonly fullOutputRef?: string;
  /** A write refused on a protected path: which, and why. */
  readonly refused?: { readonly path: string; readonly reason: string };
}

/** A model-written summary of turns 1..through, standing in for them in the context. */
export interface StoredSummary {
  readonly through: number;
  readonly text: string;
  readonly at: string;
  /** The compaction activity that wrote it and what it spent (absent: written inside a model turn). */
  readonly by?: { readonly key: string; readonly usage: TokenUsage };
}

/** A side question asked of a running goal and its answer (the ask log; never part of the transcript). */
export interface StoredAsk {
  readonly at: string;
  readonly turn: number;
  readonly question: string;
  readonly answer: string;
}

export interface GoalStore {
  /** Where the store is, for people: a folder, or a database URL without its password. */
  readonly description: string;

  /**
   * The store's id: random, written into the store by the first caller (a worker at start-up), then the same for
   * every worker that opens this store. Two workers see each other's goal records only if their ids are equal.
   */
  storeId(): Promise<string>;

  /** Stores a turn, replacing one stored under the same number. */
  writeTurn(goalId: string, turn: StoredTurn): Promise<void>;
  readTurn(goalId: string, turn: number): Promise<StoredTurn | null>;
  /** The numbers of the stored turns before `beforeTurn`, in order (no turn is read). */
  turnNumbers(goalId: string, beforeTurn: number): Promise<number[]>;
  /**
   * The stored turns after `afterTurn` (default 0) and before `beforeTurn`, in order, each with its version (no turn
   * is read): what a worker's cache of turn records checks its entries against (activities/store/turn-records.ts).
   */
  turnVersions(goalId: string, beforeTurn: number, afterTurn?: number): Promise<TurnVersion[]>;
  /** The stored turns before `beforeTurn`, oldest first (optionally only the last `last` of them). */
  readTurns(goalId: string, beforeTurn: number, last?: number): Promise<StoredTurn[]>;
  /** A call the model made in a stored turn, by its id; null when the turn or the call is not stored. */

  /** Stores a tool call's result under its turn and call id, replacing one stored before. */
  writeToolResult(goalId: string, turn: number, result: StoredToolResult): Promise<void>;
  readToolResult(goalId: string, turn: number, callId: string): Promise<StoredToolResult | null>;

  /** Stores a large text (a full tool output) once per content and returns its reference: `blob:<sha256>`. */
  putBlob(goalId: string, text: string): Promise<string>;
  /**
   * The text of a reference of putBlob (the bare digest works too). Rejects what is not a sha256 reference, and
   * a reference the goal does not hold with an error whose `code` is 'ENOENT'.
   */
  getBlob(goalId: string, ref: string): Promise<string>;

  /** Appends records to the measurement ledger, after those appended before, all or none of them. */
  appendLedger(goalId: string, records: readonly object[]): Promise<void>;
  /** The ledger's records in the order they were appended ([] before the first). */
  readLedger(goalId: string): Promise<Record<string, unknown>[]>;

  /** The summary of the oldest turns (compaction), or null before the first. */
  readSummary(goalId: string): Promise<StoredSummary | null>;
  /** Replaces the summary: readers see the old or the new one, never half of either. */
  writeSummary(goalId: string, summary: StoredSummary): Promise<void>;

  /** The protected paths' manifest taken at baseline (null before it). It never changes afterwards. */
  readProtectedManifest(goalId: string): Promise<ProtectedManifest | null>;
  writeProtectedManifest(goalId: string, manifest: ProtectedManifest): Promise<void>;

  /** Appends a side question and its answer to the goal's ask log. */
  appendAsk(goalId: string, record: StoredAsk): Promise<void>;
  /** The ask log, oldest first. */
  readAsks(goalId: string): Promise<StoredAsk[]>;

  /** Releases what the store holds open (database connections); the store is not used afterwards. */
  close(): Promise<void>;
}

/** The sha256 hex digest a blob reference (`blob:<sha256>` or the bare digest) names; throws for anything else. */
export function blobDigest(ref: string): string {
  const digest = ref.replace(/^blob:/, '');
  if (!/^[0-9a-f]{64}$/.test(digest)) throw new Error(`not a blob reference: ${ref}`);
  return digest;
}

/** The error of getBlob for a well-formed reference the goal does not hold. */
export function blobNotFound(goalId: string, ref: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`no blob ${ref} in the goal store of ${goalId}`), { code: 'ENOENT' });
}

/** A tool call of a stored turn, by its id (null when the turn or the call is not stored); one rule for every store. */
export async function findToolCall(
  store: Pick<GoalStore, 'readTurn'>,
  goalId: string,
  turn: number,
  callId: string,
): Promise<ToolCallItem | null> {
  const stored = await store.readTurn(goalId, turn);
  return stored?.output.find((i): i is ToolCallItem => i.type === 'tool_call' && i.callId === callId) ?? null;
}
