import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { GoalStatusView } from '../goal/status';
import { FakeOpenAI } from './fakes/openai-server';
import { CLI, runCli } from './helpers/cli';
import { freePort, isListening } from './helpers/ports';
import { waitFor } from './helpers/worker-process';
import { BUGGY_STATS, FIXED_MEDIAN, gitWorkspace, tempDir } from './helpers/workspace';

let fake: FakeOpenAI;
interface DevProcess {
  readonly child: ChildProcess;
  readonly log: () => string;
  readonly exited: Promise<number | null>;
}
const devs: DevProcess[] = [];
beforeAll(async () => {
  fake = await FakeOpenAI.start();
});
afterAll(async () => {
  // A failed test must not leave a dev server behind: SIGINT lets dev stop its Temporal server too.
  for (const dev of devs) if (dev.child.exitCode === null) dev.child.kill('SIGINT');
  await Promise.all(devs.map((d) => d.exited));
  await fake?.close();
});

function startDev(port: number, uiPort: number, home: string, command = 'dev'): DevProcess {
  const child = spawn(process.execPath, [CLI, command, '--port', String(port), '--ui-port', String(uiPort)], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LONGHAUL_HOME: home,
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: 'sk-test',
      LONGHAUL_MODEL_API: 'responses',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const dev = { child, log: () => log, exited };
  devs.push(dev);
  return dev;
}

test('longhaul dev runs server and worker; Ctrl-C stops both; running it again resumes the running goal', async () => {
  const home = tempDir('longhaul-dev-');
  const ws = gitWorkspace(BUGGY_STATS);
  const [port, uiPort] = [await freePort(), await freePort()];
  const cliEnv = { TEMPORAL_ADDRESS: `127.0.0.1:${port}` };
  const sleep = `sleep 45.${process.pid}`;
  fake.setScript([
    {
      toolCalls: [
        {
          name: 'shell',
          arguments: {
            command: `echo run >> runs.log; touch started; if [ "$(wc -l < runs.log)" -eq 1 ]; then ${sleep}; fi`,
          },
        },
      ],
    },
    { toolCalls: [{ name: 'write_file', arguments: { path: 'stats.js', content: FIXED_MEDIAN } }] },
  ]);

  const first = startDev(port, uiPort, home);
  await waitFor(() => first.log().includes('worker polling'), 90_000, `dev to start:\n${first.log()}`);
  expect(first.log()).toContain(`Web UI http://127.0.0.1:${uiPort}`);
  const storeId = /goal store .* \(id ([0-9a-f-]{36})\)/.exec(first.log())?.[1];
  expect(storeId).toBeDefined();
  expect(await isListening(uiPort)).toBe(true);
  const start = await runCli(
    ['start', 'Make the tests pass', '--check', 'node test.js', '--id', 'dev-goal', '--no-review'],
    cliEnv,
    ws,
  );
  expect(start.code).toBe(0);
  await waitFor(() => existsSync(path.join(ws, 'started')), 60_000, 'the first tool call');

  first.child.kill('SIGINT');
  expect(await first.exited).toBe(0);
  expect(first.log()).toContain('stopped the worker and the dev server');
  expect(await isListening(port)).toBe(false);
  expect(existsSync(path.join(home, 'temporal.db'))).toBe(true);

  const second = startDev(port, uiPort, home);
  await waitFor(() => second.log().includes('worker polling'), 90_000, `dev to restart:\n${second.log()}`);
  expect(second.log()).toContain(`(id ${storeId})`); // the same goal store as before
  let status: GoalStatusView | undefined;
  const deadline = Date.now() + 60_000;
  while (status?.phase !== 'done' && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 500));
    const r = await runCli(['status', 'dev-goal', '--json'], cliEnv);
    if (r.code === 0) status = JSON.parse(r.stdout) as GoalStatusView;
  }
  second.child.kill('SIGINT');
  expect(await second.exited).toBe(0);
  expect(status).toMatchObject({ status: 'achieved', turn: 2 });
  expect(readFileSync(path.join(ws, 'runs.log'), 'utf8')).toBe('run\nrun\n'); // interrupted tool call re-run once
  expect(fake.requests).toHaveLength(2);
});

