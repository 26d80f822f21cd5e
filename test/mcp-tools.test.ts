/**
 * MCP tool servers for the goal's agent (issue 23, part 1), against a real MCP server process (test/fakes/mcp-server.ts,
 * built with the SDK), a real dev server, real workers and the scripted model fake.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startGoal } from '../client/goals';
import { parseGoalSpec, type GoalSpecInput } from '../goal/spec';
import type { McpServerSpec } from '../goal/mcp';
import { statusQuery } from '../goal/messages';
import { FileGoalStore } from '../activities/store/files';
import { McpPool } from '../activities/tools/mcp/pool';
import { resolveServer } from '../activities/tools/mcp/server';
import { mcpToolDefinitions } from '../activities/tools/mcp/tools';
import { runMcpTool } from '../activities/tools/mcp/call';
import { allText, lastToolResults, type RecordedRequest } from './fakes/openai-server';
import { createHarness } from './helpers/goal-harness';
import { fakeMcpServer } from './helpers/mcp-fake';
import { NO_FINISHING } from './helpers/finishing';
import { useServerAndFake } from './helpers/suite';
import { startWorkerProcess, waitFor, WORKER_MAIN } from './helpers/worker-process';
import { gitWorkspace, tempDir } from './helpers/workspace';

const suite = useServerAndFake();
const pool = new McpPool({ idleMs: 60_000 });
afterAll(() => pool.close());

/** Lines of the fake's log (every start and call), empty before the first. */
function logLines(log: string): string[] {
  return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : [];
}
const count = (log: string, line: string) => logLines(log).filter((l) => l === line).length;

/** Host pids of the fake's node processes started with `tag` (inside or outside a sandbox). */
function fakePids(tag: string): number[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return ps
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && !m[2]!.startsWith('Z'))
    .filter((m) => m[3]!.startsWith(`${process.execPath} `) && m[3]!.endsWith(`${fakeMcpServer()} ${tag}`))
    .map((m) => Number(m[1]));
}

const REPO_ROOT = path.resolve(__dirname, '..');

/** A goal whose check passes once the agent wrote marker.txt, with the fake MCP server as `fake`. */
function mcpGoal(ws: string, log: string, tag: string, extra: Partial<GoalSpecInput> = {}, env = {}) {
  return parseGoalSpec({
    ...NO_FINISHING,
    objective: 'Use the fake MCP server',
    workspace: ws,
    checks: [{ name: 'marker written', command: 'test -f marker.txt' }],
    mcp: [
      { name: 'fake', command: process.execPath, args: [fakeMcpServer(), tag], env: { FAKE_MCP_LOG: log, ...env } },
    ],
    // The fake runs from the repository (node_modules/.cache), which a clone under /tmp would hide behind the
    // sandbox's private /tmp: made readable, as the README tells users to do for a server installed there.
    sandbox: { allowRead: [REPO_ROOT], allowWrite: [path.dirname(log)] },
    ...extra,
  });
}

/** The agent's last turn: the check's marker, then `done`. */
const finish = {
  toolCalls: [
    { name: 'write_file', arguments: { path: 'marker.txt', content: 'done\n' } },
    { name: 'done', arguments: { summary: 'used the tools' } },
  ],
};
const toolNames = (r: RecordedRequest) => (r.body.tools as { name: string }[]).map((t) => t.name);

