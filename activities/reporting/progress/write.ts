/**
 * Writes the progress document (progress.md and progress.html) into the goal's host-local folder, and a copy into
 * a folder of the workspace when asked. Each file is replaced atomically: a reader sees the old or the new
 * document, never half of one.
 */
import { writeAtomic } from '../report/atomic';
import { ApplicationFailure } from '@temporalio/activity';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { GoalStatusView } from '../../../goal/status';
import { PROGRESS_FILES, progressPaths, type DocumentPaths } from '../../../common/goal-files';

export { PROGRESS_FILES, progressPaths } from '../../../common/goal-files';
import type { GoalStore } from '../../store/types';
import { buildProgressDoc, withoutHoldoutNames } from './doc';
import { renderProgressHtml, renderProgressMarkdown } from './render';

/** Failure types of writeProgress (permanent: a retry cannot fix them). */
export const PROGRESS_FAILURE = {
  /** mirrorDir is not an absolute path, or lies outside the workspace. */
  mirrorDirInvalid: 'ProgressMirrorDirInvalid',
} as const;

export interface WriteProgressInput {
  readonly goalId: string;
  /** The status snapshot (what the status query returns). */
  readonly view: GoalStatusView;
  /**
   * An absolute folder inside the workspace that also gets the two files. Held-out check names are left
   * out of this copy, since the agent can read it.
   */
  readonly mirrorDir?: string;
}

/**
 * Renders the document from the view and the store's ledger and writes it into the goal's folder under `home`
 * (host-local, whichever the store); returns the file paths.
 */
export async function writeProgress(store: GoalStore, home: string, input: WriteProgressInput): Promise<DocumentPaths> {
  const mirrorDir = input.mirrorDir === undefined ? undefined : checkMirrorDir(input.mirrorDir, input.view.workspace);
  const doc = buildProgressDoc(input.view, await store.readLedger(input.goalId), new Date().toISOString());
  const paths = progressPaths(home, input.goalId);
  await fs.mkdir(path.dirname(paths.markdown), { recursive: true });
  await writeAtomic(paths.markdown, renderProgressMarkdown(doc));
  await writeAtomic(paths.html, renderProgressHtml(doc));
  if (mirrorDir !== undefined) {
    const visible = withoutHoldoutNames(doc);
    await fs.mkdir(mirrorDir, { recursive: true });
    await writeAtomic(path.join(mirrorDir, PROGRESS_FILES.markdown), renderProgressMarkdown(visible));
    await writeAtomic(path.join(mirrorDir, PROGRESS_FILES.html), renderProgressHtml(visible));
  }
  return paths;
}

function checkMirrorDir(dir: string, workspace: string): string {
  const fail = (why: string) =>
    ApplicationFailure.create({
      type: PROGRESS_FAILURE.mirrorDirInvalid,
      message: `progress mirror folder ${dir} ${why}: give an absolute folder inside the workspace ${workspace}`,
      nonRetryable: true,
    });
  if (!path.isAbsolute(dir)) throw fail('is not an absolute path');
  if (path.isAbsolute(workspace)) {
    const rel = path.relative(path.resolve(workspace), path.resolve(dir));
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) throw fail('is outside the workspace');
  }
  return path.resolve(dir);
}
