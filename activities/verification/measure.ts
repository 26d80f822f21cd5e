/**
 * Measurement by the orchestrator, never the agent: each sample is a fresh `bash -c` of the spec's
 * command in the workspace; raw samples go to the ledger; the activity returns the median.
 */
import { Context } from '@temporalio/activity';
import { median } from '../../goal/decision';
import { repeatsFor, type CheckSpec, type MetricSpec } from '../../goal/spec';
import type { CheckResult, MetricResult } from '../../goal/status';
import { commandEnv } from '../security/command-env';
import { headCommit } from '../workspace/git';
import { redactEnvSecrets, type Redact } from '../security/redact';
import { sampleMetric, sampleRecord, warmUp } from './sample';
import type { GoalStore } from '../store/types';
import { runShell } from '../tools/shell';
import { truncateHeadTail } from '../tools/truncate';

export interface MeasureMetricInput {
  readonly goalId: string;
  readonly workspace: string;
  readonly metric: MetricSpec;
  /** Why this measurement happens, e.g. "baseline" or "turn 12"; recorded in the ledger. */
  readonly label: string;
  /** The goal spec's env.allow: credential-like variables the command keeps. @default [] */
  readonly allowEnv?: readonly string[];
}

export interface RunCheckInput {
  readonly goalId: string;
  readonly workspace: string;
  readonly check: CheckSpec;
  readonly label: string;
  /** The goal spec's env.allow: credential-like variables the command keeps. @default [] */
  readonly allowEnv?: readonly string[];
}

/** What measurements need besides their input: the goal store and the redaction of outputs. */
export interface MeasureDeps {
  readonly store: GoalStore;
  /** @default the worker environment's secrets */
  readonly redact?: Redact;
}

export async function measureMetric(deps: MeasureDeps, input: MeasureMetricInput): Promise<MetricResult> {
  const { store } = deps;
  const sampling = { ...(input.allowEnv ? { allowEnv: input.allowEnv } : {}), redact: deps.redact ?? redactEnvSecrets };
  const { metric, workspace } = input;
  const commit = await headCommit(workspace);
  const repeats = repeatsFor(metric);
  const values: number[] = [];
  const records: object[] = [];
  let lastError: string | undefined;
  const started = Date.now();
  await warmUp(metric, [workspace], sampling);
  for (let i = 0; i < repeats; i++) {
    const run = await sampleMetric(metric, workspace, { sample: i }, sampling);
    const sample = run.value;
    records.push(
      sampleRecord(run, {
        kind: 'sample',
        goalId: input.goalId,
        metric: metric.name,
        label: input.label,
        commit,
        index: i,
      }),
    );
    if (sample.ok) values.push(sample.value);
    else {
      lastError = sample.error;
      break; // a failing command fails every sample the same way: do not burn the repeats
    }
  }
  await store.appendLedger(input.goalId, records);
  return {
    name: metric.name,
    value: lastError === undefined && values.length > 0 ? median(values) : null,
    samples: values.length,
    ...(lastError !== undefined ? { error: lastError } : {}),
    durationMs: Date.now() - started,
  };
}

/**
 * Runs a check's command once in `cwd` (heartbeating); passed when it exits 0 in time. The output is redacted.
 * Throws only when cancelled.
 */
export async function runCheckCommand(
  check: CheckSpec,
  cwd: string,
  opts: { readonly allowEnv?: readonly string[]; readonly redact?: Redact } = {},
) {
  const ctx = Context.current();
  const run = await runShell({
    command: check.command,
    cwd,
    timeoutMs: check.timeoutSeconds * 1000,
    env: commandEnv({}, process.env, opts.allowEnv),
    signal: ctx.cancellationSignal,
    onProgress: () => ctx.heartbeat(),
  });
  if (run.aborted) throw ctx.cancellationSignal.reason ?? new Error('check cancelled');
  const output = (opts.redact ?? redactEnvSecrets)(`${run.stdout}${run.stderr ? `\n[stderr]\n${run.stderr}` : ''}`);
  return { run, output, passed: run.exitCode === 0 && !run.timedOut };
}

export async function runCheck(deps: MeasureDeps, input: RunCheckInput): Promise<CheckResult> {
  const { store } = deps;
  const { run, output, passed } = await runCheckCommand(input.check, input.workspace, {
    ...(input.allowEnv ? { allowEnv: input.allowEnv } : {}),
    redact: deps.redact ?? redactEnvSecrets,
  });
  const ref = await store.putBlob(input.goalId, output);
  await store.appendLedger(input.goalId, [
    {
      kind: 'check',
      goalId: input.goalId,
      check: input.check.name,
      label: input.label,
      commit: await headCommit(input.workspace),
      at: new Date().toISOString(),
      exitCode: run.exitCode,
      timedOut: run.timedOut,
      passed,
      durationMs: run.durationMs,
      output: ref,
    },
  ]);
  const excerpt = truncateHeadTail(output, 2000, ref).text;
  return {
    name: input.check.name,
    passed,
    exitCode: run.exitCode,
    excerpt: run.timedOut ? `timed out after ${input.check.timeoutSeconds} s\n${excerpt}` : excerpt,
    durationMs: run.durationMs,
  };
}