test('the agent calls MCP tools: offered as fake__TOOL with their schemas, run sandboxed, results (cut and stored like shell output) in the next prompt, tool list re-read on list_changed, one server for both turns', async () => {
  const ws = gitWorkspace({ 'README.md': 'mcp\n' });
  const logDir = tempDir('longhaul-mcp-log-');
  const log = path.join(logDir, 'calls.log');
  const outside = path.join(tempDir('longhaul-mcp-outside-'), 'probe.txt');
  writeFileSync(outside, 'visible outside the sandbox');
  process.env.LONGHAUL_TEST_MCP_VALUE = 'resolved-on-the-worker';
  const h = await createHarness(suite.env, suite.fake, 'responses', { mcp: pool, maxOutputChars: 2000 });
  suite.fake.setScript([
    {
      toolCalls: [
        { name: 'fake__echo', arguments: { text: 'hello from the agent' } },
        { name: 'fake__env', arguments: { name: 'FROM_WORKER' } },
        { name: 'fake__read', arguments: { path: outside } },
        { name: 'fake__big', arguments: { chars: 50_000 } },
        { name: 'fake__grow', arguments: {} },
      ],
    },
    { toolCalls: [{ name: 'fake__late', arguments: {} }] },
    finish,
  ]);
  const spec = mcpGoal(ws, log, 'first', {}, { FROM_WORKER: '${LONGHAUL_TEST_MCP_VALUE}' });
  const outcome = await h.worker.runUntil(async () => {
    const handle = await startGoal(h.env.client, spec, { taskQueue: h.taskQueue, goalId: 'mcp-calls' });
    return handle.result();
  });
  expect(outcome.status).toBe('achieved');

  const [first, second, third] = suite.fake.requests;
  const echo = (first!.body.tools as { name: string; description: string; parameters: unknown }[]).find(
    (t) => t.name === 'fake__echo',
  );
  expect(echo).toEqual({
    type: 'function',
    name: 'fake__echo',
    description: '[MCP server fake] Echoes the text back.',
    parameters: expect.objectContaining({
      type: 'object',
      properties: { text: { type: 'string', description: 'what to echo' } },
      required: ['text'],
    }),
    strict: false,
  });
  expect(toolNames(first!)).toEqual(expect.arrayContaining(['shell', 'read_file', 'fake__echo', 'fake__grow']));
  expect(toolNames(first!)).not.toContain('fake__late');

  const results = lastToolResults(second!).map((r) => r.output);
  expect(results[0]).toBe('echo: hello from the agent');
  expect(results[1]).toBe('FROM_WORKER=resolved-on-the-worker'); // ${NAME} resolved from the worker's environment
  expect(results[2]).toMatch(/ENOENT/); // the sandbox's /tmp is private: the server cannot see the file
  expect(results[3]).toMatch(/^BEGINx+\n… \[\d+ characters omitted: full output stored as \S+\] …\nx+END$/);
  expect(results[3]!.length).toBeLessThanOrEqual(2000);
  expect(results[4]).toBe('added late');
  // notifications/tools/list_changed: the next turn offers the new tool, and its call works.
  expect(toolNames(second!)).toContain('fake__late');
  expect(lastToolResults(third!).map((r) => r.output)).toEqual(['late tool answered']);
  expect(allText(third!)).toContain('late tool answered');
  // One server process served all three turns.
  expect(logLines(log).filter((l) => l.startsWith('start'))).toEqual(['start first']);
});

test('a server killed mid-call is started again and the call retried', async () => {
  const ws = gitWorkspace({ 'README.md': 'mcp\n' });
  const log = path.join(tempDir('longhaul-mcp-log-'), 'calls.log');
  const h = await createHarness(suite.env, suite.fake, 'responses', { mcp: pool });
  suite.fake.setScript([{ toolCalls: [{ name: 'fake__slow', arguments: { id: 's1' } }] }, finish]);
  const spec = mcpGoal(ws, log, 'killed', {}, { FAKE_MCP_HANG_FIRST: '1' });
  const outcome = await h.worker.runUntil(async () => {
    const handle = await startGoal(h.env.client, spec, {
      taskQueue: h.taskQueue,
      goalId: 'mcp-server-killed',
      tuning: { heartbeatTimeoutSeconds: 3 },
    });
    await waitFor(() => count(log, 'slow s1') === 1, 30_000, 'the first slow call to reach the server');
    const pids = fakePids('killed');
    expect(pids).toHaveLength(1);
    process.kill(pids[0]!, 'SIGKILL');
    return handle.result();
  });
  expect(outcome.status).toBe('achieved');
  expect(count(log, 'start killed')).toBe(2); // started again
  expect(count(log, 'slow s1')).toBe(2); // the call retried on the new server
  expect(lastToolResults(suite.fake.requests[1]!).map((r) => r.output)).toEqual(['slow s1 done']);
});

