/**
 * A draft's throw-away copy of the user's workspace: the draft agent's shell commands, and the orchestrator's
 * measurements, run there, so a draft never changes the workspace whatever a command does. A full copy (the git
 * folder, ignored build outputs and dependencies included) so commands behave as they would in the workspace.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface DraftCopyInput {
  /** The draft's folder in the goal store (the copy goes inside it). */
  readonly draftDir: string;
  readonly workspace: string;
  /** `explore` for the agent, `measure` for a measurement (always fresh). */
  readonly purpose: 'explore' | 'measure';
}

/** Copies the workspace (again, from scratch: a retry never sees a half-made copy); returns the copy's path. */
export async function makeDraftCopy(input: DraftCopyInput): Promise<string> {
  const dir = path.join(input.draftDir, `copy-${input.purpose}`);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(input.draftDir, { recursive: true });
  await fs.cp(input.workspace, dir, {
    recursive: true,
    verbatimSymlinks: true, // a link stays a link: one pointing out of the workspace is not followed and copied
    preserveTimestamps: true, // build tools compare mtimes
  });
  return dir;
}

/** Removes the draft's copies (the transcript and the proposal stay in the store). */
export async function removeDraftCopies(draftDir: string): Promise<void> {
  for (const purpose of ['explore', 'measure']) {
    await fs.rm(path.join(draftDir, `copy-${purpose}`), { recursive: true, force: true });
  }
}
