/**
 * Runs one tool call from the model: validates the raw call, runs the tool in the workspace and turns the
 * outcome into what the model sees. A malformed call or a failing tool becomes an error result explaining the
 * fix; only cancellation (an aborted signal) is thrown.
 */
import { realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';
import type { z } from 'zod';
import {
  MODE_TOOLS,
  isToolName,
  toolParametersSchema,
  toolSchemas,
  type ShellArgs,
  type ToolArgs,
  type ToolControl,
  type AgentMode,
  type ToolName,
} from '../../goal/tools';
import { checkProposal } from './propose';
import { editFileTool, listFilesTool, readFileTool, searchTool, writeFileTool, type FileToolResult } from './files';
import { commandEnv } from '../security/command-env';
import { redactEnvSecrets, type Redact } from '../security/redact';
import { compilePolicy, refusalMessage, type CommandPolicy } from './command-policy';
import { bwrapArgs, bwrapPath, probeSandbox, type SandboxPlan } from '../security/sandbox';
import { runShell, type ShellProgress, type ShellResult } from './shell';
import { truncateHeadTail } from './truncate';
import { PathOutsideWorkspaceError, resolveInWorkspace } from './workspace-path';

export interface RunToolInput {
  /** Absolute path of the workspace root (a git repository). */
  readonly workspace: string;
  /** The tool name as the model gave it. */
  readonly name: string;
  /** The raw JSON arguments as the model produced them (may be malformed). */
  readonly arguments: string;
  /** Cancels the call: a running shell command is killed and runTool rejects. */
  readonly signal?: AbortSignal;
  /** Progress of a running shell command (e.g. to heartbeat). */
  readonly onProgress?: (info: ShellProgress) => void;
  /** Called with the shell command's pid / process group id once it has started. */
  readonly onSpawn?: (pid: number) => void;
  /** Shell timeout when the call gives no timeoutSeconds. */
  readonly defaultShellTimeoutMs: number;
  /** The output the model sees is cut (head + tail) to this many characters. */
  readonly maxOutputChars: number;
  /** Stores a full output that had to be cut; returns a reference to it. */
  readonly storeFullOutput: (text: string) => Promise<string>;
  /**
   * Whether a workspace-relative path (forward slashes, symlinks resolved) is protected: write_file and edit_file
   * refuse such paths (the goal's tests, benchmarks and measurement scripts).
   */
  readonly isProtected?: (relPath: string) => boolean;
  /** Why a protected path is protected, for the refusal ("named by check tests"). */
  readonly protectedReason?: (relPath: string) => string | null;
  /** Which tools are offered (a draft's are read-only, plus propose_goal). @default 'goal' */
  readonly mode?: AgentMode;
  /** Credential-like variables of the worker the shell keeps (the goal spec's env.allow). @default [] */
  readonly allowEnv?: readonly string[];
  /** The shell tool's command policy (the default rules plus the goal spec's commands). @default the default rules */
  readonly commandPolicy?: CommandPolicy;
  /**
   * Removes secrets from every output before the model, the store or a stored full output sees it.
   * @default the worker environment's secrets and the well-known secret shapes
   */
  readonly redact?: Redact;
  /**
   * The sandbox the shell runs in (activities/security/sandbox.ts); a host that cannot build one refuses the call.
   * @default none: the shell runs with the worker's rights
   */
  readonly sandbox?: SandboxPlan;
}

export interface ToolRunResult {
  /** What the model sees, at most maxOutputChars (head + tail). */
  readonly output: string;
  readonly isError: boolean;
  /** One line (<= 200 chars) for logs and progress, e.g. "shell: npm test → exit 1 (3.2 s)". */
  readonly summary: string;
  /** Set for the control tools (done, wait, blocked, record_progress): what the orchestrator must do. */
  readonly control?: ToolControl;
  /** Reference (from storeFullOutput) to the full output when `output` was cut. */
  readonly fullOutputRef?: string;
  /** The shell command's exit code (null if it was killed by a signal). */
  readonly exitCode?: number | null;
  /** Set when write_file / edit_file was refused on a protected path: which, and why (for the user). */
  readonly refused?: { readonly path: string; readonly reason: string };
}

const MAX_SUMMARY_CHARS = 200;

/** Extra environment for shell commands: nothing may wait for a terminal or a pager. */
const NON_INTERACTIVE_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', PAGER: 'cat' } as const;

export function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Thrown when the call was cancelled: the signal's reason if it is an Error. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error(`tool call aborted${typeof reason === 'string' ? `: ${reason}` : ''}`);
  err.name = 'AbortError';
  return err;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation of the raw call

/** A compact signature such as `edit_file({ path: string, oldText: string, replaceAll?: boolean })`. */
function signature(name: ToolName): string {
  const schema = toolParametersSchema(name) as { properties?: Record<string, { type?: string }>; required?: string[] };
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(
    ([key, prop]) => `${key}${required.has(key) ? '' : '?'}: ${prop.type ?? 'any'}`,
  );
  return `${name}({ ${fields.join(', ')} })`;
}

function describeIssue(name: ToolName, issue: z.core.$ZodIssue, args: Record<string, unknown>): string {
  const field = issue.path.map(String).join('.');
  const properties = (toolParametersSchema(name).properties ?? {}) as Record<string, { description?: string }>;
  const topKey = issue.path[0];
  const about = typeof topKey === 'string' ? properties[topKey]?.description : undefined;
  const aboutText = about === undefined ? '' : ` (${about})`;

  if (issue.code === 'unrecognized_keys') {
    const valid = Object.keys(properties).join(', ');
    return issue.keys.map((k) => `- "${k}": not a field of ${name}; valid fields are: ${valid}`).join('\n');
  }
  if (issue.code === 'invalid_type' && typeof topKey === 'string' && issue.path.length === 1 && !(topKey in args)) {
    return `- "${field}": missing; expected ${issue.expected}${aboutText}`;
  }
  const what = issue.message.replace(/^Invalid input: /, '');
  return `- "${field || '(arguments)'}": ${what}${aboutText}`;
}

type Parsed = { ok: true; tool: ToolName; args: ToolArgs[ToolName] } | { ok: false; output: string; summary: string };

function parseCall(name: string, rawArguments: string, mode: AgentMode): Parsed {
  if (!isToolName(name)) {
    return {
      ok: false,
      output: `Unknown tool "${name}". The available tools are: ${MODE_TOOLS[mode].join(', ')}. Call one of them by its exact name.`,
      summary: `unknown tool "${oneLine(name, 60)}"`,
    };
  }
  if (!MODE_TOOLS[mode].includes(name)) {
    return {
      ok: false,
      output:
        mode === 'draft'
          ? `Refused: ${name} is not available while drafting. A draft never changes the user's workspace; ` +
            'describe the change in the plan you pass to propose_goal instead. ' +
            `The available tools are: ${MODE_TOOLS.draft.join(', ')}.`
          : `${name} is only for drafting a goal; this goal is already running. The available tools are: ${MODE_TOOLS.goal.join(', ')}.`,
      summary: `refused: ${name} (${mode === 'draft' ? 'read-only draft' : 'not a goal tool'})`,
    };
  }
  let json: unknown;
  const text = rawArguments.trim();
  try {
    json = text === '' ? {} : JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      output:
        `The arguments for ${name} are not valid JSON (${why}). Send the arguments as a single JSON object, ` +
        `e.g. ${signature(name)}, with strings quoted and special characters (newlines, quotes, backslashes) escaped.`,
      summary: `${name}: arguments are not valid JSON`,
    };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return {
      ok: false,
      output: `The arguments for ${name} must be a JSON object with named fields, not ${Array.isArray(json) ? 'an array' : typeof json === 'object' ? 'null' : `a ${typeof json}`}. Expected: ${signature(name)}.`,
      summary: `${name}: arguments are not a JSON object`,
    };
  }
  const result = toolSchemas[name].safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((i) => describeIssue(name, i, json as Record<string, unknown>));
    return {
      ok: false,
      output: `Invalid arguments for ${name}:\n${problems.join('\n')}\nExpected: ${signature(name)}. Fix the arguments and call ${name} again.`,
      summary: `${name}: invalid arguments`,
    };
  }
  return { ok: true, tool: name, args: result.data };
}

