/**
 * The goal spec: what the user asks for and how success is verified. Validated with zod at the edge
 * (CLI, edits) so that a bad spec is refused before anything starts.
 */
import { z } from 'zod';
import { MAX_SPEC_BYTES, MAX_TEXT_CHARS, tooLarge } from './payload';
import { sandboxSpec } from './sandbox';
import { mcpSpec } from './mcp';
import { WORKER_SECRET_NAME } from './secret-names';
import { isLocalPath, isRemoteUrl, parseRepoSlug, repoFromRemoteUrl } from './github-repo';

const identifier = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'use letters, digits, "_", "-" or "." (max 64), starting with a letter');

export const metricTarget = z.union(
  [
    z.object({ absolute: z.number().describe('the metric must reach this value') }).strict(),
    z
      .object({
        relative: z
          .number()
          .gt(-1)
          .refine((v) => v !== 0, 'a relative target of 0 is no goal: use e.g. -0.30 for "30% lower"')
          .describe('change relative to the baseline: -0.30 means 30% lower, 0.10 means 10% higher'),
      })
      .strict(),
  ],
  { error: 'target must be { absolute: NUMBER } or { relative: FRACTION } (e.g. { relative: -0.30 } for 30% lower)' },
);
export type MetricTarget = z.infer<typeof metricTarget>;

/** A shell command: not empty, and no NUL byte (no process can be started with one). */
const shellCommand = z
  .string()
  .trim()
  .min(1, 'command must not be empty')
  .refine((c) => !c.includes('\0'), 'command contains a NUL byte: no shell can run it; remove it');

export const MEASURE_KINDS = ['wall_time', 'stdout_number', 'json', 'exit_code', 'junit', 'coverage'] as const;
export const JUNIT_COUNTS = ['failed', 'passed', 'total'] as const;

export const metricSpec = z
  .object({
    name: identifier.describe('metric name, e.g. build_seconds'),
    command: shellCommand.describe('shell command run in the workspace'),
    measure: z
      .enum(MEASURE_KINDS, { error: `measure must be one of: ${MEASURE_KINDS.join(', ')}` })
      .default('wall_time')
      .describe(
        'how a value is read: wall_time (seconds), stdout_number (regex), json (path), exit_code, junit (counts from JUnit XML), coverage (line % from an Istanbul json-summary or lcov file)',
      ),
    pattern: z
      .string()
      .optional()
      .describe('stdout_number: a regular expression whose first capture group (or whole match) is the number'),
    path: z.string().optional().describe('json: a dotted path into the JSON printed on stdout, e.g. "stats.total"'),
    report: z
      .string()
      .optional()
      .describe('junit/coverage/json: a file in the workspace the command writes (default: its stdout)'),
    count: z
      .enum(JUNIT_COUNTS, { error: 'count must be failed, passed or total' })
      .optional()
      .describe('junit: which count is the value (default failed = failures + errors)'),
    repeat: z.int().min(1).max(100).optional().describe('samples per measurement; the median is used'),
    warmup: z
      .int()
      .min(0)
      .max(10)
      .optional()
      .describe('unrecorded runs before sampling (caches, JIT); default 1 for wall_time, else 0'),
    deterministic: z
      .boolean()
      .optional()
      .describe('the value does not vary between runs (a count, a coverage): one sample, no paired runs'),
    direction: z.enum(['lower', 'higher'], { error: 'direction must be "lower" or "higher"' }),
    target: metricTarget,
    timeoutSeconds: z.int().min(1).max(86_400).default(600),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.measure === 'stdout_number') {
      if (!m.pattern) {
        ctx.addIssue({
          code: 'custom',
          path: ['pattern'],
          message: 'measure stdout_number needs a pattern, e.g. pattern: "(\\d+) failing"',
        });
      } else {
        try {
          new RegExp(m.pattern);
        } catch (e) {
          ctx.addIssue({
            code: 'custom',
            path: ['pattern'],
            message: `not a valid regular expression: ${regexError(e)}`,
          });
        }
      }
    }
    if (m.measure === 'json' && !m.path) {
      ctx.addIssue({ code: 'custom', path: ['path'], message: 'measure json needs a path, e.g. path: "stats.total"' });
    }
    if ('relative' in m.target) {
      const wrongWay = m.direction === 'lower' ? m.target.relative > 0 : m.target.relative < 0;
      if (wrongWay) {
        ctx.addIssue({
          code: 'custom',
          path: ['target', 'relative'],
          message: `direction is "${m.direction}" but the relative target ${m.target.relative} points the other way: use ${-m.target.relative}`,
        });
      }
    }
  });
