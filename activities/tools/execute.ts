/**
 * The tool-call activity: load one call the model made from the goal store, run it in the workspace,
 * store the result. Idempotent: a result already stored is returned as is, and a retry after a
 * killed worker first stops the process group the previous attempt left running (recorded in a host-local file,
 * goal-files.ts: a retry on the same host finds it).
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AgentMode, ToolControl } from '../../goal/tools';
import { workspaceFingerprint } from '../workspace/git';
import { redactEnvSecrets, type Redact } from '../security/redact';
import { compilePolicy, InvalidPolicyPatternError, type CommandPolicy, type CommandPolicySpec } from './command-policy';
import { runTool } from './dispatch';
import { protectedMatcher, protectionReason, type ProtectedManifest } from '../security/protected-paths';
import { goalNotInStore } from '../store/missing';
import { sandboxPlan, type SandboxPlan } from '../security/sandbox';
import type { SandboxInput } from '../../goal/sandbox';
import { killProcessGroup } from './shell';
import { findToolCall, type GoalStore, type StoredToolResult } from '../store/types';
import { readToolPid, writeToolPidSync } from '../../common/goal-files';
import { isMcpToolName, type McpInput } from '../../goal/mcp';
import { runMcpTool } from './mcp/call';
import type { McpPool } from './mcp/pool';

export interface ExecuteToolInput extends SandboxInput, McpInput {
  readonly goalId: string;
  readonly workspace: string;
  readonly turn: number;
  readonly callId: string;
  /** A draft runs in a throw-away copy with read-only tools and propose_goal. @default 'goal' */
  readonly mode?: AgentMode;
  /** The goal spec's env.allow: credential-like variables its shell commands keep. @default [] */
  readonly allowEnv?: readonly string[];
  /** The goal spec's commands: deny and allow patterns added to the shell tool's default rules. */
  readonly commands?: CommandPolicySpec;
}

export interface ExecuteToolResult {
  readonly isError: boolean;
  readonly summary: string;
  /** A digest of the call (tool name and arguments): equal signatures are the same call repeated. */
  readonly sig: string;
  readonly control?: ToolControl;
  /** The write was refused on a protected path: which, and why (the goal counts these for the user). */
  readonly refusedProtected?: { readonly path: string; readonly reason: string };
}

/** A goal's protected paths, as the write tools see them. */
export interface Protection {
  readonly isProtected: (relPath: string) => boolean;
  readonly reasonOf: (relPath: string) => string | null;
}

export interface ToolCallDeps {
  readonly store: GoalStore;
  /** LONGHAUL_HOME: where this host records the process groups of running calls (a pid means nothing elsewhere). */
  readonly home: string;
  readonly defaultShellTimeoutMs: number;
  readonly maxOutputChars: number;
  /** The write tools' guard for a goal's protected paths (see protectionOf). */
  /** `manifest`: the goal's manifest when the caller has read it already (else it is read here). */
  readonly protection: (
    goalId: string,
    mode: AgentMode,
    manifest?: ProtectedManifest | null,
  ) => Promise<Protection | undefined>;
  /** Removes the worker's secrets from outputs and summaries. @default the worker environment's secrets */
  readonly redact?: Redact;
  /** This worker's MCP servers (the calls of goals with `mcp`). */
  readonly mcp?: McpPool;
}

/** Compiled policies by spec: a goal's policy never changes between its calls, so it is compiled once per worker. */
const compiledPolicies = new Map<string, CommandPolicy>();

/** The goal's command policy; a pattern that does not compile (the spec validates them) fails the call for good. */
function policyOf(spec: CommandPolicySpec | undefined): CommandPolicy | undefined {
  if (spec === undefined) return undefined;
  const key = JSON.stringify(spec);
  const cached = compiledPolicies.get(key);
  if (cached) return cached;
  try {
    const policy = compilePolicy(spec);
    if (compiledPolicies.size >= 1000) compiledPolicies.clear(); // bounded: a worker's goals, not all ever seen
    compiledPolicies.set(key, policy);
    return policy;
  } catch (err) {
    if (!(err instanceof InvalidPolicyPatternError)) throw err;
    throw ApplicationFailure.nonRetryable(`the goal's command policy: ${err.message}`, 'InvalidCommandPolicy');
  }
}