// ---------------------------------------------------------------------------------------------------------------
// Output

/** What the model sees of an output: redacted, cut to maxOutputChars (head + tail), the whole stored when cut. */
export async function fitOutput(
  raw: string,
  input: Pick<RunToolInput, 'redact' | 'maxOutputChars' | 'storeFullOutput'>,
): Promise<{ output: string; fullOutputRef?: string }> {
  const text = (input.redact ?? redactEnvSecrets)(raw);
  if (text.length <= input.maxOutputChars) return { output: text };
  let ref: string | undefined;
  try {
    ref = await input.storeFullOutput(text);
  } catch {
    ref = undefined; // The model still gets head and tail; only the stored copy is missing.
  }
  const cut = truncateHeadTail(text, input.maxOutputChars, ref);
  return ref === undefined ? { output: cut.text } : { output: cut.text, fullOutputRef: ref };
}

function formatShellOutput(timeoutMs: number, r: ShellResult): string {
  const status = r.exitCode !== null ? `exit code ${r.exitCode}` : `killed by ${r.signal ?? 'a signal'} (no exit code)`;
  const lines = [`${status} (${formatSeconds(r.durationMs)})`];
  if (r.timedOut) {
    lines.push(
      `[Timed out after ${formatSeconds(timeoutMs)}: the command and every process it started were killed. ` +
        `Pass a larger timeoutSeconds (up to 3600), or make the command finish sooner.]`,
    );
  }
  if (r.backgroundStopped) {
    lines.push(
      '[The command left processes running in the background; they were stopped. Each call is a fresh shell: ' +
        'start a server in the same command as what uses it (e.g. `npm start & sleep 2; curl …; kill %1`).]',
    );
  }
  if (r.stdout === '' && r.stderr === '') lines.push('(no output)');
  if (r.stdout !== '') lines.push(`--- stdout ---\n${r.stdout.replace(/\n$/, '')}`);
  if (r.stderr !== '') lines.push(`--- stderr ---\n${r.stderr.replace(/\n$/, '')}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Running

const DEFAULT_POLICY = compilePolicy();

async function runShellTool(args: ShellArgs, input: RunToolInput): Promise<ToolRunResult> {
  const refusal = (input.commandPolicy ?? DEFAULT_POLICY).check(args.command, {
    workspace: path.resolve(input.workspace),
    home: homedir(),
  });
  if (refusal) {
    return {
      ...(await fitOutput(refusalMessage(refusal), input)),
      isError: true,
      summary: oneLine(`shell: refused (${refusal.rule}): ${args.command}`, MAX_SUMMARY_CHARS),
    };
  }
  const sandbox = input.sandbox;
  const probe = sandbox ? probeSandbox() : undefined;
  if (probe && !probe.ok) {
    return {
      ...(await fitOutput(
        `Refused: this goal's shell runs in a sandbox, and this worker host cannot build one: ${probe.problem ?? ''}. ` +
          'Only the user can fix this; the file tools still work.',
        input,
      )),
      isError: true,
      summary: oneLine(`shell: refused (no sandbox on this host): ${args.command}`, MAX_SUMMARY_CHARS),
    };
  }
  const timeoutMs = args.timeoutSeconds !== undefined ? args.timeoutSeconds * 1000 : input.defaultShellTimeoutMs;
  const result = await runShell({
    command: args.command,
    cwd: input.workspace,
    timeoutMs,
    // In the sandbox, /tmp is the command's own: a TMPDIR elsewhere would be read-only or hidden.
    env: commandEnv(
      sandbox ? { ...NON_INTERACTIVE_ENV, TMPDIR: '/tmp' } : NON_INTERACTIVE_ENV,
      process.env,
      input.allowEnv,
    ),
    ...(sandbox ? { wrapper: { program: bwrapPath(), args: bwrapArgs(sandbox) } } : {}),
    signal: input.signal,
    onProgress: input.onProgress,
    onSpawn: input.onSpawn,
  });
  if (result.aborted && input.signal) throw abortError(input.signal);

  const fitted = await fitOutput(formatShellOutput(timeoutMs, result), input);
  const outcome = result.timedOut
    ? `timed out after ${formatSeconds(timeoutMs)}`
    : result.exitCode !== null
      ? `exit ${result.exitCode} (${formatSeconds(result.durationMs)})`
      : `killed by ${result.signal ?? 'signal'} (${formatSeconds(result.durationMs)})`;
  const prefix = 'shell: ';
  const suffix = ` → ${outcome}`;
  const command = oneLine(args.command, Math.max(20, MAX_SUMMARY_CHARS - prefix.length - suffix.length));
  return {
    ...fitted,
    isError: result.timedOut || result.exitCode !== 0,
    summary: oneLine(`${prefix}${command}${suffix}`, MAX_SUMMARY_CHARS),
    exitCode: result.exitCode,
  };
}