export type MetricSpec = z.infer<typeof metricSpec>;

export const checkSpec = z
  .object({
    name: z.string().trim().min(1, 'a check needs a name'),
    command: shellCommand.describe('passes when it exits 0'),
    timeoutSeconds: z.int().min(1).max(86_400).default(900),
  })
  .strict();
export type CheckSpec = z.infer<typeof checkSpec>;

export const budgetSpec = z
  .object({
    maxTurns: z.int().min(1).max(1_000_000).default(50).describe('model turns before budget_exhausted'),
    maxTokens: z.int().min(1).optional().describe('total model tokens before budget_exhausted'),
    maxHours: z
      .number()
      .positive()
      .optional()
      .describe('working hours (workflow time, pauses excluded) before budget_exhausted'),
    maxCostUsd: z
      .number()
      .positive()
      .optional()
      .describe('model spend in US dollars (from the price table or model.price) before budget_exhausted'),
  })
  .strict();
export type BudgetSpec = z.infer<typeof budgetSpec>;

export const modelSpec = z
  .object({
    name: z.string().trim().min(1).optional().describe('model name; default LONGHAUL_MODEL or gpt-5.1'),
    api: z
      .enum(['responses', 'chat'], { error: 'model.api must be "responses" (OpenAI) or "chat" (compatible servers)' })
      .optional(),
    reasoningEffort: z.enum(['minimal', 'low', 'medium', 'high']).optional(),
    price: z
      .object({
        inputPerMTok: z.number().min(0).describe('US dollars per million input tokens'),
        cachedInputPerMTok: z
          .number()
          .min(0)
          .optional()
          .describe(
            "US dollars per million input tokens served from the provider's prompt cache; default inputPerMTok",
          ),
        outputPerMTok: z.number().min(0).describe('US dollars per million output tokens'),
      })
      .strict()
      .optional()
      .describe("overrides the built-in price table (goal/models.ts) for this goal's model"),
    contextWindow: z
      .int()
      .min(2_000)
      .max(10_000_000)
      .optional()
      .describe('tokens per request the model accepts; default from the built-in table, else 128000'),
    compactAt: z
      .number()
      .min(0.1)
      .max(0.95)
      .default(0.6)
      .describe('share of the context window at which older turns are summarised (compaction)'),
  })
  .strict();
export type ModelSpec = z.infer<typeof modelSpec>;

export const stallSpec = z
  .object({
    noProgress: z
      .int()
      .min(2)
      .max(100_000)
      .default(30)
      .describe('verifications without a new best before `stalled` (the user is alerted at half)'),
    repeatedFailures: z
      .int()
      .min(2)
      .max(1000)
      .default(5)
      .describe(
        'the same failing tool call this many times with no change in between alerts the user; twice as many → `stalled`',
      ),
  })
  .strict();
export type StallSpec = z.infer<typeof stallSpec>;

export const gitSpec = z
  .object({
    branch: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe('the goal branch for milestone commits, created from the start commit; default longhaul/<goal id>'),
    milestones: z
      .boolean()
      .default(true)
      .describe("commit the workspace to the goal branch after each new best and at the end (never the user's branch)"),
    remote: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe('a git remote (name or URL) the goal branch is pushed to at milestones and at the end'),
    pr: z
      .boolean()
      .optional()
      .describe('open a draft pull request from the goal branch on GitHub at the first push (needs remote)'),
    repo: z
      .string()
      .trim()
      .refine((r) => parseRepoSlug(r) !== null, 'git.repo must be a GitHub repository as owner/name, e.g. acme/app')
      .optional()
      .describe("the pull request's GitHub repository as owner/name; default: read from the remote's URL"),
    prBase: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe("the branch the pull request merges into; default: the repository's default branch"),
  })
  .strict()
  .superRefine((g, ctx) => {
    if (!g.pr) return;
    if (!g.milestones) {
      ctx.addIssue({
        code: 'custom',
        path: ['milestones'],
        message: 'git.pr needs milestone commits: the pull request shows the goal branch (remove milestones: false)',
      });
    }
    if (!g.remote) {
      ctx.addIssue({
        code: 'custom',
        path: ['remote'],
        message:
          'git.pr needs git.remote: the pull request is opened from the pushed goal branch (e.g. remote: origin)',
      });
    } else if (!g.repo && (isLocalPath(g.remote) || (isRemoteUrl(g.remote) && !repoFromRemoteUrl(g.remote)))) {
      ctx.addIssue({
        code: 'custom',
        path: ['repo'],
        message: `git.pr cannot tell the GitHub repository from git.remote ${JSON.stringify(redactUserInfo(g.remote))}: set git.repo: owner/name`,
      });
    }
  });