/**
 * Per goal, the protected paths of its manifest. The manifest is read for every call (an `editable` edit takes it
 * again); its compiled matcher is kept per worker while the patterns stay the same. A goal always has one after its
 * baseline, so none means this worker has another goal store: refused (goalNotInStore). A draft has none.
 */
export function protectionOf(store: GoalStore): ToolCallDeps['protection'] {
  const cache = new Map<string, Protection>();
  return async (goalId, mode, read) => {
    const manifest = read !== undefined ? read : await store.readProtectedManifest(goalId);
    if (!manifest) {
      if (mode === 'draft') return undefined;
      throw await goalNotInStore(store, goalId, 'its protected-paths manifest, recorded at baseline');
    }
    if (manifest.patterns.length === 0) return undefined;
    const key = JSON.stringify([goalId, manifest.patterns, manifest.reasons ?? null]);
    const cached = cache.get(key);
    if (cached) return cached;
    const matcher = protectedMatcher(manifest.patterns);
    const protection: Protection = { isProtected: matcher, reasonOf: (rel) => protectionReason(manifest, rel) };
    if (cache.size >= 1000) cache.clear(); // bounded: a worker's goals, not all ever seen
    cache.set(key, protection);
    return protection;
  };
}

export async function executeTool(deps: ToolCallDeps, input: ExecuteToolInput): Promise<ExecuteToolResult> {
  const { store } = deps;
  const ctx = Context.current();
  const existing = await store.readToolResult(input.goalId, input.turn, input.callId);
  if (existing) return digest(existing, signature(existing.name, await argumentsOf(store, input)));

  const leftover = await readToolPid(deps.home, input.goalId, input.turn, input.callId);
  if (leftover !== null && killProcessGroup(leftover)) {
    ctx.log.warn('stopped a leftover process of a previous attempt', { pid: leftover, callId: input.callId });
  }

  // The protected-paths manifest, read once for the write tools' guard and the sandbox's read-only files.
  const manifest = await store.readProtectedManifest(input.goalId);
  const protection = await deps.protection(input.goalId, input.mode ?? 'goal', manifest);
  const sandbox = await sandboxOf(store, deps.home, input, manifest);
  const commandPolicy = policyOf(input.commands);
  const call = await findToolCall(store, input.goalId, input.turn, input.callId);
  if (!call) throw new Error(`tool call ${input.callId} of turn ${input.turn} is not in the goal store`);
  // A draft's shell runs in a throw-away copy: a command that wrote there is reported, to the model and the user.
  const watchWrites = input.mode === 'draft' && call.name === 'shell';
  const before = watchWrites ? (await workspaceFingerprint(input.workspace)).fingerprint : null;
  const mcp = input.mcp && deps.mcp && isMcpToolName(call.name) ? { servers: input.mcp, pool: deps.mcp } : null;
  const ran = mcp
    ? await runMcpTool(mcp.pool, {
        servers: mcp.servers,
        name: call.name,
        arguments: call.arguments,
        workspace: input.workspace,
        ...(sandbox ? { sandbox } : {}),
        ...(input.allowEnv ? { allowEnv: input.allowEnv } : {}),
        signal: ctx.cancellationSignal,
        onProgress: () => ctx.heartbeat(),
        redact: deps.redact ?? redactEnvSecrets,
        maxOutputChars: deps.maxOutputChars,
        storeFullOutput: (text: string) => store.putBlob(input.goalId, text),
      })
    : await runTool({
        mode: input.mode ?? 'goal',
        workspace: input.workspace,
        name: call.name,
        arguments: call.arguments,
        signal: ctx.cancellationSignal,
        onProgress: () => ctx.heartbeat(),
        onSpawn: (pid: number) => {
          try {
            writeToolPidSync(deps.home, input.goalId, input.turn, input.callId, pid);
          } catch (err) {
            ctx.log.warn('could not record the tool process id', { error: String(err) });
          }
        },
        ...(protection ? { isProtected: protection.isProtected, protectedReason: protection.reasonOf } : {}),
        ...(commandPolicy ? { commandPolicy } : {}),
        ...(input.allowEnv ? { allowEnv: input.allowEnv } : {}),
        ...(sandbox ? { sandbox } : {}),
        redact: deps.redact ?? redactEnvSecrets,
        defaultShellTimeoutMs: deps.defaultShellTimeoutMs,
        maxOutputChars: deps.maxOutputChars,
        storeFullOutput: (text: string) => store.putBlob(input.goalId, text),
      });
  const wrote = before !== null && (await workspaceFingerprint(input.workspace)).fingerprint !== before;
  const result = wrote
    ? {
        ...ran,
        output: `${ran.output}\n[draft] Refused to keep: this command changed files. It ran in a throw-away copy, so the user's workspace is unchanged; the orchestrator measures in a fresh copy. Drafting is read-only: put changes in the plan.`,
        summary: `wrote to the throw-away copy: ${ran.summary}`.slice(0, 200),
      }
    : ran;
  // runTool redacted output and summary; the draft note above adds nothing secret.
  const stored = {
    callId: call.callId,
    name: call.name,
    output: result.output,
    isError: result.isError,
    summary: result.summary,
    ...(result.control ? { control: result.control } : {}),
    ...(result.fullOutputRef ? { fullOutputRef: result.fullOutputRef } : {}),
    ...(result.refused ? { refused: result.refused } : {}),
  };
  await store.writeToolResult(input.goalId, input.turn, stored);
  return digest(stored, signature(call.name, call.arguments));
}

