/**
 * Turns what the user typed — a spec file (YAML or JSON) or inline flags — into a validated goal spec.
 * Nothing starts unless this succeeds; errors name the field and the fix.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { InvalidEditError, parseGoalEdit, type GoalEdit } from '../goal/edit';
import { modelInfo } from '../goal/models';
import { InvalidSpecError, parseGoalSpec, type GoalSpec, type MetricTarget } from '../goal/spec';

export interface InlineGoalOptions {
  workspace?: string;
  metricCmd?: string;
  metricName?: string;
  measure?: string;
  pattern?: string;
  direction?: string;
  target?: string;
  repeat?: string;
  check?: string[];
  guidance?: string;
  maxTurns?: string;
  maxTokens?: string;
  maxHours?: string;
  maxCost?: string;
  model?: string;
  modelApi?: string;
  /** git.branch: the goal branch for milestone commits. */
  branch?: string;
  /** report.slackChannel: the Slack channel of the goal's thread. */
  slackChannel?: string;
  /** `--no-review` sets it false: no reflection and no clean-up before the end. */
  review?: boolean;
  /** finalize.cleanupTurns. */
  cleanupTurns?: string;
}

/** A value the user typed, quoted for an error message: escaped (newlines, NUL) and cut to a readable length. */
function quoted(text: string, max = 80): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** A path for an error message: as it is when printable and of sane length, else quoted. */
function shownPath(p: string): string {
  // eslint-disable-next-line no-control-regex
  return p.length > 300 || /[\x00-\x1f\x7f]/.test(p) ? quoted(p, 300) : p;
}

/** Reads a spec file; a relative workspace is taken from the file's folder (the plan is relative to the workspace). */
export function readSpecFile(file: string, opts: { resolveWorkspace?: boolean } = {}): unknown {
  if (!existsSync(file)) throw new InvalidSpecError([`spec file ${shownPath(file)} does not exist`]);
  return specFromText(readFileSync(file, 'utf8'), {
    source: shownPath(file),
    ...(opts.resolveWorkspace !== false ? { baseDir: path.dirname(file) } : {}),
  });
}

export interface SpecTextOptions {
  /** What the text is called in an error: the file's path, or e.g. "the spec". */
  readonly source: string;
  /** A relative `workspace` is resolved against this folder; absent: left as it is. */
  readonly baseDir?: string;
  /** What the mapping holds, for the error when it is not one. @default 'spec' */
  readonly kind?: 'spec' | 'edit';
}

