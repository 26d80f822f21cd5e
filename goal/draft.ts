/**
 * Drafting a goal before starting it: the draft workflow's public messages, what it reports, and the warnings
 * a proposal's measured baseline earns (a check that fails now, a metric that does not parse, a target inside the
 * noise or already met). Pure: the workflow, the activities and the CLI share it.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { median } from './decision';
import { formatValue } from './values';
import { detectable, noiseEstimate } from './stats';

/** What the draft workflow starts from. */
export interface DraftInput {
  /** What the user wants, in their words ("the build is too slow"). */
  readonly request: string;
  /** The user's repository; never changed by a draft. */
  readonly workspace: string;
  /** Model turns per round (the first proposal, each revision). @default 12 */
  readonly maxTurns?: number;
  /** The model (name, API) for the draft's turns; the worker's default when absent. */
  readonly model?: { readonly name?: string; readonly api?: 'responses' | 'chat' };
  /** How long a draft waits for a revision before it closes. @default 24 */
  readonly reviseWindowHours?: number;
  /** The host whose worker has the workspace (goal/placement.ts); absent: any worker of the shared queue. */
  readonly host?: string;
}

/** One metric of a proposal as the orchestrator measured it in a fresh copy of the workspace. */
export interface MeasuredMetric {
  readonly name: string;
  readonly command: string;
  readonly direction: 'lower' | 'higher';
  readonly target: { readonly absolute: number } | { readonly relative: number };
  /** The samples that parsed, in order. */
  readonly values: readonly number[];
  /** Why a sample did not give a number (the metric does not parse, the command failed), if one did not. */
  readonly error: string | null;
  /** Wall time of one run of the command, in ms (the median). */
  readonly runMs: number;
}

/** One check of a proposal as the orchestrator ran it. */
export interface MeasuredCheck {
  readonly name: string;
  readonly command: string;
  readonly passed: boolean;
  readonly exitCode: number | null;
  /** The end of its output (what failed). */
  readonly excerpt: string;
}

export interface DraftMeasurement {
  readonly metrics: readonly MeasuredMetric[];
  readonly checks: readonly MeasuredCheck[];
  /** Protected globs the spec names (the metric and check scripts are protected too, at the goal's start). */
  readonly protect: readonly string[];
  /**
   * What the goal would protect and why, path by path (null: not computed), and protection warnings; absent in
   * measurements from before it was shown.
   */
  readonly protection?: {
    readonly entries: readonly { readonly path: string; readonly protected: boolean; readonly reason: string }[] | null;
    readonly warnings: readonly string[];
  };
  readonly objective: string;
  readonly budget: string;
  /** How long the whole measurement took, in ms. */
  readonly durationMs: number;
}

/** A proposal, as the user sees it. */
export interface DraftProposal {
  /** 1 for the first, +1 per revision. */
  readonly version: number;
  /** The spec as the model wrote it (validated); the CLI sets workspace and plan when it writes goal.yaml. */
  readonly specYaml: string;
  /** PLAN.md. */
  readonly plan: string;
  readonly measurement: DraftMeasurement;
  readonly warnings: readonly string[];
}

export type DraftPhase = 'exploring' | 'measuring' | 'proposed' | 'no_proposal' | 'closed';

/** Query `draft`: where the draft stands. */
export interface DraftView {
  readonly draftId: string;
  readonly workspace: string;
  readonly phase: DraftPhase;
  readonly turn: number;
  /** The request, then each revision in order. */
  readonly requests: readonly string[];
  readonly proposal: DraftProposal | null;
  /** What happened, newest last (tool calls in a few words, refusals, measurements): the last 50. */
  readonly events: readonly string[];
  /** Events so far (the first ones drop out of `events`). */
  readonly eventsTotal: number;
  /** Tools refused or writes kept out of the workspace: the draft's read-only rule at work. */
  readonly refusals: readonly string[];
  /** Why there is no proposal (no_proposal), else null. */
  readonly reason: string | null;
}

export const draftQuery = defineQuery<DraftView>('draft');
/** Signal `revise`: a follow-up from the user ("measure the production build instead"); the draft proposes again. */
export const reviseSignal = defineSignal<[string]>('revise');
/** Signal `close`: the user is done with the draft (e.g. started the goal); the workflow ends. */
export const closeDraftSignal = defineSignal<[]>('close');

/** How far a relative target must be from the noise (see stats.detectable), also used for absolute targets. */
const NOISE_FACTOR = 2;

