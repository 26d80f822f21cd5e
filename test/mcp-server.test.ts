/**
 * `longhaul mcp` end to end: the MCP SDK's own client spawns the built CLI over stdio, as Claude Code or Codex does,
 * against a real Temporal dev server, a Longhaul worker and the scripted model server.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ASK_INSTRUCTIONS } from '../activities/agent/ask';
import { waitForGoal } from '../client/goals';
import type { GoalStatusView } from '../goal/status';
import type { RecordedRequest } from './fakes/openai-server';
import { CLI, runCli } from './helpers/cli';
import { NO_FINISHING } from './helpers/finishing';
import { createHarness, type Harness } from './helpers/goal-harness';
import { useServerAndFake } from './helpers/suite';
import { BUGGY_STATS, FIXED_MEDIAN, gitWorkspace, scoreWorkspace, tempDir } from './helpers/workspace';
import { goalCount } from './helpers/temporal';

const HOST = 'mcp-host';
const TOOLS = [
  'ask_goal',
  'cancel_goal',
  'edit_goal',
  'goal_status',
  'guide_goal',
  'list_goals',
  'pause_goal',
  'resume_goal',
  'start_goal',
];

const suite = useServerAndFake();

const isAsk = (req: RecordedRequest) => String(req.body.instructions ?? '').startsWith(ASK_INSTRUCTIONS.slice(0, 40));

interface Session {
  readonly client: Client;
  /** What the server wrote to stderr so far (its logs: stdout is the protocol). */
  stderr(): string;
  /** Protocol errors the client saw, e.g. a line on stdout that is not JSON-RPC. */
  readonly errors: Error[];
  /** Calls a tool; the result as the client parsed it. */
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

/** `longhaul mcp` spawned by the SDK's stdio client, for the harness's task queue and LONGHAUL_HOME. */
async function mcpSession(env: Record<string, string>, cwd: string): Promise<Session> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    cwd,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'longhaul-test', version: '1.0.0' });
  const errors: Error[] = [];
  client.onerror = (e) => errors.push(e);
  await client.connect(transport);
  return {
    client,
    stderr: () => stderr,
    errors,
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    close: () => client.close(),
  };
}

function serverEnv(h: Pick<Harness, 'taskQueue' | 'home'>): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: suite.env.address,
    LONGHAUL_TASK_QUEUE: h.taskQueue,
    LONGHAUL_HOST: HOST,
    LONGHAUL_HOME: h.home,
  };
}

function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

