/**
 * The activities of a goal, built by a factory with their dependencies injected, so tests pass real
 * fakes (a loopback model server, a temp goal store) instead of mocking modules.
 */
import { answerQuestion, type AnswerQuestionInput } from './agent/ask';
import {
  protectWorkspace,
  verifyIntegrity,
  type ProtectWorkspaceInput,
  type VerifyIntegrityInput,
} from './security/protect-workspace';
import { judgeChecklist, type JudgeInput } from './verification/judge';
import { measureMetric, runCheck, type MeasureMetricInput, type RunCheckInput } from './verification/measure';
import {
  ensureBaselineWorktree,
  measurePairs,
  type BaselineWorktreeInput,
  type MeasurePairsInput,
} from './verification/paired';
import type { ModelDeps } from './model/call';
import { createModelProvider, type ModelProvider } from './model/provider';
import { goalDir } from '../common/goal-files';
import { FileGoalStore } from './store/files';
import type { GoalStore } from './store/types';
import { CachedTurnRecords } from './store/turn-records';
import { createRedactor } from './security/redact';
import { executeTool, protectionOf, type ExecuteToolInput } from './tools/execute';
import { modelTurn, type ModelTurnInput } from './agent/turn';
import { compactContext, type CompactContextInput } from './agent/compaction';
import type { ContextLayout } from './agent/turn-context';
import { fingerprintWorkspace, prepareWorkspace, type PrepareWorkspaceInput } from './workspace/prepare';
import { checkingStore } from './store/same-store';
import { commitMilestone, type CommitMilestoneInput } from './workspace/milestone';
import { writeProgress, type WriteProgressInput } from './reporting/progress/write';
import { syncSlack, type SlackConfig, type SlackSyncInput, type SlackSyncResult } from './reporting/slack/notifier';
import { excludeFromGit } from './workspace/git';
import { heartbeating } from './heartbeat';
import { ACTIVITY_DEFAULTS } from '../goal/tuning';
import { pushGoalBranch, type PushGoalBranchInput } from './workspace/push';
import { reflect, type ReflectInput } from './agent/reflect';
import { commitFinalReport, type CommitFinalReportInput } from './reporting/report/commit';
import { writeFinalReport, type FinalReportInput } from './reporting/report/final';
import { restoreWorkingTree, type RestoreWorkingTreeInput } from './workspace/restore';
import { makeDraftCopy, removeDraftCopies } from './draft/copy';
import { measureDraft } from './draft/measure';
import { cloneGoalBranch, hostAlive, type CloneGoalBranchInput } from './workspace/placement';
import { McpPool } from './tools/mcp/pool';
import { mcpToolsOf } from './tools/mcp/offer';
import type { GitHubConfig } from './workspace/github';
import { syncPullRequest, type SyncPullRequestInput } from './workspace/pull-request';

export interface ActivityDeps {
  /** LONGHAUL_HOME: the file goal store's folder, and this host's files of each goal (progress, reports, pids). */
  readonly home: string;
  /** The goal store, opened by the worker (store/open.ts), which also closes it. @default a FileGoalStore of home */
  readonly store?: GoalStore;
  /** Model server access; held by the worker only, never passed through workflow history. */
  readonly openai: { readonly apiKey: string; readonly baseURL?: string; readonly timeoutMs?: number };
  /** @default ACTIVITY_DEFAULTS.model (goal/tuning.ts) */
  readonly defaultModel?: string;
  /** @default ACTIVITY_DEFAULTS.api */
  readonly defaultApi?: 'responses' | 'chat';
  /** @default ACTIVITY_DEFAULTS.shellTimeoutMs */
  readonly defaultShellTimeoutMs?: number;
  /** Tool output the model sees, head+tail. @default ACTIVITY_DEFAULTS.maxOutputChars */
  readonly maxOutputChars?: number;
  /** Transcript characters sent per turn before the oldest turns are dropped. @default ACTIVITY_DEFAULTS.maxTranscriptChars */
  readonly maxTranscriptChars?: number;
  /**
   * How prompts are laid out: `append` keeps a stable prefix for the provider's prompt cache; `legacy` puts the
   * whole brief in the instructions as before (only to measure the difference, bench/context.ts). @default 'append'
   */
  readonly contextLayout?: ContextLayout;
  /** The host this worker runs on (LONGHAUL_HOST), answered by `hostAlive`. @default ACTIVITY_DEFAULTS.host */
  readonly host?: string;
  /** Slack; held by the worker only (the token never enters workflow history). Null or absent: Slack is off. */
  readonly slack?: SlackConfig | null;
  /** The MCP servers of this worker process (the worker stops them at shutdown). @default a pool of its own */
  readonly mcp?: McpPool;
  /** GitHub for the goal's pull request (git.pr); held by the worker only. Null or absent: no pull requests. */
  readonly github?: GitHubConfig | null;
}

/** What the Slack activity needs from the workflow; the channel defaults to the worker's SLACK_CHANNEL. */
export type SlackUpdateInput = Omit<SlackSyncInput, 'channel'> & { readonly channel: string | null };
export type SlackUpdateResult = SlackSyncResult | { readonly off: string };