async function runFileTool(tool: ToolName, args: ToolArgs[ToolName], input: RunToolInput): Promise<FileToolResult> {
  const ws = input.workspace;
  const opts = { signal: input.signal, maxChars: Math.max(1000, input.maxOutputChars - 500) };
  switch (tool) {
    case 'read_file':
      return readFileTool(ws, args as ToolArgs['read_file'], opts);
    case 'write_file':
      return writeFileTool(ws, args as ToolArgs['write_file']);
    case 'edit_file':
      return editFileTool(ws, args as ToolArgs['edit_file']);
    case 'list_files':
      return listFilesTool(ws, args as ToolArgs['list_files'], opts);
    case 'search':
      return searchTool(ws, args as ToolArgs['search'], opts);
    default:
      throw new Error(`${tool} is not a file tool`);
  }
}

/** The refusal for write_file / edit_file on a protected path, or undefined if the path may be written. */
async function protectedRefusal(
  tool: ToolName,
  args: ToolArgs[ToolName],
  input: RunToolInput,
): Promise<ToolRunResult | undefined> {
  if (input.isProtected === undefined || (tool !== 'write_file' && tool !== 'edit_file')) return undefined;
  const given = (args as ToolArgs['write_file'] | ToolArgs['edit_file']).path;
  const abs = await resolveInWorkspace(input.workspace, given);
  const rel = path
    .relative(await realpath(input.workspace), abs)
    .split(path.sep)
    .join('/');
  if (!input.isProtected(rel)) return undefined;
  const reason = input.protectedReason?.(rel) ?? null;
  // A held-out check is not the agent's to know about: it hears only that the path guards the verification.
  const told =
    reason === null ? '' : reason.startsWith('named by held-out check') ? 'it guards the verification' : reason;
  return {
    ...(await fitOutput(
      `${rel} is protected${told ? ` (${told})` : ''}: the goal's tests, benchmarks and measurement scripts may not be changed. ` +
        'Change the code under test instead.',
      input,
    )),
    isError: true,
    summary: oneLine(`${tool}: refused: ${rel} is protected`, MAX_SUMMARY_CHARS),
    refused: { path: rel, reason: reason ?? 'protected by the goal' },
  };
}

