/**
 * A goal's host-local files (the layout of LONGHAUL_HOME, shared by the worker and the CLI), under LONGHAUL_HOME/goals/<goal> on the worker that writes them, whichever goal store
 * is configured: progress pages, the final report, the baseline git worktree, draft copies, and the process
 * group ids of running tool calls (a pid only means something on the host that ran the command). The file goal
 * store (store/files.ts) keeps its records in the same folder.
 */
import { createHash } from 'node:crypto';
import { promises as fs, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The folder that holds one folder per goal under `home` (LONGHAUL_HOME). */
export function goalsDir(home: string): string {
  return path.join(home, 'goals');
}

/** The folder of a goal's files under `home` (LONGHAUL_HOME); odd ids are encoded, never a path outside. */
export function goalDir(home: string, goalId: string): string {
  return path.join(goalsDir(home), safeName(goalId));
}

/** A goal document's two renderings, by file name. */
export const PROGRESS_FILES = { markdown: 'progress.md', html: 'progress.html' } as const;
export const REPORT_FILES = { markdown: 'REPORT.md', html: 'report.html' } as const;

/** Where a goal document's two renderings live on its worker's host. */
export interface DocumentPaths {
  readonly markdown: string;
  readonly html: string;
}

function documentPaths(home: string, goalId: string, files: { markdown: string; html: string }): DocumentPaths {
  const dir = goalDir(home, goalId);
  return { markdown: path.join(dir, files.markdown), html: path.join(dir, files.html) };
}

/** Where the progress document of a goal lives on its worker's host, under `home` (for `longhaul report`). */
export function progressPaths(home: string, goalId: string): DocumentPaths {
  return documentPaths(home, goalId, PROGRESS_FILES);
}

/** Where the final report of a goal lives on its worker's host, under `home`. */
export function reportPaths(home: string, goalId: string): DocumentPaths {
  return documentPaths(home, goalId, REPORT_FILES);
}

/** A turn number as a file name: zero-padded, so names sort in turn order. */
export function padTurn(turn: number): string {
  return String(turn).padStart(6, '0');
}

/** A goal or call id as a file name: ids are ours or the model's, so anything odd is encoded. */
export function safeName(id: string): string {
  return /^[A-Za-z0-9_.-]{1,128}$/.test(id) && !id.startsWith('.')
    ? id
    : `x-${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;
}

/** Where a tool call's result lives in the file store; its pid record is beside it. */
export function toolResultFile(home: string, goalId: string, turn: number, callId: string): string {
  return path.join(goalDir(home, goalId), 'turns', `${padTurn(turn)}.results`, `${safeName(callId)}.json`);
}

function toolPidFile(home: string, goalId: string, turn: number, callId: string): string {
  return `${toolResultFile(home, goalId, turn, callId)}.pid`;
}

/**
 * Remembers the process group of a running tool call, so a retry on this host can stop a leftover of a killed
 * worker. Synchronous on purpose: it runs in the spawn callback, so the record exists before the command has done
 * anything a crash could leave behind.
 */
export function writeToolPidSync(home: string, goalId: string, turn: number, callId: string, pid: number): void {
  const file = toolPidFile(home, goalId, turn, callId);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ pid }));
}

/**
 * The process group recorded for a tool call on this host, or null: none recorded, or a record cut short (a full
 * disk), which names no process to stop.
 */
export async function readToolPid(home: string, goalId: string, turn: number, callId: string): Promise<number | null> {
  let text: string;
  try {
    text = await fs.readFile(toolPidFile(home, goalId, turn, callId), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const pid = (JSON.parse(text) as { pid?: unknown }).pid;
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
