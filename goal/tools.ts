/**
 * The agent's tools as the model sees them: argument schemas (zod), their inferred types and the JSON Schema
 * tool definitions offered to the model. Pure: the implementations live in activities/tools/.
 */
import { z } from 'zod';
import type { ToolDefinition } from './transcript';

/** Limits shared by the tool descriptions (which the model reads) and the implementations. */
export const TOOL_LIMITS = {
  /** read_file returns at most this many lines per call. */
  readMaxLines: 400,
  /** read_file returns at most this many characters of file text per call. */
  readMaxChars: 100_000,
  /** list_files lists at most this many entries unless maxEntries says otherwise. */
  listDefaultEntries: 1000,
  /** Upper bound for list_files' maxEntries. */
  listMaxEntries: 10_000,
  /** search reports at most this many matching lines. */
  searchMaxMatches: 200,
  /** Longest shell command (the kernel refuses arguments over 128 KiB). */
  shellMaxCommandChars: 100_000,
  /** Upper bound for shell's timeoutSeconds. */
  shellMaxTimeoutSeconds: 3600,
  /** Upper bound for wait's minutes (a day). */
  waitMaxMinutes: 1440,
  /** Longest text per field of record_progress and blocked. */
  controlMaxChars: 2000,
} as const;

export const TOOL_NAMES = [
  'shell',
  'read_file',
  'write_file',
  'edit_file',
  'list_files',
  'search',
  'record_progress',
  'wait',
  'blocked',
  'done',
  'propose_goal',
] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** What the agent is doing: pursuing a goal, or drafting one (read-only exploration ending in a proposal). */
export type AgentMode = 'goal' | 'draft';

/** The tools each mode offers; any other tool the model calls is refused with the reason. */
export const MODE_TOOLS: Record<AgentMode, readonly ToolName[]> = {
  goal: TOOL_NAMES.filter((t) => t !== 'propose_goal'),
  draft: ['shell', 'read_file', 'list_files', 'search', 'propose_goal'],
};

/** Tools that cannot change the workspace: after a turn of only these, no fingerprint or verification is needed. */
export const READ_ONLY_TOOLS: readonly ToolName[] = [
  'read_file',
  'list_files',
  'search',
  'record_progress',
  'wait',
  'blocked',
];

/**
 * Tools whose calls finish in milliseconds and touch nothing outside the workspace and the goal store (reads and
 * control tools): run as local activities where the goal has no host elsewhere (workflows/tool-call.ts). `shell`, the
 * writes, MCP calls and measurements stay regular activities: they can run long, heartbeat, or act outside.
 */
export const QUICK_TOOLS: readonly ToolName[] = [...READ_ONLY_TOOLS, 'done'];

/**
 * What a control tool asks of the orchestrator (the other tools act on the workspace): verify (`done`), wait,
 * note a blocker, or record the execution frontier.
 */
export type ToolControl =
  | { readonly kind: 'done'; readonly summary: string }
  | { readonly kind: 'wait'; readonly minutes: number; readonly reason: string }
  | { readonly kind: 'blocked'; readonly reason: string }
  | { readonly kind: 'progress'; readonly done: string; readonly remaining: string; readonly next: string }
  /** A draft's proposal: the spec as YAML (validated) and the plan (Markdown). */
  | { readonly kind: 'proposal'; readonly specYaml: string; readonly plan: string };

/** True if `name` is one of the agent's tools. */
export function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as readonly string[]).includes(name);
}

const workspacePath = (what: string) =>
  z
    .string()
    .min(1)
    .describe(`${what}, relative to the workspace root (e.g. "src/index.ts"). Paths inside .git/ are not allowed.`);

export const shellArgsSchema = z
  .object({
    command: z
      .string()
      .min(1)
      .max(
        TOOL_LIMITS.shellMaxCommandChars,
        `longer than ${TOOL_LIMITS.shellMaxCommandChars} characters: write the script to a file with write_file, then run the file`,
      )
      .refine((c) => !c.includes('\0'), 'contains a NUL byte, which no shell can run: remove it')
      .describe(
        'The bash command to run (via `bash -c`) in the workspace root. Stdin is closed, so do not run interactive programs.',
      ),
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(TOOL_LIMITS.shellMaxTimeoutSeconds)
      .optional()
      .describe(
        `Kill the command (and every process it started) after this many seconds, 1 to ${TOOL_LIMITS.shellMaxTimeoutSeconds}. Omit to use the default timeout.`,
      ),
  })
  .strict();
export type ShellArgs = z.infer<typeof shellArgsSchema>;

