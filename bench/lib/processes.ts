/** The processes a benchmark started, found from /proc (Linux): to read each one's CPU apart. */
import { readdirSync, readFileSync } from 'node:fs';

/** The pids whose parent is `ppid` and whose command line contains `match`. */
export function childPids(ppid: number, match: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== ppid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(match)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