test('a call whose result was stored when its attempt failed (a worker dying right then) is not made again', async () => {
  const ws = gitWorkspace({ 'README.md': 'mcp\n' });
  const log = path.join(tempDir('longhaul-mcp-log-'), 'calls.log');
  const inner = new FileGoalStore(tempDir('longhaul-store-'));
  let failedOnce = false;
  // The attempt stores the result, then dies before Temporal hears of it: the retry finds the stored result.
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      if (name === 'writeToolResult') {
        return async (...args: Parameters<FileGoalStore['writeToolResult']>) => {
          await target.writeToolResult(...args);
          if (!failedOnce && args[2].name === 'fake__record') {
            failedOnce = true;
            throw new Error('the attempt died right after storing its result');
          }
        };
      }
      const value: unknown = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const h = await createHarness(suite.env, suite.fake, 'responses', { mcp: pool, store });
  suite.fake.setScript([{ toolCalls: [{ name: 'fake__record', arguments: { id: 'once' } }] }, finish]);
  const outcome = await h.worker.runUntil(async () => {
    const handle = await startGoal(h.env.client, mcpGoal(ws, log, 'stored'), {
      taskQueue: h.taskQueue,
      goalId: 'mcp-stored-result',
    });
    return handle.result();
  });
  expect(outcome.status).toBe('achieved');
  expect(failedOnce).toBe(true); // the first attempt failed after storing
  expect(count(log, 'record once')).toBe(1); // and the retry did not call the server again
  expect(lastToolResults(suite.fake.requests[1]!).map((r) => r.output)).toEqual(['recorded once']);
});

test('a server that cannot start: the goal needs attention naming the server, its command and stderr, and spends no turns', async () => {
  const ws = gitWorkspace({ 'README.md': 'mcp\n' });
  const h = await createHarness(suite.env, suite.fake, 'responses', { mcp: pool });
  const spec = parseGoalSpec({
    ...NO_FINISHING,
    objective: 'Use a broken MCP server',
    workspace: ws,
    checks: [{ name: 'marker written', command: 'test -f marker.txt' }],
    mcp: [
      {
        name: 'broken',
        command: process.execPath,
        args: ['-e', 'console.error("cannot open the database /srv/db"); process.exit(3)'],
      },
    ],
  });
  await h.worker.runUntil(async () => {
    const handle = await startGoal(h.env.client, spec, { taskQueue: h.taskQueue, goalId: 'mcp-cannot-start' });
    let attention = '';
    for (const deadline = Date.now() + 30_000; !attention.includes('MCP server "broken"');) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the needs-attention line');
      await new Promise((r) => setTimeout(r, 200));
      attention = (await handle.query(statusQuery)).attention?.text ?? '';
    }
    expect(attention).toMatch(
      /^MCP server "broken" cannot start \(command: \S+ -e .*\): .*; its stderr ends: cannot open the database \/srv\/db\. The goal waits and tries again every 10 min$/,
    );
    const status = await handle.query(statusQuery);
    expect(status.turn).toBe(1); // waiting in its first turn
    expect(suite.fake.requests).toHaveLength(0); // no model call without the server's tools
    await handle.cancel();
    await handle.result().catch(() => undefined);
  });
});

test('the pool keeps one server per resolved config: the same config shares it, another env starts another', async () => {
  const ws = gitWorkspace({ 'README.md': 'mcp\n' });
  const log = path.join(tempDir('longhaul-mcp-log-'), 'calls.log');
  const own = new McpPool();
  try {
    const server = (env: Record<string, string>): McpServerSpec => ({
      name: 'fake',
      command: process.execPath,
      args: [fakeMcpServer(), 'pooled'],
      env: { FAKE_MCP_LOG: log, ...env },
      timeoutSeconds: 30,
    });
    const ctx = { workspace: ws, redact: (t: string) => t };
    expect(resolveServer(server({}), ctx).key).toBe(resolveServer(server({}), ctx).key);
    expect(resolveServer(server({ A: '1' }), ctx).key).not.toBe(resolveServer(server({}), ctx).key);
    await mcpToolDefinitions(own, [server({})], ctx);
    await mcpToolDefinitions(own, [server({})], ctx);
    expect(count(log, 'start pooled')).toBe(1);
    await mcpToolDefinitions(own, [server({ A: '1' })], ctx);
    expect(count(log, 'start pooled')).toBe(2);
    expect(own.size).toBe(2);
  } finally {
    await own.close();
  }
  await waitFor(() => fakePids('pooled').length === 0, 10_000, 'the pool to stop its servers');
});

