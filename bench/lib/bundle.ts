/** The goal workflow bundled once to a file, so benchmark workers start without bundling (seconds of webpack). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { workflowBundle } from '../../test/helpers/temporal';
import { tempDir } from '../../test/helpers/workspace';

let written: Promise<string> | undefined;

export function workflowBundleFile(): Promise<string> {
  written ??= workflowBundle().then(({ code }) => {
    const file = path.join(tempDir('longhaul-bench-bundle-'), 'workflow-bundle.js');
    writeFileSync(file, code);
    return file;
  });
  return written;
}
