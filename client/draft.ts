/**
 * `longhaul draft`: start a draft workflow (or revise the last one), follow it until it proposes, then write
 * goal.yaml and PLAN.md where the user chose and print what will be measured. `longhaul init` writes a commented
 * example spec for those who write it by hand.
 */
import type { Client } from '@temporalio/client';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { closeDraftSignal, draftQuery, reviseSignal, type DraftInput, type DraftView } from '../goal/draft';
import { InvalidSpecError, parseGoalSpec } from '../goal/spec';
import type { draftWorkflow } from '../workflows/draft';
import { slugOf } from './goals';

export const DRAFT_WORKFLOW_TYPE = 'draftWorkflow';

export interface DraftOptions {
  readonly workspace: string;
  /** Where goal.yaml and PLAN.md go. @default LONGHAUL_HOME/drafts/<draft id> */
  readonly out?: string;
  readonly id?: string;
  readonly maxTurns?: number;
  readonly model?: string;
  readonly taskQueue: string;
  readonly home: string;
  /** The host whose worker has the workspace (goal/placement.ts); absent: any worker. */
  readonly host?: string;
}

/** Where the last draft is remembered, so `--revise` needs no id. */
interface LastDraft {
  readonly draftId: string;
  readonly out: string;
}

/** The files a proposal was written to. */
export interface DraftFiles {
  readonly spec: string;
  readonly plan: string;
}

const POLL_MS = 300;

/** Starts a draft and returns its id and the folder its files go to. */
export async function startDraft(client: Client, request: string, o: DraftOptions): Promise<LastDraft> {
  const workspace = path.resolve(o.workspace);
  const draftId = o.id ?? `draft-${slugOf(request, 30) || 'goal'}-${Math.random().toString(36).slice(2, 8)}`;
  const input: DraftInput = {
    request,
    workspace,
    ...(o.maxTurns !== undefined ? { maxTurns: o.maxTurns } : {}),
    ...(o.model ? { model: { name: o.model } } : {}),
    ...(o.host ? { host: o.host } : {}),
  };
  await client.workflow.start<typeof draftWorkflow>(DRAFT_WORKFLOW_TYPE, {
    workflowId: draftId,
    taskQueue: o.taskQueue,
    args: [input],
    staticSummary: `draft: ${request.length > 190 ? `${request.slice(0, 187)}...` : request}`,
  });
  const last = { draftId, out: path.resolve(o.out ?? path.join(o.home, 'drafts', draftId)) };
  remember(o.home, last);
  return last;
}

/** Sends a revision to a draft (the last one by default); returns the draft and the view before it. */
export async function reviseDraft(
  client: Client,
  text: string,
  o: { readonly id?: string; readonly out?: string; readonly home: string },
): Promise<{ last: LastDraft; before: DraftView }> {
  const remembered = recall(o.home);
  const draftId = o.id ?? remembered?.draftId;
  if (!draftId) {
    throw new InvalidSpecError(['no draft to revise: start one with `longhaul draft "what you want"`, or pass --id']);
  }
  const out = o.out ?? (remembered?.draftId === draftId ? remembered.out : path.join(o.home, 'drafts', draftId));
  const handle = client.workflow.getHandle<typeof draftWorkflow>(draftId);
  const before = await handle.query(draftQuery);
  if (before.phase === 'closed') {
    throw new InvalidSpecError([`draft ${draftId} is closed: start a new one with \`longhaul draft\``]);
  }
  await handle.signal(reviseSignal, text);
  const last = { draftId, out: path.resolve(out) };
  remember(o.home, last);
  return { last, before };
}

/** Closes a draft (the workflow ends); its files stay. */
export async function closeDraft(client: Client, draftId: string): Promise<void> {
  await client.workflow.getHandle(draftId).signal(closeDraftSignal);
}

/**
 * Follows a draft until it has answered `requests` requests: a proposal newer than `version`, or none. `onEvent`
 * gets each event after the first `events`.
 */
