/** `longhaul demo`: a tiny repository with a failing test, so a first goal can run anywhere. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseGoalSpec, type GoalSpec } from '../goal/spec';

const FILES: Record<string, string> = {
  'stats.js': `// Summary statistics for a list of numbers.
function mean(xs) {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function median(xs) {
  const s = [...xs].sort();
  return s[Math.floor(s.length / 2)];
}

module.exports = { mean, median };
`,
  'test.js': `const assert = require('node:assert');
const { mean, median } = require('./stats');

assert.strictEqual(mean([1, 2, 3, 4]), 2.5);
assert.strictEqual(median([3, 1, 2]), 2);
assert.strictEqual(median([10, 9, 1, 2]), 5.5, 'median of an even-length list is the mean of the middle two');
assert.strictEqual(median([100, 20, 3]), 20, 'numbers must sort numerically');
console.log('all tests pass');
`,
};

/** The demo workspace's own branch, at its first commit: where each demo run starts. */
const DEMO_BRANCH = 'demo';

/**
 * Creates the demo workspace under `home`, or restores it, and returns the goal spec for it. Every run starts from
 * the failing test (a goal leaves its fix in the working tree): the branch `demo` is reset to the first commit and
 * untracked files are removed. The goal branches of earlier runs stay, with what their agents did.
 */
export function prepareDemo(home: string): GoalSpec {
  const dir = path.join(home, 'demo-workspace');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe', encoding: 'utf8' });
  if (existsSync(path.join(dir, '.git'))) {
    const first = git('rev-list', '--max-parents=0', 'HEAD').trim().split('\n').at(-1)!;
    git('checkout', '-q', '-f', '-B', DEMO_BRANCH, first);
    git('clean', '-q', '-f', '-d');
  } else {
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(FILES)) writeFileSync(path.join(dir, name), text);
    git('init', '-q', '-b', DEMO_BRANCH);
    git('add', '-A');
    git(
      '-c',
      'user.name=longhaul',
      '-c',
      'user.email=longhaul@localhost',
      'commit',
      '-q',
      '-m',
      'demo: failing median test',
    );
  }
  return parseGoalSpec({
    objective: 'Make the tests pass (`node test.js`) by fixing stats.js; do not change test.js.',
    workspace: dir,
    checks: [{ name: 'tests pass', command: 'node test.js' }],
    budget: { maxTurns: 20 },
  });
}
