/** The usual end-to-end fixture of a test file: a real Temporal dev server and a scripted fake model server. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { FakeOpenAI } from '../fakes/openai-server';
import { startTestServer } from './temporal';

export interface Suite {
  env: TestWorkflowEnvironment;
  fake: FakeOpenAI;
}

/** Starts both before the file's tests, stops them after, and clears the fake's request log before each test. */
export function useServerAndFake(): Suite {
  const suite = {} as Suite;
  beforeAll(async () => {
    suite.env = await startTestServer();
    suite.fake = await FakeOpenAI.start();
  });
  afterAll(async () => {
    await suite.fake?.close();
    await suite.env?.teardown();
  });
  beforeEach(() => {
    suite.fake.requests.length = 0;
  });
  return suite;
}
