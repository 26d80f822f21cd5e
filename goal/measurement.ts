/** Reading a metric's value from one run of its command. Pure, so every kind is unit-testable. */
import type { MetricSpec } from './spec';

export interface CommandRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
}

export type SampleValue =
  { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: string };

/** Extracts the metric's value from a run, or says why none could be read. */
export function readSample(
  metric: Pick<MetricSpec, 'measure' | 'pattern' | 'path' | 'timeoutSeconds'>,
  run: CommandRun,
): SampleValue {
  if (run.timedOut) return { ok: false, error: `command timed out after ${metric.timeoutSeconds} s` };
  switch (metric.measure) {
    case 'exit_code':
      return run.exitCode === null
        ? { ok: false, error: 'command was killed by a signal' }
        : { ok: true, value: run.exitCode };
    case 'wall_time':
      if (run.exitCode !== 0)
        return { ok: false, error: `command exited ${run.exitCode ?? 'by a signal'}, so its time does not count` };
      return { ok: true, value: run.durationMs / 1000 };
    case 'stdout_number': {
      const match = new RegExp(metric.pattern ?? '').exec(run.stdout);
      if (!match) return { ok: false, error: `stdout did not match /${metric.pattern ?? ''}/` };
      const text = (match[1] ?? match[0]).trim();
      const value = parseDecimal(text);
      return value === null ? { ok: false, error: `matched "${text}", which is not a number` } : { ok: true, value };
    }
    case 'json': {
      let data: unknown;
      try {
        data = JSON.parse(run.stdout);
      } catch {
        return { ok: false, error: 'stdout is not JSON' };
      }
      let node: unknown = data;
      for (const key of (metric.path ?? '').split('.').filter(Boolean)) {
        if (node === null || typeof node !== 'object')
          return { ok: false, error: `no "${metric.path ?? ''}" in the JSON` };
        node = (node as Record<string, unknown>)[key];
      }
      return typeof node === 'number' && Number.isFinite(node)
        ? { ok: true, value: node }
        : { ok: false, error: `"${metric.path ?? ''}" is not a number in the JSON` };
    }
  }
}

/** A plain decimal number ("12", "-3.5", "1e3", "1,234.5" with thousands separators); null for anything else. */
export function parseDecimal(text: string): number | null {
  const plain = /^\d{1,3}(,\d{3})+(\.\d+)?$/.test(text.replace(/^[+-]/, '')) ? text.replace(/,/g, '') : text;
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(plain)) return null;
  const value = Number(plain);
  return Number.isFinite(value) ? value : null;
}
