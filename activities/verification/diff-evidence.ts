/**
 * The diff since a goal's start, as evidence for a model (the judge, the finishing review): tracked changes as a
 * patch plus the names of new untracked files, stored whole in the goal store and shown cut to a bound.
 */
import { git } from '../workspace/git';
import type { GoalStore } from '../store/types';
import { truncateHeadTail } from '../tools/truncate';

/** Characters of diff shown to the model; the whole diff is in the store (its reference is in the cut). */
const MAX_DIFF_CHARS = 60_000;

/** The "# Diff since the start of the goal" section. */
export async function diffEvidence(
  store: GoalStore,
  goalId: string,
  workspace: string,
  startCommit: string | null,
): Promise<string> {
  const diff = startCommit ? await diffSince(workspace, startCommit) : '(no start commit: no diff)';
  const ref = await store.putBlob(goalId, diff);
  return `# Diff since the start of the goal\n${truncateHeadTail(diff, MAX_DIFF_CHARS, ref).text || '(no changes)'}`;
}

/** Tracked changes and untracked files since `startCommit`, as a patch. */
async function diffSince(workspace: string, startCommit: string): Promise<string> {
  const tracked = await git(workspace, ['diff', startCommit, '--stat', '--patch', '--no-color']).catch(
    (e: Error) => `(git diff failed: ${e.message})`,
  );
  const untracked = (await git(workspace, ['ls-files', '--others', '--exclude-standard']).catch(() => ''))
    .split('\n')
    .filter(Boolean);
  return untracked.length > 0 ? `${tracked}\nNew files not yet in git: ${untracked.join(', ')}\n` : tracked;
}
