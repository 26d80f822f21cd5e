/**
 * The goal store: everything too large for workflow history (transcript, full tool outputs, the
 * measurement ledger), as files under LONGHAUL_HOME/goals/<goal>. Writes are atomic (temp file +
 * rename) and keyed by turn/call, so a retried activity overwrites rather than duplicates.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ToolCallItem, TranscriptItem, MessageItem } from '../goal/transcript';
import type { ToolControl } from '../goal/tools';
import type { ProtectedManifest } from './integrity';

/** One model turn as stored: the orchestrator's notes given to the model, and what the model produced. */
export interface StoredTurn {
  readonly turn: number;
  readonly notes: readonly MessageItem[];
  readonly output: readonly TranscriptItem[];
  readonly usage: { inputTokens: number; outputTokens: number; totalTokens: number };
  readonly at: string;
}

export interface StoredToolResult {
  readonly callId: string;
  readonly name: string;
  readonly output: string;
  readonly isError: boolean;
  readonly summary: string;
  readonly control?: ToolControl;
  readonly fullOutputRef?: string;
}

/** A model-written summary of turns 1..through, standing in for them in the context. */
export interface StoredSummary {
  readonly through: number;
  readonly text: string;
  readonly at: string;
}

export class GoalStore {
  constructor(readonly home: string) {}

  goalDir(goalId: string): string {
    return path.join(this.home, 'goals', safeName(goalId));
  }

  async writeTurn(goalId: string, turn: StoredTurn): Promise<void> {
    await this.writeJson(path.join(this.goalDir(goalId), 'turns', `${pad(turn.turn)}.json`), turn);
  }

  async readTurn(goalId: string, turn: number): Promise<StoredTurn | null> {
    return this.readJson<StoredTurn>(path.join(this.goalDir(goalId), 'turns', `${pad(turn)}.json`));
  }

  /** The numbers of the stored turns before `beforeTurn`, in order (a directory listing; no turn is read). */
  async turnNumbers(goalId: string, beforeTurn: number): Promise<number[]> {
    const names = await fs.readdir(path.join(this.goalDir(goalId), 'turns')).catch(() => [] as string[]);
    return names
      .filter((n) => /^\d+\.json$/.test(n))
      .map((n) => Number(n.slice(0, -5)))
      .filter((t) => t < beforeTurn)
      .sort((a, b) => a - b);
  }

  /** The stored turns before `beforeTurn`, oldest first (optionally only the last `last` of them). */
  async readTurns(goalId: string, beforeTurn: number, last = Infinity): Promise<StoredTurn[]> {
    const turns = (await this.turnNumbers(goalId, beforeTurn)).slice(-last);
    const out: StoredTurn[] = [];
    for (const t of turns) {
      const turn = await this.readTurn(goalId, t);
      if (turn) out.push(turn);
    }
    return out;
  }

  async findToolCall(goalId: string, turn: number, callId: string): Promise<ToolCallItem | null> {
    const stored = await this.readTurn(goalId, turn);
    const call = stored?.output.find((i): i is ToolCallItem => i.type === 'tool_call' && i.callId === callId);
    return call ?? null;
  }

  async writeToolResult(goalId: string, turn: number, result: StoredToolResult): Promise<void> {
    await this.writeJson(this.toolResultPath(goalId, turn, result.callId), result);
  }

  async readToolResult(goalId: string, turn: number, callId: string): Promise<StoredToolResult | null> {
    return this.readJson<StoredToolResult>(this.toolResultPath(goalId, turn, callId));
  }

