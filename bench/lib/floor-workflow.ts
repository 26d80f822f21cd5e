/**
 * The floor under benchmark 1: a workflow that does nothing but what a goal's turn costs Temporal, two activities in
 * sequence (the model turn, then the tool call). Its time per turn, less the activities' own, is Temporal's round
 * trips on this machine, which no workflow of this shape goes below. `local`: both steps as local activities (run
 * inside the workflow task, no task of their own). `tool-local`: the model step a regular activity and the tool step
 * a local one, the shape of a goal's read-only turn since the quick-tools-local-activities patch.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

export interface FloorActivities {
  modelStep(turn: number): Promise<number>;
  toolStep(turn: number): Promise<number>;
}

export type FloorMode = 'activities' | 'local' | 'tool-local';

const acts = proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });
const localActs = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

export async function floorTurns(turns: number, mode: FloorMode = 'activities'): Promise<number> {
  const model = mode === 'local' ? localActs : acts;
  const tool = mode === 'activities' ? acts : localActs;
  for (let turn = 1; turn <= turns; turn++) {
    await model.modelStep(turn);
    await tool.toolStep(turn);
  }
  return turns;
}
