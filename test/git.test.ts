/** Git helpers of the workspace: the progress mirror kept out of git status, fingerprints and milestones. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { excludeFromGit, workspaceFingerprint } from '../activities/workspace/git';
import { gitWorkspace } from './helpers/workspace';

test('a folder listed with excludeFromGit never shows as a change; the listing is written once', async () => {
  const ws = gitWorkspace({ 'a.txt': 'a\n' });
  const before = await workspaceFingerprint(ws);
  await excludeFromGit(ws, path.join(ws, '.longhaul'));
  await excludeFromGit(ws, path.join(ws, '.longhaul'));
  mkdirSync(path.join(ws, '.longhaul'));
  writeFileSync(path.join(ws, '.longhaul', 'progress.md'), '# progress\n');
  expect(execFileSync('git', ['status', '--porcelain'], { cwd: ws, encoding: 'utf8' })).toBe('');
  expect((await workspaceFingerprint(ws)).fingerprint).toBe(before.fingerprint);
  const exclude = readFileSync(path.join(ws, '.git', 'info', 'exclude'), 'utf8');
  expect(exclude.split('\n').filter((l) => l === '/.longhaul/')).toHaveLength(1);
  expect(existsSync(path.join(ws, '.gitignore'))).toBe(false); // the user's files are not touched
});

test('a folder outside the work tree is left alone', async () => {
  const ws = gitWorkspace({ 'a.txt': 'a\n' });
  await excludeFromGit(ws, '/tmp');
  expect(readFileSync(path.join(ws, '.git', 'info', 'exclude'), 'utf8')).not.toContain('tmp');
});
