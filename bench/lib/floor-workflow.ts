/**
 * The floor under benchmark 1: a workflow that does nothing but what a goal's turn costs Temporal, two activities in
 * sequence (the model turn, then the tool call), here with no-op bodies. Its time per turn is Temporal's round trips
 * on this machine, which no workflow of this shape goes below.
 */
import { proxyActivities } from '@temporalio/workflow';

export interface FloorActivities {
  modelStep(turn: number): Promise<number>;
  toolStep(turn: number): Promise<number>;
}

const acts = proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

export async function floorTurns(turns: number): Promise<number> {
  for (let turn = 1; turn <= turns; turn++) {
    await acts.modelStep(turn);
    await acts.toolStep(turn);
  }
  return turns;
}
