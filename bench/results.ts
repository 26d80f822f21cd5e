/**
 * What every benchmark reports, and how the reports become `bench/RESULTS.md`: each benchmark prints its figures
 * for people and one machine-readable line (RESULT_MARK + JSON) that bench/run-all.ts collects.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** One figure: a measured value, and the target it answers when the issue sets one. */
export interface Figure {
  readonly label: string;
  readonly value: number | null;
  readonly unit: string;
  /** e.g. "≤ 20 ms"; absent for context figures. */
  readonly target?: string;
  /** Whether the value meets the target (absent without one). */
  readonly met?: boolean;
}

export interface BenchReport {
  /** The script name, e.g. `overhead`. */
  readonly name: string;
  readonly title: string;
  /** The command that reproduces these figures. */
  readonly command: string;
  /** Sizes and repetitions used, in words. */
  readonly size: string;
  readonly figures: readonly Figure[];
  /** Tables or findings worth keeping (markdown lines). */
  readonly details: readonly string[];
  readonly seconds: number;
}

export const RESULT_MARK = '@@bench-result ';

export function figure(
  label: string,
  value: number | null,
  unit: string,
  target?: { text: string; ok: boolean },
): Figure {
  return { label, value, unit, ...(target ? { target: target.text, met: value !== null && target.ok } : {}) };
}

export function formatValue(f: Figure): string {
  if (f.value === null || !Number.isFinite(f.value)) return 'n/a';
  const abs = Math.abs(f.value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return `${f.value.toFixed(digits)}${f.unit ? ` ${f.unit}` : ''}`;
}

function verdict(f: Figure): string {
  if (f.target === undefined) return '';
  return f.met ? 'met' : '**missed**';
}

/** The figures as a markdown table. */
export function figureTable(figures: readonly Figure[]): string[] {
  return [
    '| figure | value | target | |',
    '| --- | --- | --- | --- |',
    ...figures.map((f) => `| ${f.label} | ${formatValue(f)} | ${f.target ?? ''} | ${verdict(f)} |`),
  ];
}

/** Prints the report for people, then the line run-all.ts reads. */
export function printReport(r: BenchReport): void {
  const lines = [
    '',
    `## ${r.title}`,
    `command: ${r.command}`,
    `size: ${r.size}`,
    '',
    ...figureTable(r.figures),
    '',
    ...r.details,
    '',
    `(${r.seconds.toFixed(0)} s)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n${RESULT_MARK}${JSON.stringify(r)}\n`);
}

export interface Machine {
  readonly cpus: string;
  readonly memory: string;
  readonly os: string;
  readonly node: string;
  readonly loadAverage: string;
}

export function machine(): Machine {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    commit = '';
  }
  return {
    cpus: `${os.cpus().length} × ${cpu}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB (${(os.freemem() / 2 ** 30).toFixed(0)} GiB free at start)`,
    os: `${os.type()} ${os.release()}${commit ? `, commit ${commit} (uncommitted changes possible)` : ''}`,
    node: process.version,
    loadAverage: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

export interface ResultsMeta {
  readonly date: string;
  readonly command: string;
  readonly machine: Machine;
  /** e.g. "measured while other work ran on the machine". */
  readonly conditions?: string;
  readonly totalSeconds: number;
  /** Benchmarks that failed, with their error. */
  readonly failures: readonly { name: string; error: string }[];
}

/** The whole of bench/RESULTS.md. */
export function renderResults(reports: readonly BenchReport[], meta: ResultsMeta): string {
  const m = meta.machine;
  const summary = reports.flatMap((r) => r.figures.filter((f) => f.target !== undefined).map((f) => ({ r, f })));
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`${meta.command}\` on ${meta.date} in ${(meta.totalSeconds / 60).toFixed(1)} min.`,
    '',
    `- Machine: ${m.cpus}; ${m.memory}; ${m.os}; Node ${m.node}; load average at start ${m.loadAverage}`,
    ...(meta.conditions ? [`- Conditions: ${meta.conditions}`] : []),
    '- Each figure is the median of repeated runs; ratios are measured within one run (both sides interleaved), so',
    '  the noise of a shared machine falls on both sides alike.',
    '- Where a target is missed, what was profiled, what was fixed and what remains (and why): [ANALYSIS.md](ANALYSIS.md).',
    '',
    '## Against the targets',
    '',
    '| benchmark | figure | value | target | | reproduce |',
    '| --- | --- | --- | --- | --- | --- |',
    ...summary.map(
      ({ r, f }) =>
        `| ${r.name} | ${f.label} | ${formatValue(f)} | ${f.target ?? ''} | ${verdict(f)} | \`${r.command}\` |`,
    ),
    ...(meta.failures.length > 0
      ? ['', '## Failed', '', ...meta.failures.map((x) => `- ${x.name}: ${x.error.split('\n')[0] ?? ''}`)]
      : []),
  ];
  for (const r of reports) {
    lines.push(
      '',
      `## ${r.title}`,
      '',
      `Command: \`${r.command}\` (${r.seconds.toFixed(0)} s). Size: ${r.size}.`,
      '',
      ...figureTable(r.figures),
      ...(r.details.length > 0 ? ['', ...r.details] : []),
    );
  }
  return `${lines.join('\n')}\n`;
}
