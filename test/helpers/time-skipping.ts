/**
 * Temporal's time-skipping test server for tests (the project-installed binary), with Longhaul's search attributes:
 * timers, activity retry backoffs and timeouts pass in moments while a test awaits a workflow's result.
 *
 * What differs from the dev server of ./temporal.ts:
 * - time skips only while the client awaits `handle.result()` (or on `env.sleep`), and never while an activity runs;
 * - `client.workflow.list` (visibility, so `longhaul list`) is unimplemented: follow a continue-as-new chain with
 *   `fetchRunChain` (./replay.ts) instead;
 * - custom search attributes must be registered (done here), else `upsertSearchAttributes` fails every workflow task;
 * - `continueAsNewSuggested` comes at the default ~4,096 events (no dynamic config to lower it).
 */
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { locateTestServer } from '../../client/temporal-cli';
import { SEARCH_ATTRIBUTES } from '../../goal/search-attributes';

export async function startTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  // Worker logs only from WARN up, unless a runtime is already installed (e.g. by ./temporal.ts).
  if (Runtime._instance === undefined) Runtime.install({ logger: new DefaultLogger('WARN') });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: locateTestServer() } },
  });
  try {
    await registerSearchAttributes(env);
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return env;
}

/** The test server forgets registrations on exit; unlike the dev server it takes them only through the operator API. */
async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTES.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!]),
    ),
  });
}