/**
 * The sandbox of this call on this host (none for `sandbox: off`): the goal store, the held-out checks' files and the
 * worker's home hidden, the protected files recorded at baseline read-only.
 */
export async function sandboxOf(
  store: GoalStore,
  home: string,
  input: Pick<ExecuteToolInput, 'goalId' | 'workspace' | 'mode' | 'sandbox' | 'holdout'>,
  /** The goal's manifest when the caller has read it already (else it is read here). */
  read?: ProtectedManifest | null,
): Promise<SandboxPlan | undefined> {
  if (input.sandbox === 'off') return undefined;
  const manifest =
    input.mode === 'draft' ? null : read !== undefined ? read : await store.readProtectedManifest(input.goalId);
  return sandboxPlan({
    workspace: input.workspace,
    longhaulHome: home,
    // The $HOME the command sees (commandEnv hands it on), else the account's.
    home: process.env.HOME || homedir(),
    ...(input.sandbox ? { policy: input.sandbox } : {}),
    protectedFiles: Object.keys(manifest?.files ?? {}),
    ...(input.holdout ? { holdout: input.holdout } : {}),
  });
}

async function argumentsOf(store: GoalStore, input: ExecuteToolInput): Promise<string> {
  return (await findToolCall(store, input.goalId, input.turn, input.callId))?.arguments ?? '';
}

function signature(name: string, args: string): string {
  return createHash('sha256').update(name).update('\0').update(args).digest('hex').slice(0, 16);
}

/** The small result the workflow sees (the full output stays in the store). Control texts are already capped. */
function digest(r: StoredToolResult, sig: string): ExecuteToolResult {
  const control = r.control?.kind === 'done' ? { ...r.control, summary: r.control.summary.slice(0, 1000) } : r.control;
  const refused = r.refused ? { path: r.refused.path.slice(0, 500), reason: r.refused.reason.slice(0, 500) } : null;
  return {
    isError: r.isError,
    summary: r.summary,
    sig,
    ...(control ? { control } : {}),
    ...(refused ? { refusedProtected: refused } : {}),
  };
}