export type GitSpec = z.infer<typeof gitSpec>;

/** A remote URL as shown in a message: `https://user:token@host` → `https://***@host`. */
function redactUserInfo(remote: string): string {
  return remote.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/\s]*@/i, '$1***@');
}

export const finalizeSpec = z
  .object({
    reflect: z
      .boolean()
      .default(true)
      .describe('before the goal ends, the agent reviews what it tried and which changes are leftovers'),
    cleanupTurns: z
      .int()
      .min(0)
      .max(20)
      .default(3)
      .describe('turns to remove leftovers, then re-verified (reverted if anything broke); 0 skips the clean-up'),
  })
  .strict();
export type FinalizeSpec = z.infer<typeof finalizeSpec>;

export const reportSpec = z
  .object({
    slackChannel: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe("the Slack channel for this goal's thread (ID or #name); default SLACK_CHANNEL"),
    mirror: z
      .string()
      .trim()
      .min(1)
      .optional()
      .refine(
        (p) => p === undefined || (!p.startsWith('/') && !p.split(/[\\/]/).includes('..')),
        'mirror must be a folder inside the workspace, relative to it, e.g. ".longhaul"',
      )
      .describe('a folder in the workspace that also gets progress.md and progress.html (kept out of git status)'),
  })
  .strict();
export type ReportSpec = z.infer<typeof reportSpec>;

export { WORKER_SECRET_NAME };

export const envSpec = z
  .object({
    allow: z
      .array(
        z
          .string()
          .regex(
            /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
            'env.allow takes environment variable names: letters, digits and "_", not starting with a digit (e.g. AWS_PROFILE)',
          )
          .superRefine((name, ctx) => {
            if (WORKER_SECRET_NAME.test(name)) {
              ctx.addIssue({
                code: 'custom',
                message: `${name} is one of the worker's own credentials (model, Slack, Temporal, encryption keys): it is never passed to commands`,
              });
            }
          }),
      )
      .max(100)
      .default([])
      .describe(
        'variables of the worker that the shell tool, metrics and checks keep although they look like credentials (AWS_*, *_TOKEN, *_PASSWORD …)',
      ),
  })
  .strict();
export type EnvSpec = z.infer<typeof envSpec>;