  /** Remembers the process group of a running tool call, so a retry can stop a leftover of a killed worker. */
  /**
   * Synchronous on purpose: it runs in the spawn callback, so the record exists before the command has done
   * anything a crash could leave behind.
   */
  writeToolPidSync(goalId: string, turn: number, callId: string, pid: number): void {
    const file = `${this.toolResultPath(goalId, turn, callId)}.pid`;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ pid }));
  }

  async readToolPid(goalId: string, turn: number, callId: string): Promise<number | null> {
    const rec = await this.readJson<{ pid: number }>(`${this.toolResultPath(goalId, turn, callId)}.pid`);
    return rec?.pid ?? null;
  }

  /** Stores a large text (a full tool output) and returns its reference: `blob:<sha256>`. */
  async putBlob(goalId: string, text: string): Promise<string> {
    const digest = createHash('sha256').update(text).digest('hex');
    const file = path.join(this.goalDir(goalId), 'blobs', `${digest}.txt`);
    await fs.access(file).catch(() => this.writeText(file, text));
    return `blob:${digest}`;
  }

  async getBlob(goalId: string, ref: string): Promise<string> {
    const digest = ref.replace(/^blob:/, '');
    if (!/^[0-9a-f]{64}$/.test(digest)) throw new Error(`not a blob reference: ${ref}`);
    return fs.readFile(path.join(this.goalDir(goalId), 'blobs', `${digest}.txt`), 'utf8');
  }

  /** Path of a blob on disk, for humans reading the store. */
  blobPath(goalId: string, ref: string): string {
    const digest = ref.replace(/^blob:/, '');
    if (!/^[0-9a-f]{64}$/.test(digest)) throw new Error(`not a blob reference: ${ref}`);
    return path.join(this.goalDir(goalId), 'blobs', `${digest}.txt`);
  }

  /** Appends records to the measurement ledger (JSON lines). */
  async appendLedger(goalId: string, records: readonly object[]): Promise<void> {
    const file = path.join(this.goalDir(goalId), 'ledger.jsonl');
    await fs.mkdir(path.dirname(file), { recursive: true });
    await dropTornLine(file); // an append that failed half-way (disk full) left part of a line: cut it off first
    await fs.appendFile(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  /** The summary of the oldest turns (compaction), or null before the first. */
  async readSummary(goalId: string): Promise<StoredSummary | null> {
    return this.readJson<StoredSummary>(path.join(this.goalDir(goalId), 'summary.json'));
  }

  /** Replaces the summary (atomically: a crash leaves the old or the new one, never half of either). */
  async writeSummary(goalId: string, summary: StoredSummary): Promise<void> {
    await this.writeJson(path.join(this.goalDir(goalId), 'summary.json'), summary);
  }

  /** The protected paths' manifest taken at baseline (null before it). It never changes afterwards. */
  async readProtectedManifest(goalId: string): Promise<ProtectedManifest | null> {
    return this.readJson<ProtectedManifest>(path.join(this.goalDir(goalId), 'protected.json'));
  }

  async writeProtectedManifest(goalId: string, manifest: ProtectedManifest): Promise<void> {
    await this.writeJson(path.join(this.goalDir(goalId), 'protected.json'), manifest);
  }

  /** Appends a side question and its answer to the goal's ask log (never to the transcript). */
  async appendAsk(
    goalId: string,
    record: { at: string; turn: number; question: string; answer: string },
  ): Promise<void> {
    const file = path.join(this.goalDir(goalId), 'asks.jsonl');
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.appendFile(file, `${JSON.stringify(record)}\n`);
  }

  async readLedger(goalId: string): Promise<Record<string, unknown>[]> {
    const text = await fs.readFile(path.join(this.goalDir(goalId), 'ledger.jsonl'), 'utf8').catch(() => '');
    const lines = text.split('\n');
    lines.pop(); // after the last newline: empty, or a torn append that is never read back
    return lines.filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  private toolResultPath(goalId: string, turn: number, callId: string): string {
    return path.join(this.goalDir(goalId), 'turns', `${pad(turn)}.results`, `${safeName(callId)}.json`);
  }

  private async writeJson(file: string, data: unknown): Promise<void> {
    await this.writeText(file, JSON.stringify(data, null, 1));
  }

  private async writeText(file: string, text: string): Promise<void> {
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

  private async readJson<T>(file: string): Promise<T | null> {
    try {
      return JSON.parse(await fs.readFile(file, 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
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

function pad(turn: number): string {
  return String(turn).padStart(6, '0');
}

/** A goal or call id as a file name: ids are ours or the model's, so anything odd is encoded. */
function safeName(id: string): string {
  return /^[A-Za-z0-9_.-]{1,128}$/.test(id) && !id.startsWith('.')
    ? id
    : `x-${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;
}