export function createActivities(deps: ActivityDeps) {
  const store = deps.store ?? new FileGoalStore(deps.home);
  const { home } = deps;
  const providers = new Map<string, ModelProvider>();
  const model: ModelDeps = {
    provider: (api) => {
      let p = providers.get(api);
      if (!p) {
        p = createModelProvider({ api, ...deps.openai });
        providers.set(api, p);
      }
      return p;
    },
    defaultModel: deps.defaultModel ?? ACTIVITY_DEFAULTS.model,
    defaultApi: deps.defaultApi ?? ACTIVITY_DEFAULTS.api,
  };
  // The worker's keys as its dependencies hold them (in tests they are not in the environment), plus every secret
  // of the worker's environment: redacted from command and tool output wherever it goes.
  const redact = createRedactor([deps.openai.apiKey, deps.slack?.token, deps.github?.token]);
  const measureDeps = { store, redact };
  const mcp = deps.mcp ?? new McpPool();
  const toolDeps = {
    store,
    home,
    redact,
    mcp,
    protection: protectionOf(store),
    defaultShellTimeoutMs: deps.defaultShellTimeoutMs ?? ACTIVITY_DEFAULTS.shellTimeoutMs,
    maxOutputChars: deps.maxOutputChars ?? ACTIVITY_DEFAULTS.maxOutputChars,
  };
  const turnDeps = {
    ...model,
    store,
    // One cache per worker process: a turn reads only the turn records written since the last (store/turn-records.ts).
    records: new CachedTurnRecords(store),
    maxTranscriptChars: deps.maxTranscriptChars ?? ACTIVITY_DEFAULTS.maxTranscriptChars,
    ...(deps.contextLayout ? { contextLayout: deps.contextLayout } : {}),
    mcpTools: mcpToolsOf({ pool: mcp, store, home, redact }),
  };
  // A goal's activity on a worker whose goal store is not the goal's is refused first (activities/store/same-store.ts).
  const activities = heartbeating({
    // The store's id goes into the goal's state at baseline (activities/store/same-store.ts).
    prepareWorkspace: async (input: PrepareWorkspaceInput) => ({
      ...(await prepareWorkspace(input)),
      storeId: await store.storeId(),
    }),
    fingerprintWorkspace,
    protectWorkspace: (input: ProtectWorkspaceInput) => protectWorkspace(store, input),
    verifyIntegrity: (input: VerifyIntegrityInput) => verifyIntegrity(store, input),
    ensureBaselineWorktree: (input: BaselineWorktreeInput) => ensureBaselineWorktree(home, input),
    measureMetric: (input: MeasureMetricInput) => measureMetric(measureDeps, input),
    measurePairs: (input: MeasurePairsInput) => measurePairs(store, input, { redact }),
    runCheck: (input: RunCheckInput) => runCheck(measureDeps, input),
    modelTurn: (input: ModelTurnInput) => modelTurn(turnDeps, input),
    compactContext: (input: CompactContextInput) => compactContext(turnDeps, input),
    executeTool: (input: ExecuteToolInput) => executeTool(toolDeps, input),
    judgeChecklist: (input: JudgeInput) => judgeChecklist({ ...model, store }, input),
    answerQuestion: (input: AnswerQuestionInput) => answerQuestion({ ...model, store }, input),
    writeProgress: async (input: WriteProgressInput & { readonly workspace: string }) => {
      // The mirror is for people; it must not look like a change of the agent's (fingerprint, milestones).
      if (input.mirrorDir) await excludeFromGit(input.workspace, input.mirrorDir);
      return writeProgress(store, home, input);
    },
    commitMilestone: (input: CommitMilestoneInput) => commitMilestone(input),
    reflect: (input: ReflectInput) => reflect({ ...model, store }, input),
    restoreWorkingTree: (input: RestoreWorkingTreeInput) => restoreWorkingTree(input),
    pushGoalBranch: (input: PushGoalBranchInput) => pushGoalBranch(input),
    syncPullRequest: (input: SyncPullRequestInput) =>
      syncPullRequest({ github: deps.github ?? null, store, redact }, input),
    writeFinalReport: (input: FinalReportInput) => writeFinalReport(store, home, input),
    commitFinalReport: (input: CommitFinalReportInput) => commitFinalReport(store, input),
    // Drafts: the draft's host-local folder holds its throw-away copies.
    prepareDraftCopy: (input: { draftId: string; workspace: string }) =>
      makeDraftCopy({ draftDir: goalDir(home, input.draftId), workspace: input.workspace, purpose: 'explore' }),
    measureDraft: (input: { draftId: string; workspace: string; specYaml: string }) =>
      measureDraft({
        draftDir: goalDir(home, input.draftId),
        workspace: input.workspace,
        specYaml: input.specYaml,
        redact,
      }),
    removeDraftCopies: (input: { draftId: string }) => removeDraftCopies(goalDir(home, input.draftId)),
    // Placement (goal/placement.ts): the ping only a goal's host answers, and the re-clone of a move.
    hostAlive: () => Promise.resolve(hostAlive(deps.host ?? ACTIVITY_DEFAULTS.host)),
    cloneGoalBranch: (input: CloneGoalBranchInput) => cloneGoalBranch(store, input),
    updateSlack: async (input: SlackUpdateInput): Promise<SlackUpdateResult> => {
      const slack = deps.slack;
      if (!slack) return { off: 'SLACK_BOT_TOKEN is not set on the worker' };
      return syncSlack(slack, { ...input, channel: input.channel ?? slack.channel });
    },
  });
  return checkingStore(store, activities);
}

export type GoalActivities = ReturnType<typeof createActivities>;