export const readFileArgsSchema = z
  .object({
    path: workspacePath('The file to read'),
    startLine: z.number().int().min(1).optional().describe('First line to return (1-based). Defaults to 1.'),
    endLine: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        `Last line to return (1-based, inclusive). Defaults to the end of the file; at most ${TOOL_LIMITS.readMaxLines} lines are returned per call.`,
      ),
  })
  .strict();
export type ReadFileArgs = z.infer<typeof readFileArgsSchema>;

export const writeFileArgsSchema = z
  .object({
    path: workspacePath('The file to create or overwrite'),
    content: z.string().describe('The complete new content of the file.'),
  })
  .strict();
export type WriteFileArgs = z.infer<typeof writeFileArgsSchema>;

export const editFileArgsSchema = z
  .object({
    path: workspacePath('The file to edit'),
    oldText: z
      .string()
      .min(1)
      .describe(
        'The exact text to replace, including whitespace and indentation. It must occur exactly once in the file unless replaceAll is true; include enough surrounding lines to make it unique.',
      ),
    newText: z.string().describe('The text to put in place of oldText (may be empty to delete it).'),
    replaceAll: z
      .boolean()
      .optional()
      .describe('Replace every occurrence of oldText instead of requiring exactly one. Defaults to false.'),
  })
  .strict();
export type EditFileArgs = z.infer<typeof editFileArgsSchema>;

export const listFilesArgsSchema = z
  .object({
    path: z
      .string()
      .default('.')
      .describe('The directory to list, relative to the workspace root. Defaults to "." (the whole workspace).'),
    maxEntries: z
      .number()
      .int()
      .min(1)
      .max(TOOL_LIMITS.listMaxEntries)
      .optional()
      .describe(
        `Maximum number of entries to return (default ${TOOL_LIMITS.listDefaultEntries}, at most ${TOOL_LIMITS.listMaxEntries}).`,
      ),
  })
  .strict();
export type ListFilesArgs = z.infer<typeof listFilesArgsSchema>;

export const searchArgsSchema = z
  .object({
    pattern: z
      .string()
      .min(1)
      .describe(
        'A JavaScript regular expression (no slashes, no flags) matched against each line, e.g. "function\\s+runTool". Escape special characters such as ( [ . * with a backslash to match them literally.',
      ),
    path: z
      .string()
      .optional()
      .describe('A directory or file to search, relative to the workspace root. Defaults to the whole workspace.'),
    glob: z
      .string()
      .optional()
      .describe(
        'Only search files matching this glob, e.g. "*.ts" (matched against file names) or "src/**/*.test.ts" (matched against paths relative to the workspace root).',
      ),
  })
  .strict();
export type SearchArgs = z.infer<typeof searchArgsSchema>;

export const doneArgsSchema = z
  .object({
    summary: z
      .string()
      .min(1)
      .describe(
        'Why you believe the goal is fully met: what you changed and how you checked it (commands run, tests passing).',
      ),
  })
  .strict();
export type DoneArgs = z.infer<typeof doneArgsSchema>;

const controlText = (what: string) => z.string().trim().min(1).max(TOOL_LIMITS.controlMaxChars).describe(what);

export const recordProgressArgsSchema = z
  .object({
    done: controlText('What is done and verified so far (facts, measurements, what was tried and rejected).'),
    remaining: controlText('What remains to reach the goal.'),
    next: controlText('Your next concrete step.'),
  })
  .strict();

export const waitArgsSchema = z
  .object({
    minutes: z
      .number()
      .int()
      .min(1)
      .max(TOOL_LIMITS.waitMaxMinutes)
      .describe(`How long to wait, 1 to ${TOOL_LIMITS.waitMaxMinutes} minutes.`),
    reason: controlText('What you are waiting for, e.g. "the nightly benchmark job to finish".'),
  })
  .strict();

export const blockedArgsSchema = z
  .object({
    reason: controlText(
      'What blocks you and what the user must do, e.g. "npm install fails: the registry needs credentials".',
    ),
  })
  .strict();

/** Limits of a draft's proposal: the spec is a page of YAML, the plan a few pages of Markdown. */
export const PROPOSAL_LIMITS = { specChars: 16_000, planChars: 20_000 } as const;

export const proposeGoalArgsSchema = z
  .object({
    specYaml: z
      .string()
      .trim()
      .min(1)
      .max(PROPOSAL_LIMITS.specChars)
      .describe('The goal spec as YAML (objective, metrics, checks, protect, budget, guidance); no workspace key.'),
    plan: z
      .string()
      .trim()
      .min(1)
      .max(PROPOSAL_LIMITS.planChars)
      .describe('PLAN.md: what you found, the candidate approaches (most promising first), risks.'),
  })
  .strict();

