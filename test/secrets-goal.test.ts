/**
 * Secrets end to end on a real dev server: a worker with secret values in its environment and its dependencies
 * runs a goal whose agent tries to print them (`env`, `echo $AWS_SECRET_ACCESS_KEY`, `cat` of a file holding an
 * OpenAI key, a private key block and the AWS secret itself) and whose check and metric print the same file. Then
 * every model request, the workflow history, every Slack call and every file of the goal store are scanned for
 * the secret values: none is found. A force-push is refused and the model is told why.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { lastToolResults } from './fakes/openai-server';
import { FakeSlack } from './fakes/slack-server';
import { NO_FINISHING } from './helpers/finishing';
import { createHarness, runGoal } from './helpers/goal-harness';
import { useServerAndFake } from './helpers/suite';
import { gitWorkspace } from './helpers/workspace';

const suite = useServerAndFake();

const SLACK_TOKEN = 'xoxb-secrets-goal-slack-token-4242';
const CHANNEL = 'C0LONGHAUL1';
const AWS_SECRET = 'aws-secret-e2e-wJalrXUtnFEMI-K7MDENG';
const OPENAI_ENV_KEY = 'sk-env-secret-of-the-worker-0042';
const SERVICE_TOKEN = 'svc-token-e2e-7f3a9c1d5e';
const FILE_OPENAI_KEY = 'sk-proj-Zx81QwErTy0123456789AsDfGhJk';
const PRIVATE_KEY_BODY = 'MHcCAQEEIBsecretsGoalPrivateKeyBodyXYZ0123456789';
/** Every value that must never leave the worker and the workspace. */
const SECRETS = [
  'sk-test-secret-key', // the harness's model key (a dependency, not in the environment)
  OPENAI_ENV_KEY,
  SLACK_TOKEN,
  AWS_SECRET,
  SERVICE_TOKEN,
  FILE_OPENAI_KEY,
  PRIVATE_KEY_BODY,
  'BEGIN EC PRIVATE KEY',
];

let slack: FakeSlack;
const saved = Object.fromEntries(
  ['OPENAI_API_KEY', 'SLACK_BOT_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'MY_SERVICE_TOKEN'].map((k) => [k, process.env[k]]),
);
beforeAll(async () => {
  slack = await FakeSlack.start({ token: SLACK_TOKEN });
  // As on a real worker: secrets in its environment.
  process.env['OPENAI_API_KEY'] = OPENAI_ENV_KEY;
  process.env['SLACK_BOT_TOKEN'] = SLACK_TOKEN;
  process.env['AWS_SECRET_ACCESS_KEY'] = AWS_SECRET;
  process.env['MY_SERVICE_TOKEN'] = SERVICE_TOKEN;
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await slack?.close();
});

/** Every file under `dir`, recursively, as text. */
function filesUnder(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    const st = statSync(file);
    if (st.isDirectory()) out.push(...filesUnder(file));
    else if (st.isFile()) out.push({ file, text: readFileSync(file, 'latin1') + readFileSync(file, 'utf8') });
  }
  return out;
}

/** All text of a value: strings, and byte arrays (history payloads) decoded as UTF-8. */
function textsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const v of value) textsOf(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) textsOf(v, out);
  return out;
}

function leaks(where: string, text: string): string[] {
  return SECRETS.filter((s) => text.includes(s)).map((s) => `${where}: ${s}`);
}

test('no secret of the worker or the workspace reaches the model, the history, Slack or the goal store; a force-push is refused', async () => {
  const ws = gitWorkspace({
    'config/leak.txt': [
      `OPENAI_KEY=${FILE_OPENAI_KEY}`,
      `aws_secret_access_key = ${AWS_SECRET}`,
      '-----BEGIN EC PRIVATE KEY-----',
      PRIVATE_KEY_BODY,
      '-----END EC PRIVATE KEY-----',
      '',
    ].join('\n'),
  });
  suite.fake.setScript([
    { toolCalls: [{ name: 'shell', arguments: { command: 'env' } }] },
    {
      toolCalls: [
        { name: 'shell', arguments: { command: 'echo "aws=[$AWS_SECRET_ACCESS_KEY] svc=[$MY_SERVICE_TOKEN]"' } },
      ],
    },
    { toolCalls: [{ name: 'shell', arguments: { command: 'cat config/leak.txt' } }] },
    { toolCalls: [{ name: 'read_file', arguments: { path: 'config/leak.txt' } }] },
    { toolCalls: [{ name: 'shell', arguments: { command: 'git push --force origin HEAD' } }] },
    { toolCalls: [{ name: 'shell', arguments: { command: 'touch fixed.txt' } }] },
    { toolCalls: [{ name: 'done', arguments: { summary: 'fixed' } }] },
  ]);
  const h = await createHarness(suite.env, suite.fake, 'responses', {
    slack: { token: SLACK_TOKEN, channel: CHANNEL, apiUrl: slack.url, timeoutMs: 2_000 },
  });
  const goalId = 'secrets-stay-home';
  const { outcome } = await runGoal(
    h,
    {
      ...NO_FINISHING,
      objective: 'Create fixed.txt',
      workspace: ws,
      // The check and the metric print the secrets too: their outputs, blobs, excerpts and errors are redacted.
      checks: [{ name: 'fixed', command: 'cat config/leak.txt; test -f fixed.txt' }],
      metrics: [
        {
          name: 'leaky',
          command: 'if [ -f fixed.txt ]; then echo 0; else cat config/leak.txt; fi',
          measure: 'stdout_number',
          pattern: '^(\\S+)',
          direction: 'lower',
          target: { absolute: 0 },
        },
      ],
      env: { allow: ['MY_SERVICE_TOKEN'] },
      budget: { maxTurns: 10 },
    },
    goalId,
  );
  expect(outcome.status).toBe('achieved');

  const results = suite.fake.requests.map((r) => lastToolResults(r)[0]?.output ?? '');
  // `env` ran and showed an environment without the worker's credentials.
  expect(results[1]).toMatch(/PATH=/);
  expect(results[1]).not.toMatch(/^(OPENAI_API_KEY|SLACK_BOT_TOKEN|AWS_SECRET_ACCESS_KEY)=/m);
  // The allowed variable reached the command, and its value was redacted on the way out.
  expect(results[2]).toContain('aws=[] svc=[[redacted]]');
  expect(results[3]).toContain('OPENAI_KEY=[redacted]\naws_secret_access_key = [redacted]\n[redacted]');
  expect(results[4]).toMatch(/OPENAI_KEY=\[redacted\]/);
  expect(results[5]).toMatch(/^Refused by the command policy \(rule git-force-push\).*Nothing was run/);

  const found: string[] = [];
  suite.fake.requests.forEach((r, i) => found.push(...leaks(`model request ${i}`, JSON.stringify(r.body))));
  const history = await h.env.client.workflow.getHandle(goalId).fetchHistory();
  const historyText = textsOf(history).join('\n');
  expect(historyText).toContain('[redacted]'); // the check's excerpt and the metric's error, redacted
  found.push(...leaks('workflow history', historyText));
  expect(slack.calls.length).toBeGreaterThan(0);
  slack.calls.forEach((c) => found.push(...leaks(`slack ${c.method}`, JSON.stringify(c.args))));
  const files = filesUnder(h.home);
  expect(files.some((f) => f.file.includes(`${path.sep}blobs${path.sep}`))).toBe(true);
  for (const f of files) found.push(...leaks(path.relative(h.home, f.file), f.text));
  expect(found).toEqual([]);
});
