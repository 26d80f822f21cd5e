/**
 * The floor under benchmark 1: a workflow that does nothing but what a goal's turn costs Temporal, two activities in
 * sequence (the model turn, then the tool call). Its time per turn, less the activities' own, is Temporal's round
 * trips on this machine, which no workflow of this shape goes below. With `local`, the same two steps as local
 * activities (run inside the workflow task, no task of their own): the design a goal would need to go lower.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

export interface FloorActivities {
  modelStep(turn: number): Promise<number>;
  toolStep(turn: number): Promise<number>;
}

const acts = proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });
const localActs = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

export async function floorTurns(turns: number, local = false): Promise<number> {
  const steps = local ? localActs : acts;
  for (let turn = 1; turn <= turns; turn++) {
    await steps.modelStep(turn);
    await steps.toolStep(turn);
  }
  return turns;
}