/** A plain TCP listener on 127.0.0.1:port, standing in for the other `longhaul dev`'s server. */
async function occupy(port: number): Promise<net.Server> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

test.each([
  ['gRPC', '--port'],
  ['Web UI', '--ui-port'],
] as const)(
  'a second longhaul dev whose %s port is taken stops within 15 s, naming the port and the fix, and starts no server',
  async (role, flag) => {
    const home = tempDir('longhaul-dev-busy-');
    const [port, uiPort] = [await freePort(), await freePort()];
    const busy = await occupy(role === 'gRPC' ? port : uiPort);
    try {
      const started = Date.now();
      const dev = startDev(port, uiPort, home);
      const code = await dev.exited;
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(code).not.toBe(0);
      const taken = role === 'gRPC' ? port : uiPort;
      expect(dev.log()).toContain(`127.0.0.1:${taken}, the ${role} port (${flag}), is already in use`);
      expect(dev.log()).toMatch(
        /stop the other `longhaul dev`.*or give this one other ports, e\.g\. `longhaul dev --port \d+`/,
      );
      expect(dev.log()).not.toContain('worker polling');
      expect(existsSync(path.join(home, 'temporal-server.log'))).toBe(false); // no server was started
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  },
);

test('longhaul demo creates its workspace and runs the goal to achieved, exit code 0', async () => {
  const home = tempDir('longhaul-demo-');
  fake.requests.length = 0;
  const fixed = `function mean(xs) {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
module.exports = { mean, median };
`;
  fake.setScript([
    { toolCalls: [{ name: 'read_file', arguments: { path: 'stats.js' } }] },
    { toolCalls: [{ name: 'write_file', arguments: { path: 'stats.js', content: fixed } }] },
    { text: '## Tried\n- fixed median\n## Leftovers\n- none' }, // the review before the end
    { text: 'Nothing to clean up.' }, // clean-up turn 1: no tool call ends the clean-up
  ]);
  const demo = startDev(await freePort(), await freePort(), home, 'demo');
  expect(await demo.exited).toBe(0);
  expect(demo.log()).toMatch(/ended achieved: verified by the orchestrator after turn 2/);
  expect(readFileSync(path.join(home, 'demo-workspace', 'stats.js'), 'utf8')).toBe(fixed);
  expect(fake.requests).toHaveLength(4);
  expect(demo.log()).toMatch(/\d\d · reflected on the attempts/);
  expect(demo.log()).toMatch(/\d\d · clean-up turn 1 of 3: 0 tool calls/);
  // Progress, one line per event, as it happens.
  expect(demo.log()).toMatch(/\d\d · Baseline: check "tests pass": FAILS/);
  expect(demo.log()).toMatch(/\d\d · turn 1: 1 tool call/);
  // Followed to the workflow's close: the events after its phase is done (the final milestone, the report) too.
  expect(demo.log()).toMatch(
    /\d\d · final report \(achieved; 1\/1 checks pass\): .*REPORT\.md; committed as [0-9a-f]{10}/,
  );
});

test('Ctrl-C during a demo whose model keeps failing: one line per failed attempt, then a clean stop', async () => {
  const home = tempDir('longhaul-demo-');
  fake.requests.length = 0;
  fake.setScript(() => ({ fault: 'server_error', status: 503 }));
  const demo = startDev(await freePort(), await freePort(), home, 'demo');
  await waitFor(
    () => /activity modelTurn failed \(attempt 2/.test(demo.log()),
    60_000,
    `two failed attempts:\n${demo.log()}`,
  );
  demo.child.kill('SIGINT');
  expect(await demo.exited).toBe(3); // the goal was not achieved
  const log = demo.log();
  expect(log).toMatch(
    /activity modelTurn failed \(attempt 1, goal goal-make-the-tests-pass[^)]*\): .*503.*; Temporal retries it/,
  );
  expect(log).not.toContain('taskToken'); // no SDK dump
  expect(log).not.toContain('Channel has been shut down');
  expect(log).not.toContain('MaxListenersExceededWarning');
  expect(log).toContain('stopped the worker and the dev server');
});
