/** The demo's workspace: created on the first run, restored to the failing test on every run after. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { prepareDemo } from '../client/demo';
import { tempDirsRemovedAfterAll } from './helpers/temp-dirs';
import { git } from './helpers/workspace';

const tempDir = tempDirsRemovedAfterAll('longhaul-demo-');
const testsPass = (ws: string) => spawnSync('node', ['test.js'], { cwd: ws, stdio: 'ignore' }).status === 0;

test('a second demo starts from the failing test again; the goal branches of earlier runs stay', () => {
  const home = tempDir();
  const spec = prepareDemo(home);
  const ws = spec.workspace;
  expect(ws).toBe(path.join(home, 'demo-workspace'));
  expect(git(ws, 'branch', '--show-current').trim()).toBe('demo');
  expect(testsPass(ws)).toBe(false);
  const original = readFileSync(path.join(ws, 'stats.js'), 'utf8');

  // What a finished goal leaves: a goal branch with a commit, and its fix in the working tree.
  git(ws, 'checkout', '-q', '-b', 'longhaul/goal-1');
  writeFileSync(path.join(ws, 'stats.js'), original.replace('[...xs].sort()', '[...xs].sort((a, b) => a - b)'));
  git(ws, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-am', 'longhaul: milestone');
  git(ws, 'checkout', '-q', 'demo');
  writeFileSync(path.join(ws, 'stats.js'), 'module.exports = {};\n');
  writeFileSync(path.join(ws, 'notes.txt'), 'left by the agent\n');

  expect(prepareDemo(home).workspace).toBe(ws);
  expect(readFileSync(path.join(ws, 'stats.js'), 'utf8')).toBe(original);
  expect(git(ws, 'status', '--porcelain')).toBe('');
  expect(git(ws, 'branch', '--show-current').trim()).toBe('demo');
  expect(testsPass(ws)).toBe(false);
  expect(git(ws, 'log', '--format=%s', 'longhaul/goal-1').split('\n')[0]).toBe('longhaul: milestone');
});