describe('longhaul mcp', () => {
  test('an MCP client hands over a goal, polls goal_status to achieved, and reads its progress document and report', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    suite.fake.setScript([
      { toolCalls: [{ name: 'write_file', arguments: { path: 'stats.js', content: FIXED_MEDIAN } }] },
    ]);
    const h = await createHarness(suite.env, suite.fake, 'responses', {}, { host: HOST });
    // The spec names the workspace relative to the server's working directory.
    const session = await mcpSession(serverEnv(h), path.dirname(ws));
    const spec = [
      'objective: Make the tests pass',
      `workspace: ${path.basename(ws)}`,
      'checks: [{ name: tests pass, command: node test.js }]',
      'budget: { maxTurns: 5 }',
      'finalize: { reflect: false, cleanupTurns: 0 }',
    ].join('\n');
    const { tools, started, polls, final, listed, resources, progress, report } = await h.worker.runUntil(async () => {
      const { tools } = await session.client.listTools();
      const started = await session.call('start_goal', { spec, goalId: 'mcp-goal' });
      let polls = 0;
      let final: GoalStatusView;
      for (;;) {
        polls++;
        const r = await session.call('goal_status', { goalId: 'mcp-goal' });
        expect(r.isError).toBeFalsy();
        final = r.structuredContent as unknown as GoalStatusView;
        if (final.status !== 'running') break;
        await new Promise((resolve) => setTimeout(resolve, 100)); // a client polling now and then
      }
      await waitForGoal(suite.env.client, 'mcp-goal'); // its final report is written as it ends
      const listed = await session.call('list_goals', {});
      const { resources } = await session.client.listResources();
      const progress = await session.client.readResource({ uri: 'longhaul://goals/mcp-goal/progress' });
      const report = await session.client.readResource({ uri: 'longhaul://goals/mcp-goal/report' });
      return { tools, started, polls, final, listed, resources, progress, report };
    });
    await session.close();

    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    const startTool = tools.find((t) => t.name === 'start_goal')!;
    expect(startTool.description).toContain('nothing starts');
    expect(JSON.stringify(startTool.inputSchema)).toContain(
      `resolved against this server's working directory, ${path.dirname(ws)}`,
    );

    expect(started.isError).toBeFalsy();
    expect(started.structuredContent).toMatchObject({ goalId: 'mcp-goal', workspace: ws, host: HOST, warnings: [] });
    expect(textOf(started)).toContain(`started goal mcp-goal in ${ws} (host ${HOST})`);
    expect(textOf(started)).toContain('protected  test.js: named by check tests pass');
    expect(polls).toBeGreaterThan(1); // it answered while the goal ran, not only at its end
    expect(final).toMatchObject({ goalId: 'mcp-goal', status: 'achieved', workspace: ws });
    expect(final.checks).toEqual([{ name: 'tests pass', baseline: false, latest: true }]);
    expect((listed.structuredContent as { goals: unknown[] }).goals).toContainEqual(
      expect.objectContaining({ goalId: 'mcp-goal', objective: 'Make the tests pass' }),
    );
    expect(textOf(listed)).toMatch(/mcp-goal\s+\w+/);

    expect(resources.map((r) => r.uri)).toEqual(
      expect.arrayContaining(['longhaul://goals/mcp-goal/progress', 'longhaul://goals/mcp-goal/report']),
    );
    const [doc] = progress.contents as { uri: string; mimeType: string; text: string }[];
    expect(doc).toMatchObject({ uri: 'longhaul://goals/mcp-goal/progress', mimeType: 'text/markdown' });
    expect(doc!.text).toContain('Make the tests pass');
    const [final_] = report.contents as { text: string }[];
    expect(final_!.text).toContain('# Final report: goal mcp-goal (ACHIEVED)');

    expect(session.errors).toEqual([]); // nothing but JSON-RPC on stdout
    expect(session.stderr()).toContain('longhaul mcp: serving on stdio');
    expect(session.stderr()).toContain('longhaul mcp: stopping (the client closed stdin)');
  });

  test('a bad spec is a tool error with the text `longhaul start` prints, and no goal starts', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    const dir = tempDir();
    const file = path.join(dir, 'goal.yaml');
    const text = [
      'objective: Make it faster',
      `workspace: ${ws}`,
      'metrics:',
      '  - name: build_seconds',
      '    command: npm run build',
      '    direction: lower',
      '    target: { relative: 0.3 }',
      'budget: { maxTurns: 0, maxTurn: 5 }',
    ].join('\n');
    writeFileSync(file, text);
    const h = { taskQueue: `mcp-refused-${process.pid}`, home: tempDir('longhaul-home-') }; // nothing may run
    const before = await goalCount(suite.env.client);
    const cli = await runCli(['start', file], serverEnv(h));
    const session = await mcpSession(serverEnv(h), dir);
    const fromText = await session.call('start_goal', { spec: text });
    const fromFile = await session.call('start_goal', { specFile: 'goal.yaml' });
    const relative = await session.call('start_goal', {
      spec: 'objective: x\nworkspace: no-such-repo\nchecks: [{ name: c, command: "true" }]',
    });
    const neither = await session.call('start_goal', {});
    const unknownField = await session.call('start_goal', { spec: text, colour: 'blue' });
    await session.close();

    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('budget: unknown field "maxTurn": remove or fix the spelling');
    for (const r of [fromText, fromFile]) {
      expect(r.isError).toBe(true);
      expect(`longhaul: ${textOf(r)}\n`).toBe(cli.stderr);
    }
    expect(relative.isError).toBe(true);
    expect(textOf(relative)).toContain(
      `workspace: ${path.join(dir, 'no-such-repo')} does not exist: create it or pass the path of your repository`,
    );
    expect(neither.isError).toBe(true);
    expect(textOf(neither)).toContain('give the goal spec either as YAML or JSON text in "spec" or as a file path');
    // Arguments outside the schema are dropped by the SDK's validation; the spec itself still decides.
    expect(unknownField.isError).toBe(true);
    expect(textOf(unknownField)).toContain('invalid goal spec');
    expect(await goalCount(suite.env.client)).toBe(before);
    expect(session.errors).toEqual([]);
  });

  test('the steering tools pause, edit, guide, ask, resume and cancel a running goal; refusals are tool errors', async () => {
    const ws = scoreWorkspace(1);
    suite.fake.setScript((req) =>
      isAsk(req)
        ? { text: 'It is waiting for a slow command; the score is 1 of 5.' }
        : { toolCalls: [{ name: 'shell', arguments: { command: 'sleep 0.2; echo thinking' } }] },
    );
    const h = await createHarness(suite.env, suite.fake, 'responses', {}, { host: HOST });
    const session = await mcpSession(serverEnv(h), ws);
    const spec = JSON.stringify({
      objective: 'Raise the score',
      workspace: ws,
      metrics: [
        {
          name: 'score',
          command: 'sh measure.sh',
          measure: 'stdout_number',
          pattern: '(\\d+)',
          direction: 'higher',
          target: { absolute: 5 },
        },
      ],
      budget: { maxTurns: 50 },
      ...NO_FINISHING,
    });
    const r = await h.worker.runUntil(async () => {
      const started = await session.call('start_goal', { spec, goalId: 'steered' });
      const id = { goalId: 'steered' };
      const paused = await session.call('pause_goal', { ...id, reason: 'lunch' });
      const whilePaused = await session.call('goal_status', id);
      const badEdit = await session.call('edit_goal', { ...id, edit: '{"targets": {"nosuch": {"absolute": 5}}}' });
      const misspelt = await session.call('edit_goal', { ...id, edit: 'budget: { maxTurn: 5 }' });
      const notYaml = await session.call('edit_goal', { ...id, edit: '- just\n- a list' });
      const edit = await session.call('edit_goal', {
        ...id,
        edit: 'targets: { score: { absolute: 10 } }\nreason: aim higher',
      });
      const guided = await session.call('guide_goal', { ...id, text: 'Try writing 10 into score.txt' });
      const asked = await session.call('ask_goal', { ...id, question: 'what is it doing?' });
      const resumed = await session.call('resume_goal', id);
      const cancelled = await session.call('cancel_goal', id);
      const outcome = await waitForGoal(suite.env.client, 'steered');
      const afterEnd = await session.call('guide_goal', { ...id, text: 'too late' });
      const cancelAgain = await session.call('cancel_goal', id);
      const unknown = await session.call('goal_status', { goalId: 'no-such-goal' });
      const status = await session.call('goal_status', id);
      return {
        started,
        paused,
        whilePaused,
        badEdit,
        misspelt,
        notYaml,
        edit,
        guided,
        asked,
        resumed,
        cancelled,
        outcome,
        afterEnd,
        cancelAgain,
        unknown,
        status,
      };
    });
    await session.close();

    expect(r.started.isError).toBeFalsy();
    expect(r.paused.structuredContent).toMatchObject({ goalId: 'steered', paused: true });
    expect(textOf(r.paused)).toMatch(/^steered: paused \(after turn \d+\); resume_goal continues it$/);
    expect(r.whilePaused.structuredContent).toMatchObject({ paused: true });
    expect(textOf(r.whilePaused)).toContain('PAUSED since');

    expect(r.badEdit.isError).toBe(true);
    expect(textOf(r.badEdit)).toContain('targets.nosuch: no metric named "nosuch" (metrics: score)');
    expect(r.misspelt.isError).toBe(true);
    expect(textOf(r.misspelt)).toMatch(/^edit rejected, the goal is unchanged:\n {2}- budget: unknown field "maxTurn"/);
    expect(r.notYaml.isError).toBe(true);
    expect(textOf(r.notYaml)).toContain('the edit must contain a mapping of the fields to change');
    expect(r.edit.isError).toBeFalsy();
    expect(r.edit.structuredContent).toEqual({
      goalId: 'steered',
      goalVersion: 2,
      changes: ['target of score: ≥ 5 → ≥ 10'],
      appliesAt: 'next turn boundary',
    });

    expect(textOf(r.guided)).toBe('steered: guidance sent; the agent gets it at its next turn');
    expect(textOf(r.asked)).toBe('It is waiting for a slow command; the score is 1 of 5.');
    expect(suite.fake.requests.filter(isAsk).map((q) => JSON.stringify(q.body))).toEqual([
      expect.stringContaining('what is it doing?'),
    ]);
    expect(r.resumed.structuredContent).toMatchObject({ goalId: 'steered', paused: false });
    expect(r.cancelled.isError).toBeFalsy();
    expect(r.outcome.status).toBe('cancelled');

    expect(r.afterEnd.isError).toBe(true);
    expect(textOf(r.afterEnd)).toContain('goal steered has already ended');
    expect(r.unknown.isError).toBe(true);
    expect(textOf(r.unknown)).toMatch(/^no goal with that id \(.*no-such-goal.*\): see list_goals$/);
    expect(r.cancelAgain.isError).toBe(true);
    expect(textOf(r.cancelAgain)).toContain('goal steered has already ended');
    expect(r.status.structuredContent).toMatchObject({ goalId: 'steered', status: 'cancelled', asks: { count: 1 } });
    expect(session.errors).toEqual([]);
  });
});