/** The control tools need nothing from the workspace: they answer at once and carry a request for the orchestrator. */
function controlResult(tool: ToolName, args: ToolArgs[ToolName]): ToolRunResult | undefined {
  const result = (control: ToolControl, output: string, summary: string): ToolRunResult => ({
    output,
    isError: false,
    summary: oneLine(summary, MAX_SUMMARY_CHARS),
    control,
  });
  switch (tool) {
    case 'done': {
      const { summary } = args as ToolArgs['done'];
      return result(
        { kind: 'done', summary },
        'Verification requested: the orchestrator will now check whether the goal is met. ' +
          'If it is not, you will be told what remains.',
        `done: ${summary}`,
      );
    }
    case 'record_progress': {
      const a = args as ToolArgs['record_progress'];
      return result(
        { kind: 'progress', done: a.done, remaining: a.remaining, next: a.next },
        'Recorded. It will be shown at the top of your next turns.',
        `record_progress: next: ${a.next}`,
      );
    }
    case 'wait': {
      const a = args as ToolArgs['wait'];
      return result(
        { kind: 'wait', minutes: a.minutes, reason: a.reason },
        `The orchestrator will wait ${a.minutes} minute(s) after this turn's calls (less if the hours budget ends sooner).`,
        `wait ${a.minutes} min: ${a.reason}`,
      );
    }
    case 'blocked': {
      const a = args as ToolArgs['blocked'];
      return result(
        { kind: 'blocked', reason: a.reason },
        'The user has been alerted. If you can make progress another way, do so; a blocker declared on 3 consecutive turns ends the goal as blocked.',
        `blocked: ${a.reason}`,
      );
    }
    default:
      return undefined;
  }
}

