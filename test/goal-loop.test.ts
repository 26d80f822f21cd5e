import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LonghaulStatus, LonghaulTurns } from '../goal/search-attributes';
import { allText, lastToolResults } from './fakes/openai-server';
import { createHarness, runGoal } from './helpers/goal-harness';
import { BUGGY_STATS, FIXED_MEDIAN, gitWorkspace } from './helpers/workspace';
import { useServerAndFake } from './helpers/suite';
import { NO_FINISHING } from './helpers/finishing';

const suite = useServerAndFake();
beforeAll(() => {
  process.env.OPENAI_API_KEY = 'sk-env-secret'; // as on a real worker: it must not reach the agent's commands
});
afterAll(() => {
  delete process.env.OPENAI_API_KEY;
});

describe('the goal loop on a real Temporal server', () => {
  test('a failing test gets fixed by the agent and the orchestrator verifies it: achieved', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    const wrongFix = BUGGY_STATS['stats.js'].replace('.sort()', '.sort((a, b) => a - b)');
    suite.fake.setScript([
      { text: 'Let me look at the code.', toolCalls: [{ name: 'read_file', arguments: { path: 'stats.js' } }] },
      // A partial fix: the orchestrator must see that the test still fails.
      { toolCalls: [{ name: 'write_file', arguments: { path: 'stats.js', content: wrongFix } }] },
      {
        toolCalls: [
          { name: 'edit_file', arguments: { path: 'stats.js', oldText: wrongFix, newText: FIXED_MEDIAN } },
          { name: 'shell', arguments: { command: 'node test.js' } },
        ],
      },
      { toolCalls: [{ name: 'done', arguments: { summary: 'median fixed' } }] },
    ]);
    const h = await createHarness(suite.env, suite.fake);
    const { outcome, status, description } = await runGoal(
      h,
      {
        ...NO_FINISHING,
        objective: 'Make node test.js pass',
        workspace: ws,
        checks: [{ name: 'tests pass', command: 'node test.js' }],
        metrics: [
          {
            name: 'failures',
            command: 'node test.js >/dev/null 2>&1; echo $?',
            measure: 'stdout_number',
            pattern: '(\\d+)',
            direction: 'lower',
            target: { absolute: 0 },
          },
        ],
        budget: { maxTurns: 10 },
      },
      'fix-median',
    );

    expect(outcome.status).toBe('achieved');
    expect(outcome.turns).toBe(3); // verified right after the turn that fixed it, before the agent claimed done
    expect(suite.fake.requests).toHaveLength(3);
    expect(readFileSync(path.join(ws, 'stats.js'), 'utf8')).toBe(FIXED_MEDIAN);
    expect(outcome.checks).toEqual([{ name: 'tests pass', baseline: false, latest: true }]);
    expect(outcome.metrics[0]).toMatchObject({ name: 'failures', baseline: 1, latest: 0, best: 0, verdict: 'MET' });

    // The model saw the file it read, and the orchestrator's verdict on the partial fix.
    expect(lastToolResults(suite.fake.requests[1]!)[0]!.output).toContain('const s = [...xs].sort();');
    expect(allText(suite.fake.requests[2]!)).toMatch(/verification says the goal is not met yet[\s\S]*tests pass/);
    // The secret never reaches the model; the goal and its criteria are in every request.
    for (const req of suite.fake.requests) {
      expect(JSON.stringify(req.body)).not.toContain('sk-test-secret-key');
      expect(req.body.instructions).toContain('Objective: Make node test.js pass');
    }

    expect(status).toMatchObject({ status: 'achieved', phase: 'done', turn: 3, objective: 'Make node test.js pass' });
    expect(status.budget.tokens.used).toBeGreaterThan(0);
    expect(description.typedSearchAttributes.get(LonghaulStatus)).toBe('achieved');
    expect(description.typedSearchAttributes.get(LonghaulTurns)).toBe(3);
  });

  test('a model that never fixes anything ends budget_exhausted at max turns; bad tool calls are reported to it', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    suite.fake.setScript((_req, i) => {
      if (i === 0) return { toolCalls: [{ name: 'read_file', arguments: { path: '../../etc/passwd' } }] };
      if (i === 1) return { toolCalls: [{ name: 'edit_file', arguments: '{"path": "stats.js", ' }] };
      if (i === 2)
        return {
          toolCalls: [
            {
              name: 'shell',
              arguments: { command: 'echo "key=[$OPENAI_API_KEY] openai_vars=$(env | grep -c ^OPENAI_)"' },
            },
          ],
        };
      return { text: 'I am not sure what to do.' };
    });
    const h = await createHarness(suite.env, suite.fake);
    const { outcome } = await runGoal(
      h,
      {
        ...NO_FINISHING,
        objective: 'Make node test.js pass',
        workspace: ws,
        checks: [{ name: 'tests', command: 'node test.js' }],
        budget: { maxTurns: 5 },
      },
      'never-fixes',
    );

    expect(outcome).toMatchObject({ status: 'budget_exhausted', turns: 5, reason: 'used all 5 turns' });
    expect(suite.fake.requests).toHaveLength(5);
    const outside = lastToolResults(suite.fake.requests[1]!)[0]!.output;
    expect(outside).toMatch(/outside the workspace/);
    const malformed = lastToolResults(suite.fake.requests[2]!)[0]!.output;
    expect(malformed).toMatch(/JSON/);
    // The worker's secrets are not in the agent's environment.
    const envOutput = lastToolResults(suite.fake.requests[3]!)[0]!.output;
    expect(envOutput).toContain('key=[] openai_vars=0');
    expect(allText(suite.fake.requests[4]!)).toContain('You called no tool');
    expect(readFileSync(path.join(ws, 'stats.js'), 'utf8')).toBe(BUGGY_STATS['stats.js']);
  });

  test('Chat Completions servers work the same way', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    suite.fake.setScript([
      { toolCalls: [{ name: 'write_file', arguments: { path: 'stats.js', content: FIXED_MEDIAN } }] },
    ]);
    const h = await createHarness(suite.env, suite.fake, 'chat');
    const { outcome } = await runGoal(
      h,
      {
        ...NO_FINISHING,
        objective: 'Make node test.js pass',
        workspace: ws,
        checks: [{ name: 'tests', command: 'node test.js' }],
        model: { api: 'chat' },
      },
      'chat-api',
    );
    expect(outcome.status).toBe('achieved');
    expect(suite.fake.requests.map((r) => r.api)).toEqual(['chat']);
    expect(suite.fake.requests[0]!.body.messages[0].role).toBe('system');
  });

  test('model rate limits and server errors are retried by Temporal; the turn is not lost', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    suite.fake.setScript([
      { fault: 'rate_limit', retryAfterSeconds: 1 },
      { fault: 'server_error', status: 503 },
      { fault: 'malformed' },
      { toolCalls: [{ name: 'write_file', arguments: { path: 'stats.js', content: FIXED_MEDIAN } }] },
    ]);
    const h = await createHarness(suite.env, suite.fake);
    const { outcome } = await runGoal(
      h,
      {
        ...NO_FINISHING,
        objective: 'Make node test.js pass',
        workspace: ws,
        checks: [{ name: 'tests', command: 'node test.js' }],
      },
      'model-outage',
    );
    expect(outcome).toMatchObject({ status: 'achieved', turns: 1 });
    expect(suite.fake.requests).toHaveLength(4);
  });

  test('a rejected API key blocks the goal with the fix, and the key is not in the reason', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    suite.fake.setScript([{ fault: 'auth' }]);
    const h = await createHarness(suite.env, suite.fake);
    const { outcome, status } = await runGoal(
      h,
      {
        ...NO_FINISHING,
        objective: 'Make node test.js pass',
        workspace: ws,
        checks: [{ name: 'tests', command: 'node test.js' }],
      },
      'bad-key',
    );
    expect(outcome.status).toBe('blocked');
    expect(outcome.reason).toMatch(/OPENAI_API_KEY/);
    expect(outcome.reason).not.toContain('sk-test-secret-key');
    expect(suite.fake.requests).toHaveLength(1); // permanent: not retried
    expect(status).toMatchObject({ status: 'blocked', phase: 'done' });
  });

  test('a relative target whose baseline cannot be measured fails the goal at once, with the fix', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    suite.fake.setScript([]);
    const h = await createHarness(suite.env, suite.fake);
    const { outcome } = await runGoal(
      h,
      {
        ...NO_FINISHING,
        objective: 'Make the build faster',
        workspace: ws,
        metrics: [
          { name: 'build_seconds', command: 'exit 3', direction: 'lower', target: { relative: -0.3 }, repeat: 2 },
        ],
      },
      'no-baseline',
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toBe(
      'metric build_seconds could not be measured at baseline (command exited 3, so its time does not count), and its relative target needs a baseline: fix the command or give an absolute target',
    );
    expect(suite.fake.requests).toHaveLength(0); // no model turn was spent
  });
});
