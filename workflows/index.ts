/** Workflow entry point for the worker's bundle. */
export { goalWorkflow } from './goal';
export type { GoalWorkflowInput, GoalTuning } from './goal';
export { draftWorkflow } from './draft';