/** A draft's proposal: validated now, so the orchestrator only ever measures a spec that `start` accepts. */
function proposalResult(args: ToolArgs['propose_goal'], input: RunToolInput): ToolRunResult {
  const checked = checkProposal(args.specYaml, input.workspace);
  if (!checked.ok) {
    return {
      output: `The proposed spec is not valid:\n${checked.problems.map((p) => `- ${p}`).join('\n')}\nFix specYaml and call propose_goal again.`,
      isError: true,
      summary: oneLine(`propose_goal: invalid spec: ${checked.problems[0] ?? ''}`, MAX_SUMMARY_CHARS),
    };
  }
  return {
    output:
      'Proposal received. The orchestrator now measures each metric and runs each check in a fresh copy of the ' +
      'workspace, then shows the user your proposal with the measured baseline and any warning.',
    isError: false,
    summary: oneLine(`propose_goal: ${checked.spec.objective}`, MAX_SUMMARY_CHARS),
    control: { kind: 'proposal', specYaml: args.specYaml, plan: args.plan },
  };
}

async function execute(tool: ToolName, args: ToolArgs[ToolName], input: RunToolInput): Promise<ToolRunResult> {
  if (tool === 'shell') return runShellTool(args as ShellArgs, input);
  if (tool === 'propose_goal') return proposalResult(args as ToolArgs['propose_goal'], input);
  const refusal = await protectedRefusal(tool, args, input);
  if (refusal !== undefined) return refusal;
  const control = controlResult(tool, args);
  if (control) return control;
  const result = await runFileTool(tool, args, input);
  return {
    ...(await fitOutput(result.output, input)),
    isError: false,
    summary: oneLine(result.summary, MAX_SUMMARY_CHARS),
  };
}

/**
 * Runs one tool call. Never throws for a malformed call or a failing tool (those become `isError` results that
 * say how to fix the call); rejects only when `signal` aborts the call.
 */
export async function runTool(input: RunToolInput): Promise<ToolRunResult> {
  const result = await runToolUnredacted(input);
  return { ...result, summary: (input.redact ?? redactEnvSecrets)(result.summary) };
}

/** runTool before the summary is redacted (outputs are redacted by fitOutput). */
async function runToolUnredacted(input: RunToolInput): Promise<ToolRunResult> {
  if (input.signal?.aborted) throw abortError(input.signal);
  const parsed = parseCall(input.name, input.arguments, input.mode ?? 'goal');
  if (!parsed.ok) {
    return {
      ...(await fitOutput(parsed.output, input)),
      isError: true,
      summary: oneLine(parsed.summary, MAX_SUMMARY_CHARS),
    };
  }
  try {
    return await execute(parsed.tool, parsed.args, input);
  } catch (err) {
    if (input.signal?.aborted) throw abortError(input.signal);
    const message = err instanceof Error ? err.message : String(err);
    const output = err instanceof PathOutsideWorkspaceError ? message : `${parsed.tool} failed: ${message}`;
    return {
      ...(await fitOutput(output, input)),
      isError: true,
      summary: oneLine(`${parsed.tool}: error: ${message}`, MAX_SUMMARY_CHARS),
    };
  }
}
