/**
 * The goal workflow's code bundled ahead of time, so a worker starts without webpack (about 2 s less before it
 * takes goals over: bench/recovery.ts). `npm run build` writes `dist/workflow-bundle.js` beside the compiled
 * code, and a worker uses it while it is newer than the compiled workflow code; LONGHAUL_WORKFLOW_BUNDLE names
 * another file (the Dockerfile's). Without either the worker bundles `workflows/` at start.
 * Bundle with the same @temporalio/worker version the worker runs (the lockfile's).
 */
import { bundleWorkflowCode, type BundleOptions, type WorkerOptions } from '@temporalio/worker';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../common/temporal-config';

/** Where `npm run build` writes the bundle: beside the compiled tree (dist/workflow-bundle.js). */
export const BUILT_BUNDLE = path.resolve(__dirname, '..', 'workflow-bundle.js');

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

/**
 * The bundle a worker starts with: LONGHAUL_WORKFLOW_BUNDLE's, else the build's while it is newer than every compiled
 * file of the workflow code (workflows/ and goal/: a `tsc` run without the bundle step leaves it stale), else
 * undefined (bundle at start).
 */
export function workflowBundleFor(env: NodeJS.ProcessEnv = process.env): WorkerOptions['workflowBundle'] {
  return workflowBundleFromEnv(env) ?? (builtBundleIsFresh(BUILT_BUNDLE) ? { codePath: BUILT_BUNDLE } : undefined);
}

export function builtBundleIsFresh(bundle: string): boolean {
  if (!existsSync(bundle)) return false;
  const built = statSync(bundle).mtimeMs;
  const root = path.dirname(bundle);
  for (const dir of ['workflows', 'goal']) {
    const full = path.join(root, dir);
    if (!existsSync(full)) return false;
    for (const f of readdirSync(full)) {
      if (f.endsWith('.js') && statSync(path.join(full, f)).mtimeMs > built) return false;
    }
  }
  return true;
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
