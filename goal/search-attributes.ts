/**
 * Custom search attributes shown in the Temporal UI and used by `longhaul list`. They must be
 * registered on the server (`longhaul dev` does it; see the README for other clusters).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const LonghaulStatus = defineSearchAttributeKey('LonghaulStatus', SearchAttributeType.KEYWORD);
export const LonghaulPhase = defineSearchAttributeKey('LonghaulPhase', SearchAttributeType.KEYWORD);
export const LonghaulProgress = defineSearchAttributeKey('LonghaulProgress', SearchAttributeType.DOUBLE);
export const LonghaulTurns = defineSearchAttributeKey('LonghaulTurns', SearchAttributeType.INT);

export const SEARCH_ATTRIBUTES = [LonghaulStatus, LonghaulPhase, LonghaulProgress, LonghaulTurns] as const;
