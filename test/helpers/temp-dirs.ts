/** Temporary folders removed after a test file's tests (jest's afterAll: not for the benchmarks, which share workspace.ts). */
import { rmSync } from 'node:fs';
import { tempDir } from './workspace';

/**
 * `tempDir` for a test file whose folders are removed after its tests (call at the file's top level); `track`
 * adds another path to remove.
 */
export function tempDirsRemovedAfterAll(defaultPrefix: string) {
  const paths: string[] = [];
  afterAll(() => {
    for (const p of paths) rmSync(p, { recursive: true, force: true });
  });
  const make = (prefix = defaultPrefix): string => {
    const dir = tempDir(prefix);
    paths.push(dir);
    return dir;
  };
  return Object.assign(make, { track: (p: string) => void paths.push(p) });
}
