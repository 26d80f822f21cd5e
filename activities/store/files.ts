/**
 * The file goal store: files under LONGHAUL_HOME/goals/<goal>, for workers on one host (the default). Writes
 * are atomic (temp file + rename) and keyed by turn/call, so a retried activity overwrites rather than duplicates.
 *
 *   turns/000017.json                  a turn (StoredTurn)
 *   turns/000017.results/<call>.json   a tool call's result (StoredToolResult)
 *   blobs/<sha256>.txt                 full outputs
 *   ledger.jsonl, asks.jsonl           the ledger and the ask log, one JSON record a line
 *   summary.json, protected.json       the compaction summary, the protected paths' manifest
 *
 * and LONGHAUL_HOME/goal-store-id, the store's id (storeId).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { goalDir, padTurn, toolResultFile } from '../../common/goal-files';
import type { ProtectedManifest } from '../security/protected-paths';
import {
  blobDigest,
  type GoalStore,
  type StoredAsk,
  type StoredSummary,
  type StoredToolResult,
  type StoredTurn,
  type TurnVersion,
} from './types';

/** The file of the store's id, under LONGHAUL_HOME. */
export const STORE_ID_FILE = 'goal-store-id';

export class FileGoalStore implements GoalStore {
  private id: Promise<string> | null = null;

  constructor(readonly home: string) {}

  get description(): string {
    return this.home;
  }

  /** Read from LONGHAUL_HOME/goal-store-id; the first caller creates it (of two at once, one wins). */
  storeId(): Promise<string> {
    this.id ??= readOrCreateId(path.join(this.home, STORE_ID_FILE)).catch((err: unknown) => {
      this.id = null; // e.g. LONGHAUL_HOME not writable yet: the next call tries again
      throw err;
    });
    return this.id;
  }

  async writeTurn(goalId: string, turn: StoredTurn): Promise<void> {
    await writeJson(this.turnFile(goalId, turn.turn), turn);
  }

  async readTurn(goalId: string, turn: number): Promise<StoredTurn | null> {
    return readJson<StoredTurn>(this.turnFile(goalId, turn));
  }

  /** A listing of the turns folder; no turn is read. */
  async turnNumbers(goalId: string, beforeTurn: number): Promise<number[]> {
    const names = await fs.readdir(path.join(this.dir(goalId), 'turns')).catch(() => [] as string[]);
    return names
      .filter((n) => /^\d+\.json$/.test(n))
      .map((n) => Number(n.slice(0, -5)))
      .filter((t) => t < beforeTurn)
      .sort((a, b) => a - b);
  }

  /**
   * The listing, and each turn file's inode, change time and size as its version: a write replaces the file by a
   * rename, so a turn written again has a new inode and a later change time.
   */
  async turnVersions(goalId: string, beforeTurn: number, afterTurn = 0): Promise<TurnVersion[]> {
    const numbers = (await this.turnNumbers(goalId, beforeTurn)).filter((t) => t > afterTurn); // only these stat'ed
    const versions = await Promise.all(
      numbers.map(async (turn) => {
        const stat = await fs
          .stat(this.turnFile(goalId, turn), { bigint: true })
          .catch((err: NodeJS.ErrnoException) => {
            if (err.code === 'ENOENT') return null; // removed since the listing
            throw err;
          });
        return stat ? { turn, version: `${stat.ino}:${stat.ctimeNs}:${stat.size}` } : null;
      }),
    );
    return versions.filter((v): v is TurnVersion => v !== null);
  }

  async readTurns(goalId: string, beforeTurn: number, last = Infinity): Promise<StoredTurn[]> {
    const turns = (await this.turnNumbers(goalId, beforeTurn)).slice(-last);
    const out: StoredTurn[] = [];
    for (const t of turns) {
      const turn = await this.readTurn(goalId, t);
      if (turn) out.push(turn);
    }
    return out;
  }

  async writeToolResult(goalId: string, turn: number, result: StoredToolResult): Promise<void> {
    await writeJson(toolResultFile(this.home, goalId, turn, result.callId), result);
  }

  async readToolResult(goalId: string, turn: number, callId: string): Promise<StoredToolResult | null> {
    return readJson<StoredToolResult>(toolResultFile(this.home, goalId, turn, callId));
  }

