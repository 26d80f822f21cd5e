/**
 * The goal workflow's public message interface, imported by the workflow and by clients.
 * Names are part of the public interface (documented in the README).
 */
import { defineQuery } from '@temporalio/workflow';
import type { GoalStatusView } from './status';

/** Query `status`: phase, status, turn, metrics, checks, budget, last event. */
export const statusQuery = defineQuery<GoalStatusView>('status');

/** The workflow type name, used by clients that start goals. */
export const GOAL_WORKFLOW_TYPE = 'goalWorkflow';

/** The task queue goals run on unless configured otherwise. */
export const DEFAULT_TASK_QUEUE = 'longhaul';
