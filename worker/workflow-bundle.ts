/**
 * The goal workflow's code bundled ahead of time, so a deployed worker starts without webpack. The Dockerfile
 * runs `node dist/worker/workflow-bundle.js dist/workflow-bundle.js` after the build and sets
 * LONGHAUL_WORKFLOW_BUNDLE to the file; without it the worker bundles `workflows/` at start, as before.
 * Bundle with the same @temporalio/worker version the worker runs (the lockfile's).
 */
import { bundleWorkflowCode, type BundleOptions, type WorkerOptions } from '@temporalio/worker';
import { existsSync, writeFileSync } from 'node:fs';
import { ConfigError } from './temporal-config';

/** Bundles `workflows/` (next to this file once built) and writes the code to `outFile`. */
export async function writeWorkflowBundle(outFile: string, logger?: BundleOptions['logger']): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger });
  writeFileSync(outFile, code);
}

/** The prebuilt bundle named by LONGHAUL_WORKFLOW_BUNDLE, or undefined to bundle at start. */
export function workflowBundleFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerOptions['workflowBundle'] {
  const codePath = env.LONGHAUL_WORKFLOW_BUNDLE;
  if (!codePath) return undefined;
  if (!existsSync(codePath)) {
    throw new ConfigError(
      `LONGHAUL_WORKFLOW_BUNDLE: ${codePath} does not exist: build it with \`node dist/worker/workflow-bundle.js ${codePath}\`, or unset it to bundle at start`,
    );
  }
  return { codePath };
}

if (require.main === module) {
  const outFile = process.argv[2];
  if (!outFile) {
    console.error('usage: node dist/worker/workflow-bundle.js <output file>');
    process.exit(2);
  }
  writeWorkflowBundle(outFile).catch((err: unknown) => {
    console.error(`workflow bundle: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
