import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { startCodecServer, type CodecServer } from '../client/codec-server';
import { startGoal } from '../client/goals';
import { locateTemporalCli } from '../client/temporal-cli';
import { parseGoalSpec } from '../goal/spec';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  encryptionCodecFromEnv,
  encryptionKeysFromEnv,
  PayloadDecryptionError,
} from '../common/codec';
import { ConfigError } from '../common/temporal-config';
import { lastToolResults } from './fakes/openai-server';
import { NO_FINISHING } from './helpers/finishing';
import { createHarness } from './helpers/goal-harness';
import { useServerAndFake } from './helpers/suite';
import { BUGGY_STATS, FIXED_MEDIAN, gitWorkspace } from './helpers/workspace';

const run = promisify(execFile);
const enc = new TextEncoder();
const dec = new TextDecoder();

const newKey = () => randomBytes(32).toString('base64');
const jsonPayload = (value: unknown): Payload => ({
  metadata: { encoding: enc.encode('json/plain') },
  data: enc.encode(JSON.stringify(value)),
});
const codecFor = (env: Record<string, string>) => encryptionCodecFromEnv(env)!;

interface ShownPayload {
  readonly path: string;
  readonly encoding: string;
  readonly text: string;
}

/** Every payload in `temporal workflow show -o json` output, its encoding and data decoded from base64. */
function payloadsIn(value: unknown, path = ''): ShownPayload[] {
  if (value === null || typeof value !== 'object') return [];
  const o = value as Record<string, unknown>;
  const metadata = o.metadata as Record<string, unknown> | undefined;
  if (metadata && typeof metadata.encoding === 'string') {
    const text = typeof o.data === 'string' ? Buffer.from(o.data, 'base64').toString('utf8') : '';
    return [{ path, encoding: Buffer.from(metadata.encoding, 'base64').toString(), text }];
  }
  return Object.entries(o).flatMap(([k, v]) => payloadsIn(v, `${path}.${k}`));
}

