/** Temporary git workspaces for tests. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tempDir(prefix = 'longhaul-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Runs git in `ws` and returns its stdout (stderr captured, so a failing command throws with it). */
export function git(ws: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: ws, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A git repository with `files` committed, in a fresh temp folder. */
export function gitWorkspace(files: Record<string, string>): string {
  const dir = tempDir('longhaul-ws-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=test', '-c', 'user.email=test@localhost', 'commit', '-q', '-m', 'start');
  return dir;
}

/** A small repository whose test fails until `median` sorts numerically and averages the middle pair. */
export const BUGGY_STATS = {
  'stats.js': `function median(xs) {
  const s = [...xs].sort();
  return s[Math.floor(s.length / 2)];
}
module.exports = { median };
`,
  'test.js': `const assert = require('node:assert');
const { median } = require('./stats');
assert.strictEqual(median([3, 1, 2]), 2);
assert.strictEqual(median([10, 9, 1, 2]), 5.5);
assert.strictEqual(median([100, 20, 3]), 20);
console.log('all tests pass');
`,
};

export const FIXED_MEDIAN = `function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
module.exports = { median };
`;

/**
 * A workspace whose metric is the number in score.txt (the code under test, free to change), read by the
 * benchmark script measure.sh (named by the metric command, so protected).
 */
export function scoreWorkspace(initial: number): string {
  return gitWorkspace({ 'score.txt': `${initial}\n`, 'measure.sh': 'cat score.txt\n' });
}

/** The metric of a scoreWorkspace: higher is better, met at `target`. */
export function scoreMetric(target: number) {
  return {
    name: 'score',
    command: 'sh measure.sh',
    measure: 'stdout_number',
    pattern: '(\\d+)',
    direction: 'higher',
    target: { absolute: target },
  } as const;
}

/** The agent's reply that writes `n` into score.txt. */
export function writeScore(n: number) {
  return { toolCalls: [{ name: 'write_file', arguments: { path: 'score.txt', content: `${n}\n` } }] };
}
