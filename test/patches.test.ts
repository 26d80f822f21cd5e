/**
 * The one list of `patched()` names (workflows/patches.ts): the workflows patch with those names only, each name is
 * unique, and every fixture said to replay a patch's old path is a recorded history.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PATCHES } from '../workflows/patches';
import { loadHistories } from './helpers/replay';

const WORKFLOWS = path.join(__dirname, '..', 'workflows');

test('the workflows call patched() only with a name from workflows/patches.ts', () => {
  const calls: string[] = [];
  for (const file of readdirSync(WORKFLOWS).filter((f) => f.endsWith('.ts') && f !== 'patches.ts')) {
    const code = readFileSync(path.join(WORKFLOWS, file), 'utf8')
      .split('\n')
      .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line)); // calls, not comments that mention one
    for (const line of code) {
      for (const m of line.matchAll(/\b(?:patched|deprecatePatch)\(([^)]+)\)/g)) calls.push(`${file}: ${m[1]}`);
    }
  }
  expect(calls.length).toBeGreaterThanOrEqual(Object.keys(PATCHES).length);
  for (const call of calls) expect(call).toMatch(/: PATCHES\.[A-Za-z0-9]+\.id$/);
  const used = new Set(calls.map((c) => /PATCHES\.([A-Za-z0-9]+)\.id/.exec(c)?.[1]));
  expect([...used].sort()).toEqual(Object.keys(PATCHES).sort());
});

test('patch names are unique and their old-path fixtures are recorded histories', () => {
  const ids = Object.values(PATCHES).map((p) => p.id);
  expect(new Set(ids).size).toBe(ids.length);
  const recorded = new Set(loadHistories().map((h) => h.workflowId));
  for (const p of Object.values(PATCHES)) for (const f of p.oldPathFixtures) expect(recorded).toContain(f);
});