/** Parses a spec (or an edit) given as YAML or JSON text into a mapping, not yet validated. */
export function specFromText(text: string, opts: SpecTextOptions): unknown {
  let data: unknown;
  try {
    data = YAML.parse(text);
  } catch (err) {
    const why = /Maximum call stack/.test((err as Error).message)
      ? 'it is nested too deeply to read; a goal spec is a mapping a few levels deep (see `longhaul init`)'
      : (err as Error).message;
    throw new InvalidSpecError([`${opts.source} is not valid YAML or JSON: ${why}`]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new InvalidSpecError([
      opts.kind === 'edit'
        ? `${opts.source} must contain a mapping of the fields to change, e.g. {"guidance": "…", "reason": "…"}`
        : `${opts.source} must contain a mapping with at least "objective" and "workspace"`,
    ]);
  }
  const spec = data as Record<string, unknown>;
  if (opts.baseDir !== undefined && typeof spec.workspace === 'string')
    spec.workspace = path.resolve(opts.baseDir, spec.workspace);
  return spec;
}

/** Parses `--target`: "2.5" (absolute), "-30%" or "relative:-0.3" (relative to the baseline). */
export function parseTarget(text: string): MetricTarget {
  const t = text.trim();
  const pct = /^([+-]?\d+(?:\.\d+)?)%$/.exec(t);
  if (pct) return { relative: Number(pct[1]) / 100 };
  const rel = /^relative:([+-]?\d+(?:\.\d+)?)$/.exec(t);
  if (rel) return { relative: Number(rel[1]) };
  const abs = /^(?:absolute:)?([+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/i.exec(t);
  if (abs) return { absolute: Number(abs[1]) };
  throw new InvalidSpecError([
    `--target ${quoted(text)}: use a number (absolute, e.g. 2.5) or a percentage (relative, e.g. -30%)`,
  ]);
}

function int(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new InvalidSpecError([`${flag} ${quoted(text)}: must be a whole number`]);
  return Number(text);
}

/** A positive amount of US dollars (`20`, `2.50`, `.5`, `$20`). */
function dollars(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim().replace(/^\$/, '');
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(t) || Number(t) <= 0) {
    throw new InvalidSpecError([`${flag} ${quoted(text)}: must be a positive number of US dollars, e.g. 20 or 2.50`]);
  }
  return Number(t);
}

/** The budget given by `--max-turns`, `--max-tokens`, `--max-hours` and `--max-cost` (only the flags that were given). */
export function budgetFromFlags(
  o: Pick<InlineGoalOptions, 'maxTurns' | 'maxTokens' | 'maxHours' | 'maxCost'>,
): Record<string, number> {
  const budget: Record<string, number> = {};
  const maxTurns = int('--max-turns', o.maxTurns);
  const maxTokens = int('--max-tokens', o.maxTokens);
  if (maxTurns !== undefined) budget.maxTurns = maxTurns;
  if (maxTokens !== undefined) budget.maxTokens = maxTokens;
  if (o.maxHours !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(o.maxHours.trim())) {
      throw new InvalidSpecError([`--max-hours ${quoted(o.maxHours)}: must be a number of hours, e.g. 4 or 0.5`]);
    }
    budget.maxHours = Number(o.maxHours);
  }
  const maxCost = dollars('--max-cost', o.maxCost);
  if (maxCost !== undefined) budget.maxCostUsd = maxCost;
  return budget;
}

export interface EditFlags {
  objective?: string;
  guidance?: string;
  target?: string[];
  maxTurns?: string;
  maxTokens?: string;
  maxHours?: string;
  maxCost?: string;
  reason?: string;
  file?: string;
  /** Globs the automatic protection is to leave editable (`--editable slow.sh`). */
  editable?: string[];
}

/** An edit given as YAML or JSON text (as in `longhaul edit --file`), validated locally like one from flags. */
export function editFromText(text: string, source = 'the edit'): GoalEdit {
  let raw: unknown;
  try {
    raw = specFromText(text, { source, kind: 'edit' });
  } catch (err) {
    if (err instanceof InvalidSpecError) throw new InvalidEditError(err.problems);
    throw err;
  }
  return parseGoalEdit(raw);
}

/** An edit from `longhaul edit` flags and/or an edit file, validated locally (the goal validates it again). */
export function editFromFlags(o: EditFlags): GoalEdit {
  const edit: Record<string, unknown> = o.file
    ? { ...(readSpecFile(o.file, { resolveWorkspace: false }) as object) }
    : {};
  if (o.objective !== undefined) edit.objective = o.objective;
  if (o.guidance !== undefined) edit.guidance = o.guidance;
  if (o.reason !== undefined) edit.reason = o.reason;
  if (o.editable) edit.editable = [...((edit.editable as string[] | undefined) ?? []), ...o.editable];
  if (o.target) {
    const targets: Record<string, unknown> = { ...(edit.targets as object | undefined) };
    for (const t of o.target) {
      const eq = t.indexOf('=');
      if (eq <= 0)
        throw new InvalidEditError([`--target ${quoted(t)}: use NAME=VALUE, e.g. build_seconds=-40% or score=10`]);
      targets[t.slice(0, eq)] = parseTarget(t.slice(eq + 1));
    }
    edit.targets = targets;
  }
  let flagBudget: Record<string, number>;
  try {
    flagBudget = budgetFromFlags(o);
  } catch (err) {
    if (err instanceof InvalidSpecError) throw new InvalidEditError(err.problems);
    throw err;
  }
  const budget = { ...(edit.budget as object | undefined), ...flagBudget };
  if (Object.keys(budget).length > 0) edit.budget = budget;
  return parseGoalEdit(edit);
}

/** Builds a spec from `longhaul start "objective" --workspace ... --check ...`. */
export function inlineSpec(objective: string, o: InlineGoalOptions, cwd = process.cwd()): unknown {
  const spec: Record<string, unknown> = {
    objective,
    workspace: path.resolve(cwd, o.workspace ?? '.'),
    checks: (o.check ?? []).map((command, i) => ({ name: o.check!.length > 1 ? `check ${i + 1}` : 'check', command })),
  };
  if (o.guidance) spec.guidance = o.guidance;
  if (o.metricCmd !== undefined) {
    if (o.target === undefined) {
      throw new InvalidSpecError(['--metric-cmd needs --target: a number (e.g. 2.5) or a percentage (e.g. -30%)']);
    }
    spec.metrics = [
      {
        name: o.metricName ?? 'metric',
        command: o.metricCmd,
        measure: o.measure ?? 'wall_time',
        ...(o.pattern ? { pattern: o.pattern } : {}),
        direction: o.direction ?? 'lower',
        target: parseTarget(o.target),
        ...(o.repeat ? { repeat: int('--repeat', o.repeat) } : {}),
      },
    ];
  }
  const budget = budgetFromFlags(o);
  if (Object.keys(budget).length > 0) spec.budget = budget;
  if (o.model || o.modelApi)
    spec.model = { ...(o.model ? { name: o.model } : {}), ...(o.modelApi ? { api: o.modelApi } : {}) };
  if (o.branch !== undefined) spec.git = { branch: o.branch };
  if (o.slackChannel !== undefined) spec.report = { slackChannel: o.slackChannel };
  if (o.review === false) spec.finalize = { reflect: false, cleanupTurns: 0 };
  else if (o.cleanupTurns !== undefined) spec.finalize = { cleanupTurns: int('--cleanup-turns', o.cleanupTurns) };
  return spec;
}

/** Validates the spec and checks the workspace on this machine: an existing git repository. */
export function finalizeSpec(raw: unknown, env: NodeJS.ProcessEnv = process.env): GoalSpec {
  const spec = parseGoalSpec(raw);
  const ws = path.resolve(spec.workspace);
  if (ws.includes('\0')) {
    throw new InvalidSpecError([`workspace: ${shownPath(ws)} contains a NUL byte: pass the path of your repository`]);
  }
  if (!existsSync(ws)) {
    throw new InvalidSpecError([
      `workspace: ${shownPath(ws)} does not exist: create it or pass the path of your repository`,
    ]);
  }
  if (!statSync(ws).isDirectory()) {
    throw new InvalidSpecError([`workspace: ${shownPath(ws)} is a file: pass the folder of your repository`]);
  }
  try {
    execFileSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: ws, stdio: 'pipe' });
  } catch {
    throw new InvalidSpecError([
      `workspace: ${shownPath(ws)} is not a git repository: run \`git init && git add -A && git commit -m start\` there`,
    ]);
  }
  const model = { ...spec.model };
  if (!model.name && env.LONGHAUL_MODEL) model.name = env.LONGHAUL_MODEL;
  if (spec.git.branch !== undefined) checkGoalBranch(ws, spec.git.branch);
  if (spec.budget.maxCostUsd !== undefined && model.name && !modelInfo(model.name, model).price) {
    // Otherwise the goal would stop as blocked after its first turn, unable to count what it spends.
    throw new InvalidSpecError([
      `budget.maxCostUsd: no price is known for model ${quoted(model.name)}, so its cost cannot be counted: add model.price { inputPerMTok, outputPerMTok } to the spec, or drop the cost budget`,
    ]);
  }
  return { ...spec, workspace: ws, model };
}

/** The goal branch must be a valid branch name and not the branch checked out in the workspace. */
function checkGoalBranch(ws: string, branch: string): void {
  try {
    execFileSync('git', ['check-ref-format', '--branch', branch], { cwd: ws, stdio: 'pipe' });
  } catch {
    throw new InvalidSpecError([
      `git.branch: ${quoted(branch)} is not a valid git branch name: use e.g. longhaul/faster-build (no spaces, "..", "~", "^", ":")`,
    ]);
  }
  let current = '';
  try {
    current = execFileSync('git', ['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: ws, stdio: 'pipe' })
      .toString()
      .trim();
  } catch {
    return; // a detached HEAD: no branch is checked out
  }
  if (current === branch) {
    throw new InvalidSpecError([
      `git.branch: ${quoted(branch)} is checked out in the workspace; milestone commits never move your branch: name a branch of its own, e.g. longhaul/${branch}`,
    ]);
  }
}