  async putBlob(goalId: string, text: string): Promise<string> {
    const digest = createHash('sha256').update(text).digest('hex');
    const file = path.join(this.dir(goalId), 'blobs', `${digest}.txt`);
    await fs.access(file).catch(() => writeText(file, text));
    return `blob:${digest}`;
  }

  /** An unknown blob rejects with the file system's ENOENT error. */
  async getBlob(goalId: string, ref: string): Promise<string> {
    return fs.readFile(this.blobPath(goalId, ref), 'utf8');
  }

  /** Path of a blob on disk, for humans reading the store (no other store has one). */
  blobPath(goalId: string, ref: string): string {
    return path.join(this.dir(goalId), 'blobs', `${blobDigest(ref)}.txt`);
  }

  async appendLedger(goalId: string, records: readonly object[]): Promise<void> {
    await appendLines(path.join(this.dir(goalId), 'ledger.jsonl'), records);
  }

  async readLedger(goalId: string): Promise<Record<string, unknown>[]> {
    return readLines<Record<string, unknown>>(path.join(this.dir(goalId), 'ledger.jsonl'));
  }

  async readSummary(goalId: string): Promise<StoredSummary | null> {
    return readJson<StoredSummary>(path.join(this.dir(goalId), 'summary.json'));
  }

  async writeSummary(goalId: string, summary: StoredSummary): Promise<void> {
    await writeJson(path.join(this.dir(goalId), 'summary.json'), summary);
  }

  async readProtectedManifest(goalId: string): Promise<ProtectedManifest | null> {
    return readJson<ProtectedManifest>(path.join(this.dir(goalId), 'protected.json'));
  }

  async writeProtectedManifest(goalId: string, manifest: ProtectedManifest): Promise<void> {
    await writeJson(path.join(this.dir(goalId), 'protected.json'), manifest);
  }

  async appendAsk(goalId: string, record: StoredAsk): Promise<void> {
    await appendLines(path.join(this.dir(goalId), 'asks.jsonl'), [record]);
  }

  async readAsks(goalId: string): Promise<StoredAsk[]> {
    return readLines<StoredAsk>(path.join(this.dir(goalId), 'asks.jsonl'));
  }

  async close(): Promise<void> {
    // Nothing is held open between calls.
  }

  private dir(goalId: string): string {
    return goalDir(this.home, goalId);
  }

  private turnFile(goalId: string, turn: number): string {
    return path.join(this.dir(goalId), 'turns', `${padTurn(turn)}.json`);
  }
}

/** The id in `file`, written there (atomically, never replacing one) when there is none. */
async function readOrCreateId(file: string): Promise<string> {
  const existing = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (existing !== null && existing.trim() !== '') return existing.trim();
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(tmp, `${randomUUID()}\n`);
  try {
    await fs.link(tmp, file); // fails with EEXIST when another worker created it first: then its id is the id
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await fs.rm(tmp, { force: true });
  }
  return (await fs.readFile(file, 'utf8')).trim();
}

async function writeJson(file: string, data: unknown): Promise<void> {
  await writeText(file, JSON.stringify(data, null, 1));
}

async function writeText(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, text);
    await fs.rename(tmp, file); // readers see the old file or the new one, never half of one
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Appends records as JSON lines, after cutting off a line an earlier append left half-written. */
async function appendLines(file: string, records: readonly object[]): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await dropTornLine(file); // an append that failed half-way (disk full) left part of a line: cut it off first
  await fs.appendFile(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/** The records of a JSON-lines file ([] when there is none); a torn last line is never read back. */
async function readLines<T>(file: string): Promise<T[]> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const lines = text.split('\n');
  lines.pop(); // after the last newline: empty, or a torn append that is never read back
  return lines.filter(Boolean).map((l) => JSON.parse(l) as T);
}

/** Truncates `file` after its last newline if it does not end with one (a torn append); a missing file is fine. */
async function dropTornLine(file: string): Promise<void> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    let end = size;
    const chunk = Buffer.alloc(4096);
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await handle.read(chunk, 0, end - start, start);
      const at = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (at >= 0) {
        if (start + at + 1 < size) await handle.truncate(start + at + 1);
        return;
      }
      end = start;
    }
    if (size > 0) await handle.truncate(0);
  } finally {
    await handle.close();
  }
}
