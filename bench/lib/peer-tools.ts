/**
 * The peer's one tool, for both of its sides (in-process and on Temporal): read_file with Longhaul's own
 * implementation (activities/tools/files.ts), so that the tool call costs the peer what it costs a goal.
 */
import { readFileTool } from '../../activities/tools/files';

export interface ReadFileInput {
  readonly path: string;
}

/** Reads `path` in `workspace`; what the model sees. */
export async function readInWorkspace(workspace: string, input: ReadFileInput): Promise<string> {
  try {
    return (await readFileTool(workspace, { path: input.path })).output;
  } catch (err) {
    return `error: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The peer workflow's activities: its tool, bound to one workspace per worker (the benchmark's goals share one). */
export function peerActivities(workspace: string) {
  return {
    /** The sample's shape: the tool's `execute` is the activity itself, called with the tool's input. */
    readFile: (input: ReadFileInput): Promise<string> => readInWorkspace(workspace, input),
  };
}
export type PeerActivities = ReturnType<typeof peerActivities>;