test('a streamable HTTP server: its tools listed and called, header references resolved on the worker', async () => {
  const http = createServer((req, res) => {
    const server = new McpServer({ name: 'remote', version: '1.0.0' });
    server.registerTool('whoami', { description: 'Who is asking.' }, () => ({
      content: [{ type: 'text', text: `authorization: ${req.headers.authorization ?? '(none)'}` }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void Promise.all([transport.close(), server.close()]));
    server
      .connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const own = new McpPool();
  try {
    process.env.LONGHAUL_TEST_MCP_TOKEN = 'token-from-the-worker';
    const spec: McpServerSpec = {
      name: 'remote',
      url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
      headers: { Authorization: 'Bearer ${LONGHAUL_TEST_MCP_TOKEN}' },
      timeoutSeconds: 30,
    };
    const ctx = { workspace: tempDir(), redact: (t: string) => t };
    const tools = await mcpToolDefinitions(own, [spec], ctx);
    expect(tools.map((t) => t.name)).toEqual(['remote__whoami']);
    const call = (name: string) =>
      runMcpTool(own, {
        ...ctx,
        servers: [spec],
        name,
        arguments: '{}',
        maxOutputChars: 1000,
        storeFullOutput: () => Promise.resolve('unused'),
      });
    expect(await call('remote__whoami')).toMatchObject({
      output: 'authorization: Bearer token-from-the-worker',
      isError: false,
    });
    expect(await call('remote__nope')).toMatchObject({
      output: 'MCP server "remote" has no tool remote__nope; its tools are: remote__whoami.',
      isError: true,
    });
  } finally {
    await own.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  }
});

describe('with the worker in its own process', () => {
  beforeAll(() => {
    if (!existsSync(WORKER_MAIN)) throw new Error(`${WORKER_MAIN} is missing: run \`npm run build\` first`);
  });

  test('a worker killed mid-call: the sandboxed server dies with it, the call is retried, the completed call is not repeated', async () => {
    const ws = gitWorkspace({ 'README.md': 'mcp\n' });
    const log = path.join(tempDir('longhaul-mcp-log-'), 'calls.log');
    const home = tempDir('longhaul-home-');
    const taskQueue = `mcp-worker-kill-${process.pid}`;
    suite.fake.setScript([
      {
        toolCalls: [
          { name: 'fake__record', arguments: { id: 'r1' } },
          { name: 'fake__slow', arguments: { id: 's1' } },
        ],
      },
      finish,
    ]);
    const handle = await startGoal(
      suite.env.client,
      mcpGoal(ws, log, 'worker-kill', {}, { FAKE_MCP_HANG_FIRST: '1' }),
      { taskQueue, goalId: 'mcp-worker-kill', tuning: { heartbeatTimeoutSeconds: 3 } },
    );
    const options = { address: suite.env.address, taskQueue, home, openaiBaseUrl: suite.fake.url };
    const first = startWorkerProcess(options);
    await waitFor(() => count(log, 'slow s1') === 1, 60_000, `the slow call to reach the server\n${first.output()}`);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    await waitFor(() => fakePids('worker-kill').length === 0, 5_000, 'the sandboxed server to die with its worker');

    const second = startWorkerProcess(options);
    try {
      const outcome = await handle.result();
      expect(outcome.status).toBe('achieved');
      expect(count(log, 'record r1')).toBe(1); // completed before the kill: not repeated
      expect(count(log, 'slow s1')).toBe(2); // cut off by the kill: retried on the new worker's server
      expect(count(log, 'start worker-kill')).toBe(2);
      expect(lastToolResults(suite.fake.requests[1]!).map((r) => r.output)).toEqual(['recorded r1', 'slow s1 done']);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    await waitFor(() => fakePids('worker-kill').length === 0, 10_000, 'the worker to stop its server at shutdown');
  });
});