/** Argument schema of each tool. */
export const toolSchemas = {
  shell: shellArgsSchema,
  read_file: readFileArgsSchema,
  write_file: writeFileArgsSchema,
  edit_file: editFileArgsSchema,
  list_files: listFilesArgsSchema,
  search: searchArgsSchema,
  record_progress: recordProgressArgsSchema,
  wait: waitArgsSchema,
  blocked: blockedArgsSchema,
  done: doneArgsSchema,
  propose_goal: proposeGoalArgsSchema,
} as const satisfies Record<ToolName, z.ZodObject>;

/** Parsed (validated) arguments of each tool. */
export type ToolArgs = { [K in ToolName]: z.infer<(typeof toolSchemas)[K]> };

const TOOL_DESCRIPTIONS: Record<ToolName, string> = {
  shell:
    'Run a bash command in the workspace root (a git repository) and get its exit code, stdout and stderr. ' +
    'Use it to build, run tests, run git, install dependencies and inspect the system. Each call is a fresh shell: ' +
    '`cd` and exported variables do not carry over to the next call. Long output is cut in the middle (head and tail kept). ' +
    'On timeout the command and all processes it started are killed.',
  read_file:
    'Read a text file from the workspace. Lines are returned numbered ("   12| text"); the numbers are not part of the file. ' +
    `At most ${TOOL_LIMITS.readMaxLines} lines (and about ${TOOL_LIMITS.readMaxChars / 1000} KB) are returned per call; ` +
    'the result says which startLine to pass to read the next page.',
  write_file:
    'Create a file or replace its whole content. Parent directories are created as needed. ' +
    'Prefer edit_file for changing part of an existing file.',
  edit_file:
    'Replace an exact piece of text in an existing file. oldText must match the file exactly (whitespace included) ' +
    'and occur exactly once, unless replaceAll is true. Read the file first to copy the text exactly, without the line-number prefixes.',
  list_files:
    'List files and directories under a workspace directory, recursively and sorted; directories end with "/". ' +
    '.git and node_modules are skipped. Paths are relative to the workspace root.',
  search:
    'Search text files for lines matching a JavaScript regular expression. Returns "path:line: text" for each matching line ' +
    `(at most ${TOOL_LIMITS.searchMaxMatches}). .git, node_modules and binary files are skipped.`,
  record_progress:
    'Record where you stand: what is done, what remains, and your next step. It is shown to you at the top of every ' +
    'later turn, even after older turns are summarised, so keep it current after each significant step.',
  wait:
    'Wait before the next turn, e.g. for an external job or a cache to expire. The orchestrator sleeps durably; the ' +
    'wait ends early if the user pauses, edits the goal or sends guidance. The time counts toward the hours budget.',
  blocked:
    'Declare that you cannot make progress without the user (missing credentials, a decision only they can make). ' +
    'The user is alerted. If you declare a blocker on 3 consecutive turns, the goal ends as blocked; if you can ' +
    'make progress another way, do that instead.',
  done:
    'Call this when you believe the goal is fully met. It does not end the work by itself: it asks the orchestrator to ' +
    'verify the goal, and you will be told what remains if verification fails. Do not call it while work remains.',
  propose_goal:
    'Propose the goal: its spec as YAML and a PLAN.md. The spec is validated at once (errors say what to fix); ' +
    'then the orchestrator runs each metric command several times and each check in a fresh copy of the workspace ' +
    'to measure the baseline and its noise, and shows the user the proposal with any warning.',
};

/** Each tool's JSON Schema, converted once: zod's conversion was a visible share of a worker's CPU per turn. */
const parameterSchemas = new Map<ToolName, Record<string, unknown>>();

/**
 * JSON Schema of a tool's arguments as the model should produce them (defaults make fields optional). The same
 * object on every call: read it, do not change it.
 */
export function toolParametersSchema(name: ToolName): Record<string, unknown> {
  const cached = parameterSchemas.get(name);
  if (cached) return cached;
  const { $schema: _ignored, ...schema } = z.toJSONSchema(toolSchemas[name], { io: 'input' }) as Record<
    string,
    unknown
  >;
  parameterSchemas.set(name, schema);
  return schema;
}

/** The tool definitions offered to the model in a mode. */
export function toolDefinitions(mode: AgentMode = 'goal'): ToolDefinition[] {
  return MODE_TOOLS[mode].map((name) => ({
    name,
    description: TOOL_DESCRIPTIONS[name],
    parameters: toolParametersSchema(name),
  }));
}
