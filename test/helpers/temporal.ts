/** A real Temporal dev server for tests (the project-installed CLI), with Longhaul's search attributes. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../../goal/search-attributes';
import { locateTemporalCli } from '../../client/temporal-cli';
import { GOAL_WORKFLOW_TYPE } from '../../goal/messages';
import type { Client } from '@temporalio/client';

let runtimeInstalled = false;

export async function startTestServer(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    // Worker logs only from WARN up: the tests' own output stays readable.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: locateTemporalCli() },
      searchAttributes: [...SEARCH_ATTRIBUTES],
      ip: '127.0.0.1',
    },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The goal workflow bundled once per test file (bundling takes seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger });
  return bundle;
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

/** How many goal workflows (runs) the server's visibility lists: to check that a refused start started none. */
export async function goalCount(client: Client): Promise<number> {
  let n = 0;
  for await (const _ of client.workflow.list({ query: `WorkflowType = '${GOAL_WORKFLOW_TYPE}'` })) n++;
  return n;
}