/** A regular expression given as a string, checked when the spec is validated. */
const regexSource = z
  .string()
  .min(1, 'a pattern must not be empty')
  .max(1000, 'keep a pattern under 1000 characters')
  .superRefine((p, ctx) => {
    try {
      new RegExp(p);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${regexError(e)}` });
    }
  });

export const commandsSpec = z
  .object({
    deny: z
      .array(regexSource)
      .max(100)
      .default([])
      .describe('regular expressions: a shell command (or one part of it) that matches is refused'),
    allow: z
      .array(regexSource)
      .max(100)
      .default([])
      .describe(
        "regular expressions: a part of a shell command that matches is exempt from the default deny rules (not from deny), e.g. '^git push origin longhaul/'",
      ),
  })
  .strict();
export type CommandsSpec = z.infer<typeof commandsSpec>;

export const checklistSpec = z.array(
  z.union([
    z.string().trim().min(1, 'a checklist item must say what must be true'),
    z
      .object({
        item: z.string().trim().min(1, 'a checklist item must say what must be true'),
        command: shellCommand.optional().describe('verifies the item when it exits 0; else the judge'),
      })
      .strict(),
  ]),
);

export const goalSpec = z
  .object({
    objective: z
      .string()
      .trim()
      .min(1, 'objective must say what to achieve')
      .max(MAX_TEXT_CHARS, `objective: keep it under ${MAX_TEXT_CHARS} characters; put details in a plan file (plan:)`),
    workspace: z.string().trim().min(1, 'workspace must be the path of a git repository'),
    guidance: z
      .string()
      .max(MAX_TEXT_CHARS, `guidance: keep it under ${MAX_TEXT_CHARS} characters; put details in a plan file (plan:)`)
      .optional(),
    plan: z
      .string()
      .optional()
      .describe('a plan file the agent re-reads every turn: relative to the workspace, or an absolute path'),
    metrics: z.array(metricSpec).default([]),
    checks: z.array(checkSpec).default([]),
    checklist: checklistSpec.default([]).describe('items verified by a command or by the judge reading evidence'),
    holdout: z
      .array(checkSpec)
      .default([])
      .describe('checks the agent never sees (keep their files outside the workspace); run when verifying'),
    protect: z
      .array(z.string().trim().min(1))
      .default([])
      .describe('globs of workspace files that may not change (the checks and evaluators they name are added)'),
    editable: z
      .array(z.string().trim().min(1))
      .optional()
      .describe('globs the automatic protection leaves editable (an explicit protect still applies)'),
    budget: budgetSpec.default({ maxTurns: 50 }),
    model: modelSpec.prefault({}),
    stall: stallSpec.prefault({}),
    git: gitSpec.prefault({}),
    report: reportSpec.prefault({}),
    finalize: finalizeSpec.prefault({}),
    env: envSpec.optional().describe("the worker's credential-like variables the goal's commands may use"),
    commands: commandsSpec.optional().describe("the shell tool's command policy: extra deny and allow patterns"),
    sandbox: sandboxSpec.optional(),
    mcp: mcpSpec.optional(),
  })
  .strict()
  .superRefine((g, ctx) => {
    if (g.metrics.length === 0 && g.checks.length === 0 && g.checklist.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['metrics'],
        message: 'a goal needs a verifiable exit criterion: add a metric (--metric-cmd) or a check (--check)',
      });
    }
    const seen = new Set<string>();
    g.metrics.forEach((m, i) => {
      if (seen.has(m.name)) {
        ctx.addIssue({ code: 'custom', path: ['metrics', i, 'name'], message: `duplicate metric name "${m.name}"` });
      }
      seen.add(m.name);
    });
  });
/** A spec as written by the user (defaults not yet applied). */
export type GoalSpecInput = z.input<typeof goalSpec>;
/** A validated spec with defaults applied. */
export type GoalSpec = z.infer<typeof goalSpec>;

/** Thrown when a goal spec does not validate; `problems` name each field and the fix. */
export class InvalidSpecError extends Error {
  override readonly name = 'InvalidSpecError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid goal spec:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** A key as shown in a message: at most 64 characters, control characters escaped. */
function shortKey(k: string): string {
  const cut = k.length > 64 ? `${k.slice(0, 64)}…` : k;
  return [...cut].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
    ? JSON.stringify(cut).slice(1, -1)
    : cut;
}

/** An error of `new RegExp` without the pattern echoed in full (it is the user's, and may be huge). */
function regexError(e: unknown): string {
  const text = String(e);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

/** Renders zod issues as "field.path: message" lines, naming unknown fields explicitly. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const field = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${shortKey(String(p))}`))
      .join('')
      .replace(/^\./, '');
    if (issue.code === 'unrecognized_keys') {
      const where = field ? `${field}: ` : '';
      return `${where}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(shortKey(k))).join(', ')}: remove or fix the spelling`;
    }
    if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
      return `${field || '(spec)'}: is required`;
    }
    return `${field || '(spec)'}: ${issue.message}`;
  });
}

/** Validates a spec, applying defaults; throws InvalidSpecError naming every bad field. */
export function parseGoalSpec(input: unknown): GoalSpec {
  const result = goalSpec.safeParse(input);
  if (!result.success) throw new InvalidSpecError(describeIssues(result.error));
  const big = tooLarge('the spec', result.data, MAX_SPEC_BYTES, 'move long texts into a plan file (plan: PLAN.md)');
  if (big) throw new InvalidSpecError([big]);
  return result.data;
}

/** Whether a metric's value is the same on every run (then one sample decides). */
export function isDeterministic(metric: MetricSpec): boolean {
  return metric.deterministic ?? ['exit_code', 'junit', 'coverage'].includes(metric.measure);
}

/** Samples per measurement when the spec gives none: timings are noisy, parsed numbers usually not. */
export function repeatsFor(metric: MetricSpec): number {
  if (isDeterministic(metric)) return 1;
  return metric.repeat ?? (metric.measure === 'wall_time' ? 5 : 1);
}

/** Unrecorded runs before the samples of a measurement (per side, for paired runs). */
export function warmupsFor(metric: MetricSpec): number {
  if (isDeterministic(metric)) return 0;
  return metric.warmup ?? (metric.measure === 'wall_time' ? 1 : 0);
}

/** A checklist item in its long form. */
export interface ChecklistItem {
  readonly item: string;
  readonly command?: string;
}

export function checklistItems(spec: Pick<GoalSpec, 'checklist'>): ChecklistItem[] {
  return spec.checklist.map((c) => (typeof c === 'string' ? { item: c } : c));
}

/**
 * The spec's env.allow as an activity input field: absent when empty, so the activity inputs of goals without it
 * (and of histories recorded before it existed) stay as they were.
 */
export function allowEnvOf(spec: Pick<GoalSpec, 'env'>): { allowEnv?: readonly string[] } {
  return spec.env && spec.env.allow.length > 0 ? { allowEnv: spec.env.allow } : {};
}