/** The warnings a measured proposal earns; empty when the spec can be started as is. */
export function draftWarnings(m: DraftMeasurement): string[] {
  const warnings: string[] = [];
  for (const metric of m.metrics) warnings.push(...metricWarnings(metric));
  for (const c of m.checks) {
    if (!c.passed) {
      warnings.push(
        `check ${c.name} fails now (exit ${c.exitCode ?? 'none'}): fine if making it pass is the goal; a guard check should pass before the goal starts`,
      );
    }
  }
  return warnings;
}

function metricWarnings(metric: MeasuredMetric): string[] {
  if (metric.error !== null || metric.values.length === 0) {
    return [
      `metric ${metric.name} does not give a number: ${metric.error ?? 'no sample parsed'} — fix its command, measure or pattern`,
    ];
  }
  const base = median(metric.values);
  const noise = relativeNoise(metric.values);
  const target = 'relative' in metric.target ? metric.target.relative : null;
  if (target !== null) {
    if (noise !== null && !detectable(target, noise)) {
      return [
        `metric ${metric.name}: the target (${percent(target)}) is inside the measured noise (±${percent(noise, false)} run to run): aim further, make the measurement steadier, or raise repeat`,
      ];
    }
    return [];
  }
  const threshold = (metric.target as { absolute: number }).absolute;
  const met = metric.direction === 'lower' ? base <= threshold : base >= threshold;
  if (met) return [`metric ${metric.name}: the baseline ${formatValue(base)} already meets the target ${threshold}`];
  if (noise !== null && Math.abs(threshold - base) < NOISE_FACTOR * noise * Math.abs(base)) {
    return [
      `metric ${metric.name}: the target ${threshold} is inside the measured noise of the baseline ${formatValue(base)} (±${percent(noise, false)}): aim further or make the measurement steadier`,
    ];
  }
  return [];
}

/** Run-to-run noise from the samples (first half against second half); null with fewer than 2 samples. */
export function relativeNoise(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const half = Math.floor(values.length / 2);
  return noiseEstimate(values.slice(0, half), values.slice(half, 2 * half)).relativeSpread;
}

/** The summary `longhaul draft` prints: what will be measured, the baseline, the target, timing, protection. */
export function renderDraftSummary(view: DraftView): string {
  const p = view.proposal;
  if (!p) {
    return `Draft ${view.draftId}: no proposal (${view.reason ?? view.phase}).`;
  }
  const m = p.measurement;
  const lines = [`Draft ${view.draftId}, proposal ${p.version}: ${m.objective}`];
  for (const metric of m.metrics) {
    const baseline = metric.values.length > 0 ? formatValue(median(metric.values)) : 'none';
    const noise = relativeNoise(metric.values);
    const target =
      'relative' in metric.target ? `${percent(metric.target.relative)} vs baseline` : `${metric.target.absolute}`;
    lines.push(
      `  measure  ${metric.name}: \`${metric.command}\` (${metric.direction} is better)`,
      `           baseline ${baseline} over ${metric.values.length} run(s)${noise !== null ? `, noise ±${percent(noise, false)}` : ''}; target ${target}; one run takes ${seconds(metric.runMs)}`,
    );
  }
  for (const c of m.checks)
    lines.push(`  check    ${c.name}: \`${c.command}\` — ${c.passed ? 'passes now' : 'FAILS now'}`);
  const entries = m.protection?.entries;
  if (entries && entries.length > 0) {
    for (const e of entries) lines.push(`  ${e.protected ? 'protect ' : 'editable'} ${e.path}: ${e.reason}`);
  } else {
    lines.push(
      `  protect  ${m.protect.length > 0 ? m.protect.join(', ') : 'nothing beyond the checks and evaluators'}`,
    );
  }
  for (const w of m.protection?.warnings ?? []) lines.push(`  WARNING  ${w}`);
  lines.push(`  budget   ${m.budget}`);
  lines.push(`  measured in ${seconds(m.durationMs)} by the orchestrator, in a fresh copy of the workspace`);
  for (const w of p.warnings) lines.push(`  WARNING  ${w}`);
  for (const r of view.refusals) lines.push(`  refused  ${r}`);
  return lines.join('\n');
}

function percent(x: number, signed = true): string {
  const v = `${Math.round(Math.abs(x) * 1000) / 10}%`;
  return signed ? `${x < 0 ? '−' : '+'}${v}` : v;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 100) / 10} s`;
}
