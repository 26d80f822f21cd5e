/**
 * The peer (issue 24): the same scripted agent loop written the way Temporal's own AI integration's samples write an
 * agent (temporalio/samples-typescript ai-sdk/src/workflows.ts, `toolsAgent`): the Vercel AI SDK's `generateText` in
 * the workflow, its model from `temporalProvider` (each model call an `invokeModel` activity, AiSdkPlugin on the
 * worker), its tool's `execute` an activity proxy, and `stopWhen: stepCountIs(n)`. One step = one model call + the
 * tool call it asked for, as a goal's turn.
 */
import { generateText, stepCountIs, tool } from 'ai';
import { temporalProvider } from '@temporalio/ai-sdk/workflow';
import { proxyActivities } from '@temporalio/workflow';
import { z } from 'zod';
import type { PeerActivities } from './peer-tools';

const { readFile } = proxyActivities<PeerActivities>({ startToCloseTimeout: '1 minute' });

/** The prompt both peer sides send: the fake model tells loops apart by the workspace line. */
export function peerSystem(workspace: string): string {
  return `You are a coding agent.\nWorkspace: ${workspace}`;
}

export const PEER_PROMPT = 'Raise the score to 100 (a benchmark: the agent only reads).';

export const readFileInput = z.object({ path: z.string().describe('The file to read, relative to the workspace') });

export async function peerAgent(input: { workspace: string; turns: number }): Promise<number> {
  const result = await generateText({
    model: temporalProvider.languageModel('fake-model'),
    system: peerSystem(input.workspace),
    prompt: PEER_PROMPT,
    tools: {
      read_file: tool({ description: 'Read a file of the workspace', inputSchema: readFileInput, execute: readFile }),
    },
    stopWhen: stepCountIs(input.turns),
  });
  return result.steps.length;
}
