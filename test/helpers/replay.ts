/**
 * Recorded goal histories (test/fixtures/histories): how they are fetched from a server, written and read back for
 * replay. A file holds one run's history in Temporal's JSON form (as `temporal workflow show -o json` writes it);
 * its name is `<workflowId>.json`, or `<workflowId>.run-<n>.json` for the n-th run of a chain that continued-as-new.
 */
import type { Client } from '@temporalio/client';
import type { HistoryAndWorkflowId } from '@temporalio/common';
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function historyFromJson(json: unknown, file: string): History {
  const history = historyFromJSON(json);
  if (!history.events?.length) throw new Error(`${file} holds no history events: re-record it`);
  return history;
}

export const HISTORIES_DIR = path.resolve(__dirname, '..', 'fixtures', 'histories');

/** One recorded run, ready for `Worker.runReplayHistories`. */
export interface RecordedHistory extends HistoryAndWorkflowId {
  /** The file name, e.g. `continue-as-new.run-2.json`. */
  readonly file: string;
  readonly eventCount: number;
}

const FILE_NAME = /^(?<workflowId>[\w-]+?)(?:\.run-(?<run>\d+))?\.json$/;

/** Every recorded history in `dir`, runs of one chain in order. */
export function loadHistories(dir = HISTORIES_DIR): RecordedHistory[] {
  const files = readdirSync(dir)
    .map((file) => ({ file, match: FILE_NAME.exec(file)?.groups }))
    .filter((f): f is { file: string; match: { workflowId: string; run?: string } } => f.match !== undefined)
    .sort((a, b) => a.match.workflowId.localeCompare(b.match.workflowId) || runOf(a.match) - runOf(b.match));
  return files.map(({ file, match }) => {
    const history = historyFromJson(JSON.parse(readFileSync(path.join(dir, file), 'utf8')), file);
    return { file, workflowId: match.workflowId, history, eventCount: history.events!.length };
  });
}

function runOf(match: { run?: string }): number {
  return Number(match.run ?? 0);
}

/**
 * The history of every run of a workflow, first to last: from the first run (named in the latest run's start event)
 * along continue-as-new, so it needs no visibility store (the time-skipping server has none).
 */
export async function fetchRunChain(client: Client, workflowId: string): Promise<History[]> {
  const latest = await client.workflow.getHandle(workflowId).fetchHistory();
  const first = latest.events?.[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId;
  if (!first) throw new Error(`the history of ${workflowId} does not start with its start event`);
  const runs: History[] = [];
  for (let runId: string | null | undefined = first; runId;) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.push(history);
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return runs;
}

/**
 * Writes the runs of `workflowId` as `<workflowId>.json` (one run) or `<workflowId>.run-<n>.json`, replacing any
 * earlier recording of it. Returns the file names.
 */
export function writeHistories(workflowId: string, runs: History[], dir = HISTORIES_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(dir)) {
    if (FILE_NAME.exec(file)?.groups?.workflowId === workflowId) rmSync(path.join(dir, file));
  }
  const files = runs.map((history, i) => {
    const file = runs.length === 1 ? `${workflowId}.json` : `${workflowId}.run-${i + 1}.json`;
    writeFileSync(path.join(dir, file), `${historyToJSON(history)}\n`);
    return file;
  });
  return files;
}
