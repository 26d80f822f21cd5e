/**
 * One sample of a metric: a fresh `bash -c` of its command in a directory (the workspace, or the baseline
 * worktree), its report file read if the spec names one, the value extracted. Used by every measurement.
 */
import { Context } from '@temporalio/activity';
import { promises as fs } from 'node:fs';
import { readSample, type SampleValue } from '../../goal/measurement';
import { warmupsFor, type MetricSpec } from '../../goal/spec';
import { commandEnv } from '../security/command-env';
import { redactEnvSecrets, type Redact } from '../security/redact';
import { runShell } from '../tools/shell';
import { resolveInWorkspace } from '../tools/workspace-path';

export interface Sample {
  readonly value: SampleValue;
  readonly exitCode: number | null;
  readonly durationMs: number;
}

/** How a goal's commands run: the spec's env.allow, and the redaction of what a sample reports. */
export interface SampleOptions {
  /** Credential-like variables of the worker the command keeps. @default [] */
  readonly allowEnv?: readonly string[];
  /** @default the worker environment's secrets */
  readonly redact?: Redact;
}

/**
 * Runs the metric's command once in `dir` and reads its value, heartbeating `progress` while it runs.
 * Throws only when cancelled.
 */
export async function sampleMetric(
  metric: MetricSpec,
  dir: string,
  progress: unknown,
  opts: SampleOptions = {},
): Promise<Sample> {
  const ctx = Context.current();
  const onBeat = () => ctx.heartbeat(progress);
  onBeat();
  const reportPath = metric.report ? await resolveInWorkspace(dir, metric.report).catch(() => null) : null;
  if (metric.report && !reportPath) {
    return {
      value: { ok: false, error: `report ${metric.report} is outside the workspace` },
      exitCode: null,
      durationMs: 0,
    };
  }
  if (reportPath) await fs.rm(reportPath, { force: true }); // a stale report from an earlier run must not count
  const run = await runShell({
    command: metric.command,
    cwd: dir,
    timeoutMs: metric.timeoutSeconds * 1000,
    env: commandEnv({}, process.env, opts.allowEnv),
    signal: ctx.cancellationSignal,
    onProgress: onBeat,
  });
  if (run.aborted) throw ctx.cancellationSignal.reason ?? new Error('measurement cancelled');
  let report: string | undefined;
  let reportMissing = false;
  if (reportPath) {
    try {
      report = await fs.readFile(reportPath, 'utf8');
    } catch {
      reportMissing = true;
    }
  }
  const read = readSample(metric, {
    ...run,
    ...(report !== undefined ? { report } : {}),
    ...(reportMissing ? { reportMissing } : {}),
  });
  // An error may quote the output (e.g. what a pattern matched): it goes to the ledger and workflow history.
  const value = read.ok ? read : { ok: false as const, error: (opts.redact ?? redactEnvSecrets)(read.error) };
  return { value, exitCode: run.exitCode, durationMs: run.durationMs };
}

/** Unrecorded runs in each directory before sampling (caches, JIT), as many as the metric asks for. */
export async function warmUp(metric: MetricSpec, dirs: readonly string[], opts: SampleOptions = {}): Promise<void> {
  for (let w = 0; w < warmupsFor(metric); w++) {
    for (const dir of dirs) await sampleMetric(metric, dir, { warmup: w }, opts);
  }
}

/** The ledger record of one sample: the caller's fields (which metric, why, where) plus what the run gave. */
export function sampleRecord(sample: Sample, fields: Record<string, unknown>): Record<string, unknown> {
  return {
    ...fields,
    at: new Date().toISOString(),
    exitCode: sample.exitCode,
    durationMs: sample.durationMs,
    ...(sample.value.ok ? { value: sample.value.value } : { error: sample.value.error }),
  };
}