export async function waitForProposal(
  client: Client,
  draftId: string,
  after: { readonly requests: number; readonly version: number; readonly events: number },
  onEvent: (line: string) => void = () => undefined,
): Promise<DraftView> {
  const handle = client.workflow.getHandle<typeof draftWorkflow>(draftId);
  let printed = after.events;
  for (;;) {
    const [v, d] = await Promise.all([handle.query(draftQuery), handle.describe()]);
    if (d.status.name !== 'RUNNING' && v.phase !== 'closed') {
      throw new Error(
        `draft ${draftId} ended ${d.status.name.toLowerCase()}: see \`temporal workflow show -w ${draftId}\``,
      );
    }
    const fresh = v.eventsTotal - printed;
    for (const e of v.events.slice(Math.max(0, v.events.length - fresh))) onEvent(e);
    printed = v.eventsTotal;
    const answered = v.requests.length >= after.requests;
    if (v.phase === 'closed') return v;
    if (answered && v.phase === 'proposed' && (v.proposal?.version ?? 0) > after.version) return v;
    if (answered && v.phase === 'no_proposal') return v;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * Writes goal.yaml (the proposed spec with the workspace and the plan's absolute path, validated again with the
 * schema `start` uses) and PLAN.md into `out`.
 */
export function writeDraftFiles(view: DraftView, out: string): DraftFiles {
  const p = view.proposal;
  if (!p) throw new Error(`draft ${view.draftId} has no proposal to write`);
  mkdirSync(out, { recursive: true });
  const files = { spec: path.join(out, 'goal.yaml'), plan: path.join(out, 'PLAN.md') };
  const spec = { ...(YAML.parse(p.specYaml) as Record<string, unknown>), workspace: view.workspace, plan: files.plan };
  parseGoalSpec(spec); // the same schema as `longhaul start`
  const m = p.measurement;
  const header = [
    `Drafted by \`longhaul draft\` (${view.draftId}, proposal ${p.version}) from: ${view.requests.join(' / ')}`,
    ...m.metrics.map(
      (x) =>
        `Baseline ${x.name}: ${x.values.length > 0 ? x.values.join(', ') : `none (${x.error ?? 'no sample'})`} (measured by the orchestrator)`,
    ),
    ...p.warnings.map((w) => `WARNING: ${w}`),
    `Start it with: longhaul start ${files.spec}`,
  ];
  const doc = new YAML.Document(spec);
  doc.commentBefore = header.map((l) => ` ${l.replace(/\n/g, ' ')}`).join('\n');
  writeFileSync(files.spec, doc.toString({ lineWidth: 0 }));
  writeFileSync(files.plan, p.plan.endsWith('\n') ? p.plan : `${p.plan}\n`);
  return files;
}

/** The last draft's id (for --close without --id). */
export function lastDraftId(home: string): string {
  const last = recall(home);
  if (!last)
    throw new InvalidSpecError(['no draft yet: start one with `longhaul draft "what you want"`, or pass --id']);
  return last.draftId;
}

function remember(home: string, last: LastDraft): void {
  mkdirSync(path.join(home, 'drafts'), { recursive: true });
  writeFileSync(path.join(home, 'drafts', 'last.json'), JSON.stringify(last));
}

function recall(home: string): LastDraft | null {
  const file = path.join(home, 'drafts', 'last.json');
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LastDraft;
  } catch {
    return null;
  }
}

/** `longhaul init`: a commented example spec, for writing one by hand. */
export const EXAMPLE_SPEC = `# A Longhaul goal. Start it with: longhaul start goal.yaml
# Every field is checked when you start it; an error says what to fix. Draft one instead: longhaul draft "what you want"

# What to achieve, in a sentence the agent reads every turn.
objective: Cut the production build time by 30% without breaking the tests

# The git repository to work in (relative to this file, or absolute). Nothing outside it is touched.
workspace: .

# Exit criteria the orchestrator measures itself; the goal is achieved when every target is met and every check passes.
metrics:
  - name: build_seconds
    command: npm run build # run in the workspace; its wall time is the value
    measure: wall_time # or stdout_number (with pattern:), json (with path:), exit_code, junit, coverage
    direction: lower # lower or higher is better
    target: { relative: -0.3 } # 30% below the baseline (paired runs decide); or { absolute: 42 }
    repeat: 5 # samples per measurement; the median counts

# Commands that must exit 0 when the goal ends (and never be broken along the way).
checks:
  - name: tests
    command: npm test

# Files the agent may not change. What checks and number-reading metrics name is protected too; what a
# wall_time metric runs is the workload, editable. \`editable: [globs]\` exempts paths from those automatic rules.
protect: [test/**, bench/**]

# When to stop trying: the goal ends budget_exhausted at the first limit reached.
budget:
  maxTurns: 60
  maxHours: 8
  # maxTokens: 5000000
  # maxCostUsd: 20 # needs a known model price (model.price)

# Hints for the agent; a plan file it re-reads every turn.
guidance: Start with the bundler configuration.
# plan: PLAN.md

# model: { name: gpt-5.1 }
# git: { branch: longhaul/faster-build, remote: origin } # milestone commits on a branch; pushed if remote is set
# report: { slackChannel: C0123456789 }
# finalize: { reflect: true, cleanupTurns: 3 } # the default: review, then clean-up turns before the end
`;

/** Writes the example spec; refuses to overwrite a file. */
export function writeExampleSpec(file: string): string {
  const target = path.resolve(file);
  if (existsSync(target)) {
    throw new InvalidSpecError([`${target} exists: pass another path (longhaul init other.yaml) or remove it`]);
  }
  writeFileSync(target, EXAMPLE_SPEC);
  return target;
}
