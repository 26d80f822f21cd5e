/** Workspace activities: check it is a usable git repository, record the start commit, fingerprint it. */
import { ApplicationFailure } from '@temporalio/activity';
import { promises as fs } from 'node:fs';
import { FAILURE } from '../../goal/failures';
import { headCommit, isGitWorkTree, workspaceFingerprint } from './git';

export interface PrepareWorkspaceInput {
  readonly goalId: string;
  readonly workspace: string;
}

export interface PrepareWorkspaceResult {
  readonly startCommit: string | null;
  readonly fingerprint: string;
}

export async function prepareWorkspace(input: PrepareWorkspaceInput): Promise<PrepareWorkspaceResult> {
  const stat = await fs.stat(input.workspace).catch(() => null);
  if (!stat?.isDirectory()) {
    throw ApplicationFailure.create({
      type: FAILURE.workspaceMissing,
      message: `workspace ${input.workspace} does not exist on this worker: create it or start the goal with the right --workspace`,
      nonRetryable: true,
    });
  }
  if (!(await isGitWorkTree(input.workspace))) {
    throw ApplicationFailure.create({
      type: FAILURE.workspaceNotGit,
      message: `workspace ${input.workspace} is not a git repository: run \`git init && git add -A && git commit -m start\` in it`,
      nonRetryable: true,
    });
  }
  const { fingerprint } = await workspaceFingerprint(input.workspace);
  return { startCommit: await headCommit(input.workspace), fingerprint };
}

export async function fingerprintWorkspace(input: {
  readonly workspace: string;
}): Promise<{ fingerprint: string; changedFiles: number }> {
  return workspaceFingerprint(input.workspace);
}
