/** The whole machine's CPU use over an interval (Linux /proc/stat), to tell a saturated machine from a slow program. */
import { readFileSync } from 'node:fs';

export interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

export function cpuTimes(): CpuTimes {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Share of all cores busy between two readings (0..1). */
export function busyShare(a: CpuTimes, b: CpuTimes): number {
  return (b.busy - a.busy) / Math.max(1, b.total - a.total);
}
