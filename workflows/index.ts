/** Workflow entry point for the worker's bundle. */
export { goalWorkflow } from './goal';
export type { GoalWorkflowInput } from './goal';
export type { GoalTuning } from '../goal/tuning';
export { draftWorkflow } from './draft';
