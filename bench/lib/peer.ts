/**
 * The peer's two sides for bench/overhead.ts: the AI SDK's `generateText` loop in this process (its own physical
 * limit), and the same loop as a `@temporalio/ai-sdk` workflow (bench/lib/peer-workflow.ts) on a worker with the
 * AiSdkPlugin, the goal worker's settings and the same server; both against the benchmark's fake model, through
 * `@ai-sdk/openai-compatible` (chat completions).
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { AiSdkPlugin } from '@temporalio/ai-sdk';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { generateText, stepCountIs, tool } from 'ai';
import { workerTuningFromEnv } from '../../worker/config';
import { workspaces } from './goals';
import { peerActivities, readInWorkspace } from './peer-tools';
import { PEER_PROMPT, peerSystem, readFileInput, type peerAgent } from './peer-workflow';

export interface Peer {
  /** The loop in this process, `turns` steps (model call + tool call each). */
  inProcess(turns: number): Promise<void>;
  /** The loop as a workflow on the peer's worker, `turns` steps; its workflow id. */
  onTemporal(turns: number): Promise<string>;
  close(): Promise<void>;
}

let seq = 0;

export async function startPeer(env: TestWorkflowEnvironment, modelUrl: string): Promise<Peer> {
  const [workspace] = workspaces(1);
  const provider = createOpenAICompatible({ name: 'fake', baseURL: modelUrl, apiKey: 'sk-bench' });
  const taskQueue = `bench-peer-${process.pid}`;
  const worker = await Worker.create({
    plugins: [new AiSdkPlugin({ modelProvider: provider })],
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowsPath: require.resolve('./peer-workflow'),
    activities: peerActivities(workspace!),
    ...workerTuningFromEnv({}), // as the goal's worker (bench/lib/temporal.ts inProcessWorker)
  });
  const running = worker.run();
  return {
    async inProcess(turns) {
      await generateText({
        model: provider.languageModel('fake-model'),
        system: peerSystem(workspace!),
        prompt: PEER_PROMPT,
        tools: {
          read_file: tool({
            description: 'Read a file of the workspace',
            inputSchema: readFileInput,
            execute: (input) => readInWorkspace(workspace!, input),
          }),
        },
        stopWhen: stepCountIs(turns),
      });
    },
    async onTemporal(turns) {
      const workflowId = `peer-${process.pid}-${++seq}`;
      await env.client.workflow.execute<typeof peerAgent>('peerAgent', {
        taskQueue,
        workflowId,
        args: [{ workspace: workspace!, turns }],
      });
      return workflowId;
    },
    async close() {
      worker.shutdown();
      await running;
    },
  };
}