describe('encryption keys from the environment', () => {
  test('encryption is off when no variable is set', () => {
    expect(encryptionKeysFromEnv({})).toBeUndefined();
    expect(encryptionKeysFromEnv({ LONGHAUL_ENCRYPTION_KEY: '', LONGHAUL_ENCRYPTION_KEY_ID: '' })).toBeUndefined();
  });

  test('a key of the wrong length is refused with how to make one, without echoing it', () => {
    const short = randomBytes(16).toString('base64');
    const attempt = () => encryptionKeysFromEnv({ LONGHAUL_ENCRYPTION_KEY: short, LONGHAUL_ENCRYPTION_KEY_ID: 'k1' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      'LONGHAUL_ENCRYPTION_KEY is 16 bytes, AES-256 needs 32: make one with `openssl rand -base64 32`',
    );
    expect(() => attempt()).not.toThrow(short);
  });

  test('a key that is not base64 is refused with how to make one', () => {
    const attempt = () =>
      encryptionKeysFromEnv({ LONGHAUL_ENCRYPTION_KEY: 'not a key!', LONGHAUL_ENCRYPTION_KEY_ID: 'k1' });
    expect(attempt).toThrow(/LONGHAUL_ENCRYPTION_KEY is not base64.*openssl rand -base64 32/);
  });

  test('a key needs an id, so it can be rotated later', () => {
    expect(() => encryptionKeysFromEnv({ LONGHAUL_ENCRYPTION_KEY: newKey() })).toThrow(
      /LONGHAUL_ENCRYPTION_KEY_ID is not set/,
    );
    expect(() =>
      encryptionKeysFromEnv({ LONGHAUL_ENCRYPTION_KEY: newKey(), LONGHAUL_ENCRYPTION_KEY_ID: 'a b' }),
    ).toThrow(/key id "a b" must be/);
  });

  test('older keys come from LONGHAUL_ENCRYPTION_KEYS; a malformed list or a clashing id is refused', () => {
    const [a, b] = [newKey(), newKey()];
    const keys = encryptionKeysFromEnv({
      LONGHAUL_ENCRYPTION_KEY: b,
      LONGHAUL_ENCRYPTION_KEY_ID: '2026-02',
      LONGHAUL_ENCRYPTION_KEYS: `2026-01:${a}`,
    })!;
    expect(keys.currentKeyId).toBe('2026-02');
    expect([...keys.keys.keys()].sort()).toEqual(['2026-01', '2026-02']);
    // The current key may also be named in the list alone.
    expect(
      encryptionKeysFromEnv({ LONGHAUL_ENCRYPTION_KEY_ID: '2026-01', LONGHAUL_ENCRYPTION_KEYS: `2026-01:${a}` })!
        .currentKeyId,
    ).toBe('2026-01');
    expect(() =>
      encryptionKeysFromEnv({
        LONGHAUL_ENCRYPTION_KEY: b,
        LONGHAUL_ENCRYPTION_KEY_ID: 'x',
        LONGHAUL_ENCRYPTION_KEYS: a,
      }),
    ).toThrow(/comma-separated list of id:base64-key/);
    expect(() =>
      encryptionKeysFromEnv({
        LONGHAUL_ENCRYPTION_KEY: b,
        LONGHAUL_ENCRYPTION_KEY_ID: 'x',
        LONGHAUL_ENCRYPTION_KEYS: `x:${a}`,
      }),
    ).toThrow(/different key under the current id "x"/);
    expect(() =>
      encryptionKeysFromEnv({ LONGHAUL_ENCRYPTION_KEY_ID: 'x', LONGHAUL_ENCRYPTION_KEYS: `old:${a}` }),
    ).toThrow(/LONGHAUL_ENCRYPTION_KEY is not set/);
  });
});

describe('the AES-256-GCM payload codec', () => {
  const key = newKey();
  const codec = codecFor({ LONGHAUL_ENCRYPTION_KEY: key, LONGHAUL_ENCRYPTION_KEY_ID: 'k1' });

  test('encrypts the whole payload, names its key, and decrypts it back', async () => {
    const original = jsonPayload({ objective: 'SECRET-OBJECTIVE' });
    const [sealed] = await codec.encode([original]);
    expect(dec.decode(sealed!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(dec.decode(sealed!.metadata!['encryption-key-id'])).toBe('k1');
    expect(Buffer.from(sealed!.data!).toString('latin1')).not.toMatch(/SECRET-OBJECTIVE|json\/plain/);
    const [opened] = await codec.decode([sealed!]);
    expect(dec.decode(opened!.metadata!.encoding)).toBe('json/plain');
    expect(JSON.parse(dec.decode(opened!.data))).toEqual({ objective: 'SECRET-OBJECTIVE' });
    // A fresh IV each time: equal inputs do not give equal ciphertexts.
    const [again] = await codec.encode([original]);
    expect(Buffer.from(again!.data!).equals(Buffer.from(sealed!.data!))).toBe(false);
  });

  test('payloads that were never encrypted pass through decode unchanged', async () => {
    const clear = jsonPayload('from before encryption was turned on');
    expect(await codec.decode([clear])).toEqual([clear]);
  });

  test('after a rotation, payloads sealed with the old key still decode; new ones use the new key', async () => {
    const oldCodec = codecFor({ LONGHAUL_ENCRYPTION_KEY: key, LONGHAUL_ENCRYPTION_KEY_ID: 'k1' });
    const [old] = await oldCodec.encode([jsonPayload('old history')]);
    const rotated = codecFor({
      LONGHAUL_ENCRYPTION_KEY: newKey(),
      LONGHAUL_ENCRYPTION_KEY_ID: 'k2',
      LONGHAUL_ENCRYPTION_KEYS: `k1:${key}`,
    });
    expect(JSON.parse(dec.decode((await rotated.decode([old!]))[0]!.data))).toBe('old history');
    const [fresh] = await rotated.encode([jsonPayload('new')]);
    expect(dec.decode(fresh!.metadata!['encryption-key-id'])).toBe('k2');
    // Without the old key, the error says which key is missing and how to add it.
    const forgetful = codecFor({ LONGHAUL_ENCRYPTION_KEY: newKey(), LONGHAUL_ENCRYPTION_KEY_ID: 'k2' });
    await expect(forgetful.decode([old!])).rejects.toThrow(
      'payload encrypted with key "k1", which is not configured: add it to LONGHAUL_ENCRYPTION_KEYS as k1:<base64 key>',
    );
  });

  test('an altered ciphertext, auth tag or key id is detected', async () => {
    const [sealed] = await codec.encode([jsonPayload('do not touch')]);
    const flip = (at: number): Payload => {
      const data = Buffer.from(sealed!.data!);
      data[at] = data[at]! ^ 0x01;
      return { ...sealed!, data };
    };
    await expect(codec.decode([flip(14)])).rejects.toThrow(PayloadDecryptionError); // ciphertext
    await expect(codec.decode([flip(sealed!.data!.length - 1)])).rejects.toThrow(/failed authentication/); // tag
    // The same bytes under another configured id: the id is authenticated too.
    const both = new EncryptionCodec({
      currentKeyId: 'k1',
      keys: new Map([
        ['k1', Buffer.from(key, 'base64')],
        ['k9', Buffer.from(key, 'base64')],
      ]),
    });
    const relabelled = { ...sealed!, metadata: { ...sealed!.metadata, 'encryption-key-id': enc.encode('k9') } };
    await expect(both.decode([relabelled])).rejects.toThrow(/key "k9" failed authentication/);
    await expect(codec.decode([{ ...sealed!, data: sealed!.data!.subarray(0, 10) }])).rejects.toThrow(/truncated/);
  });
});

describe('the codec server', () => {
  const codec = codecFor({ LONGHAUL_ENCRYPTION_KEY: newKey(), LONGHAUL_ENCRYPTION_KEY_ID: 'k1' });
  let server: CodecServer;
  beforeAll(async () => {
    server = await startCodecServer({ codec, port: 0, namespaces: ['default'] });
  });
  afterAll(() => server.close());

  const toJson = (p: Payload) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data!).toString('base64'),
  });

  test('decodes what the codec encoded, in the remote codec JSON format', async () => {
    const [sealed] = await codec.encode([jsonPayload({ hello: 'world' })]);
    const res = await fetch(`${server.url}/decode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', Origin: 'http://localhost:8233' },
      body: JSON.stringify({ payloads: [toJson(sealed!)] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const body = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(body.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(body.payloads[0]!.data, 'base64').toString())).toEqual({ hello: 'world' });

    const encoded = await fetch(`${server.url}/encode`, { method: 'POST', body: JSON.stringify(body) });
    const back = (await encoded.json()) as { payloads: { metadata: Record<string, string> }[] };
    expect(Buffer.from(back.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
  });

  test("answers the Web UI's preflight for allowed origins only", async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/decode`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Headers': 'content-type,x-namespace' },
      });
    const ok = await preflight('http://localhost:8080');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
    const other = await preflight('https://evil.example');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('refuses other namespaces, bad bodies and payloads it cannot decrypt', async () => {
    const post = (path: string, body: string, namespace = 'default') =>
      fetch(`${server.url}${path}`, { method: 'POST', headers: { 'X-Namespace': namespace }, body });
    expect((await post('/decode', '{"payloads":[]}', 'other')).status).toBe(403);
    expect((await post('/decode', 'nope')).status).toBe(400);
    expect((await post('/decode', '{"payloads":[{"data":"%%%"}]}')).status).toBe(400);
    const foreign = await codecFor({ LONGHAUL_ENCRYPTION_KEY: newKey(), LONGHAUL_ENCRYPTION_KEY_ID: 'k1' }).encode([
      jsonPayload(1),
    ]);
    const res = await post('/decode', JSON.stringify({ payloads: [toJson(foreign[0]!)] }));
    expect(res.status).toBe(422);
    expect(await res.text()).toMatch(/failed authentication/);
    expect((await fetch(`${server.url}/other`, { method: 'POST' })).status).toBe(404);
  });
});

describe('a goal with encryption on, on a real Temporal server', () => {
  const suite = useServerAndFake();
  const OBJECTIVE_MARKER = 'ZEBRA-OBJECTIVE-7f3a';
  const TOOL_MARKER = 'QUOKKA-TOOL-OUTPUT-91c2';
  const env = { LONGHAUL_ENCRYPTION_KEY: newKey(), LONGHAUL_ENCRYPTION_KEY_ID: 'test-1' };

  test('it is achieved, its history holds no clear text, and the codec server shows it decoded', async () => {
    const codec = codecFor(env);
    const dataConverter = { payloadCodecs: [codec] };
    const ws = gitWorkspace(BUGGY_STATS);
    suite.fake.setScript([
      { toolCalls: [{ name: 'shell', arguments: { command: `echo ${TOOL_MARKER}` } }] },
      { toolCalls: [{ name: 'write_file', arguments: { path: 'stats.js', content: FIXED_MEDIAN } }] },
    ]);
    const h = await createHarness(suite.env, suite.fake, 'responses', {}, { dataConverter });
    const client = new Client({ connection: suite.env.connection, namespace: 'default', dataConverter });
    const goalId = `encrypted-goal-${process.pid}`;
    const outcome = await h.worker.runUntil(async () => {
      const spec = parseGoalSpec({
        ...NO_FINISHING,
        objective: `Make node test.js pass (${OBJECTIVE_MARKER})`,
        workspace: ws,
        checks: [{ name: 'tests pass', command: 'node test.js' }],
        budget: { maxTurns: 5 },
      });
      const handle = await startGoal(client, spec, { taskQueue: h.taskQueue, goalId });
      return handle.result();
    });
    expect(outcome).toMatchObject({ status: 'achieved', turns: 2 });
    // The model got the tool's real output: encryption is invisible to the goal itself.
    expect(lastToolResults(suite.fake.requests[1]!)[0]!.output).toContain(TOOL_MARKER);
    // The client decodes the memo as before.
    expect((await client.workflow.getHandle(goalId).describe()).memo?.objective).toContain(OBJECTIVE_MARKER);

    const cli = locateTemporalCli();
    const show = (...extra: string[]) =>
      run(cli, ['workflow', 'show', '-w', goalId, '-o', 'json', '--address', suite.env.address, ...extra], {
        maxBuffer: 64 * 1024 * 1024,
      }).then((r) => r.stdout);

    const stored = JSON.parse(await show()) as { events: { eventType: string }[] };
    expect(stored.events[0]!.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    const storedPayloads = payloadsIn(stored);
    expect(JSON.stringify(stored)).not.toContain(OBJECTIVE_MARKER);
    for (const marker of [OBJECTIVE_MARKER, TOOL_MARKER]) {
      expect(storedPayloads.filter((p) => p.text.includes(marker))).toEqual([]);
    }
    // Every payload is sealed, but search attributes, which the server must read to index them, and the markers of
    // patched() (the SDK's core writes them, past the codec), which hold only the patch's name.
    const isPatchMarker = (p: { path: string }) => /markerRecordedEventAttributes\.details\.patch-data\./.test(p.path);
    const clear = storedPayloads.filter(
      (p) => p.encoding !== ENCRYPTED_ENCODING && !/searchAttributes/.test(p.path) && !isPatchMarker(p),
    );
    expect(clear).toEqual([]);
    for (const marker of storedPayloads.filter(isPatchMarker)) {
      expect(Object.keys(JSON.parse(marker.text) as object).sort()).toEqual(['deprecated', 'id']);
    }
    const started = storedPayloads.find((p) => p.path.includes('workflowExecutionStartedEventAttributes.input'))!;
    expect(started.encoding).toBe(ENCRYPTED_ENCODING);
    expect(storedPayloads.length).toBeGreaterThan(10); // inputs, results, memo, summaries…

    const codecServer = await startCodecServer({ codec, port: 0 });
    try {
      const decoded = payloadsIn(JSON.parse(await show('--codec-endpoint', codecServer.url)));
      expect(decoded.filter((p) => p.encoding === ENCRYPTED_ENCODING)).toEqual([]);
      const texts = decoded.map((p) => p.text).join('\n');
      expect(texts).toContain(OBJECTIVE_MARKER);
      expect(texts).toContain(TOOL_MARKER);
    } finally {
      await codecServer.close();
    }
  });
});
