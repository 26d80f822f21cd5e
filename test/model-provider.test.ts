/**
 * The model providers (Responses and Chat Completions) on the real `openai` client against the loopback fake:
 * wire shapes both ways, usage, and how every failure becomes a ModelError.
 */
import OpenAI from 'openai';
import type { TranscriptItem } from '../goal/transcript';
import { classifyModelError, ModelError, parseRetryAfterMs } from '../activities/model/errors';
import { createModelProvider, type ModelProvider, type ModelRequest } from '../activities/model/provider';
import { allText, FakeOpenAI, lastToolResults, type FakeReply } from './fakes/openai-server';

const API_KEY = 'sk-test-DO-NOT-LEAK-0123456789abcdef';

const TOOLS = [
  {
    name: 'read_file',
    description: 'Read a file',
    parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
];

const TRANSCRIPT: TranscriptItem[] = [
  { type: 'message', role: 'system', text: 'Goal: fix the build.' },
  { type: 'message', role: 'user', text: 'Start.' },
  { type: 'message', role: 'assistant', text: 'Reading files.' },
  { type: 'tool_call', callId: 'call_a', name: 'read_file', arguments: '{"path":"a.ts"}' },
  { type: 'tool_call', callId: 'call_b', name: 'read_file', arguments: '{"path":"b.ts"}' },
  { type: 'tool_result', callId: 'call_a', output: 'export const a = 1;', isError: false },
  { type: 'tool_result', callId: 'call_b', output: 'ENOENT: b.ts', isError: true },
];

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return { model: 'gpt-test', instructions: 'You are an agent.', items: TRANSCRIPT, tools: TOOLS, ...overrides };
}

/** Runs `complete` expecting a ModelError. */
async function failure(provider: ModelProvider, req: ModelRequest = request()): Promise<ModelError> {
  const err: unknown = await provider.complete(req).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelError);
  return err as ModelError;
}

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await FakeOpenAI.start();
});
afterEach(async () => {
  await fake.close();
});

describe.each(['responses', 'chat'] as const)('%s provider', (api) => {
  const provider = (timeoutMs?: number): ModelProvider =>
    createModelProvider({ api, apiKey: API_KEY, baseURL: fake.url, ...(timeoutMs !== undefined && { timeoutMs }) });

  it('returns a text reply with usage and the response id', async () => {
    fake.setScript([{ text: 'All done.', usage: { input: 120, output: 7 } }]);
    const res = await provider().complete(request({ items: [{ type: 'message', role: 'user', text: 'hi' }] }));
    expect(res.items).toEqual([{ type: 'message', role: 'assistant', text: 'All done.' }]);
    expect(res.usage).toEqual({ inputTokens: 120, outputTokens: 7, totalTokens: 127 });
    expect(res.responseId).toMatch(api === 'responses' ? /^resp_/ : /^chatcmpl-/);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.api).toBe(api);
    expect(fake.requests[0]!.headers['authorization']).toBe(`Bearer ${API_KEY}`);
  });

  it('returns text and tool calls in order, with the raw arguments', async () => {
    fake.setScript([
      {
        text: 'Let me look.',
        toolCalls: [
          { name: 'read_file', arguments: { path: 'c.ts' }, callId: 'call_c' },
          { name: 'read_file', arguments: '{"path": "d.ts"' }, // truncated JSON, passed through untouched
        ],
      },
    ]);
    const res = await provider().complete(request());
    expect(res.items).toHaveLength(3);
    expect(res.items[0]).toEqual({ type: 'message', role: 'assistant', text: 'Let me look.' });
    expect(res.items[1]).toEqual({
      type: 'tool_call',
      callId: 'call_c',
      name: 'read_file',
      arguments: '{"path":"c.ts"}',
    });
    expect(res.items[2]).toMatchObject({ type: 'tool_call', name: 'read_file', arguments: '{"path": "d.ts"' });
    expect((res.items[2] as { callId: string }).callId).toMatch(/^call_/);
  });

  it('sends the transcript in the wire shape of the API', async () => {
    await provider().complete(request({ reasoningEffort: 'low', maxOutputTokens: 500 }));
    const req = fake.requests[0]!;
    const body = req.body;
    if (api === 'responses') {
      expect(body).toMatchObject({ model: 'gpt-test', instructions: 'You are an agent.', store: false });
      expect(body.reasoning).toEqual({ effort: 'low' });
      expect(body.max_output_tokens).toBe(500);
      expect(body.tools).toEqual([
        {
          type: 'function',
          name: 'read_file',
          description: 'Read a file',
          parameters: TOOLS[0]!.parameters,
          strict: false,
        },
      ]);
      expect(body.input).toEqual([
        { role: 'developer', content: 'Goal: fix the build.' },
        { role: 'user', content: 'Start.' },
        { role: 'assistant', content: 'Reading files.' },
        { type: 'function_call', call_id: 'call_a', name: 'read_file', arguments: '{"path":"a.ts"}' },
        { type: 'function_call', call_id: 'call_b', name: 'read_file', arguments: '{"path":"b.ts"}' },
        { type: 'function_call_output', call_id: 'call_a', output: 'export const a = 1;' },
        { type: 'function_call_output', call_id: 'call_b', output: 'ENOENT: b.ts' },
      ]);
    } else {
      expect(body).toMatchObject({ model: 'gpt-test', reasoning_effort: 'low', max_completion_tokens: 500 });
      expect(body.tools).toEqual([
        {
          type: 'function',
          function: { name: 'read_file', description: 'Read a file', parameters: TOOLS[0]!.parameters },
        },
      ]);
      expect(body.messages).toEqual([
        { role: 'system', content: 'You are an agent.' },
        { role: 'system', content: 'Goal: fix the build.' },
        { role: 'user', content: 'Start.' },
        {
          role: 'assistant',
          content: 'Reading files.',
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.ts"}' } },
            { id: 'call_b', type: 'function', function: { name: 'read_file', arguments: '{"path":"b.ts"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: 'export const a = 1;' },
        { role: 'tool', tool_call_id: 'call_b', content: 'ENOENT: b.ts' },
      ]);
    }
    expect(lastToolResults(req)).toEqual([
      { callId: 'call_a', output: 'export const a = 1;' },
      { callId: 'call_b', output: 'ENOENT: b.ts' },
    ]);
    expect(allText(req)).toContain('You are an agent.');
    expect(allText(req)).toContain('ENOENT: b.ts');
  });

  it('round-trips a tool call it returned into the next request', async () => {
    fake.setScript([{ toolCalls: [{ name: 'read_file', arguments: '{"path":"x"', callId: 'call_x' }] }]);
    const p = provider();
    const first = await p.complete(request({ items: [{ type: 'message', role: 'user', text: 'go' }] }));
    const items: TranscriptItem[] = [
      { type: 'message', role: 'user', text: 'go' },
      ...first.items,
      { type: 'tool_result', callId: 'call_x', output: 'bad arguments', isError: true },
    ];
    const second = await p.complete(request({ items }));
    expect(second.items).toEqual([{ type: 'message', role: 'assistant', text: 'nothing more to do' }]);
    const body = fake.requests[1]!.body;
    if (api === 'responses') {
      expect(body.input[1]).toEqual({
        type: 'function_call',
        call_id: 'call_x',
        name: 'read_file',
        arguments: '{"path":"x"',
      });
    } else {
      expect(body.messages[2]).toEqual({
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_x', type: 'function', function: { name: 'read_file', arguments: '{"path":"x"' } }],
      });
    }
    expect(lastToolResults(fake.requests[1]!)).toEqual([{ callId: 'call_x', output: 'bad arguments' }]);
  });

  it('omits optional parameters that were not set', async () => {
    await provider().complete(request());
    const body = fake.requests[0]!.body;
    expect(body).not.toHaveProperty(api === 'responses' ? 'reasoning' : 'reasoning_effort');
    expect(body).not.toHaveProperty(api === 'responses' ? 'max_output_tokens' : 'max_completion_tokens');
  });

  it('429 with Retry-After is a retryable rate_limited error with retryAfterMs', async () => {
    fake.setScript([{ fault: 'rate_limit', retryAfterSeconds: 7 }]);
    const err = await failure(provider());
    expect(err).toMatchObject({ kind: 'rate_limited', retryable: true, status: 429, retryAfterMs: 7000 });
    expect(err.code).toBe('rate_limit_exceeded');
    expect(fake.requests).toHaveLength(1);
  });

  it.each([500, 503])('%d is a retryable server error', async (status) => {
    fake.setScript([{ fault: 'server_error', status }]);
    const err = await failure(provider());
    expect(err).toMatchObject({ kind: 'server', retryable: true, status });
    expect(fake.requests).toHaveLength(1);
  });

  it('a server that does not answer in time is a retryable timeout', async () => {
    fake.setScript([{ fault: 'hang', ms: 5_000 }]);
    const started = Date.now();
    const err = await failure(provider(300));
    expect(err).toMatchObject({ kind: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(fake.requests).toHaveLength(1);
  });

  it('a body that stalls after the headers still times out', async () => {
    fake.setScript([{ fault: 'hang', ms: 5_000, afterHeaders: true }]);
    const started = Date.now();
    const err = await failure(provider(300));
    expect(err).toMatchObject({ kind: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a body that is not JSON is a retryable malformed_response', async () => {
    fake.setScript([{ fault: 'malformed' }, { fault: 'malformed', contentType: 'text/html' }]);
    const p = provider();
    for (let i = 0; i < 2; i++) {
      const err = await failure(p);
      expect(err).toMatchObject({ kind: 'malformed_response', retryable: true });
      expect(err.message).toContain('502 Bad Gateway');
    }
    expect(fake.requests).toHaveLength(2);
  });

  it('JSON without the expected fields is a malformed_response', async () => {
    fake.setScript([
      { fault: 'malformed', body: '{"object":"response","id":"x"}' },
      { fault: 'malformed', body: '[]' },
      { fault: 'malformed', body: '' },
    ]);
    const p = provider();
    for (let i = 0; i < 3; i++) {
      expect(await failure(p)).toMatchObject({ kind: 'malformed_response', retryable: true });
    }
  });

  it('401 is a non-retryable auth error that never shows the key', async () => {
    fake.setScript([{ fault: 'auth' }]);
    const err = await failure(provider());
    expect(err).toMatchObject({ kind: 'auth', retryable: false, status: 401, code: 'invalid_api_key' });
    expect(err.message).toContain('OPENAI_API_KEY');
    expect(err.message).not.toContain(API_KEY);
    expect(JSON.stringify(err)).not.toContain(API_KEY);
    expect(String(err.stack)).not.toContain(API_KEY);
    expect(err.cause).toBeUndefined();
    expect(fake.requests).toHaveLength(1);
  });

  it('a refused connection is a retryable connection error', async () => {
    const gone = await FakeOpenAI.start();
    await gone.close();
    const err = await failure(createModelProvider({ api, apiKey: API_KEY, baseURL: gone.url }));
    expect(err).toMatchObject({ kind: 'connection', retryable: true });
    expect(err.message).toContain('ECONNREFUSED');
  });

  it("the caller's abort ends the call with kind aborted", async () => {
    fake.setScript([{ fault: 'hang', ms: 5_000 }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await failure(provider(), request({ signal: controller.signal }));
    expect(err).toMatchObject({ kind: 'aborted', retryable: false });
    expect(await failure(provider(), request({ signal: controller.signal }))).toMatchObject({ kind: 'aborted' });
    expect(fake.requests).toHaveLength(1); // an already-aborted signal sends nothing
  });

  it('makes exactly one HTTP request per call, whatever the outcome', async () => {
    const replies: FakeReply[] = [
      { fault: 'rate_limit', retryAfterSeconds: 0 },
      { fault: 'server_error', status: 502 },
      { fault: 'server_error', status: 503 },
      { fault: 'malformed' },
      { fault: 'auth' },
      { fault: 'hang', ms: 2_000 },
      { text: 'ok' },
    ];
    fake.setScript(replies);
    const p = provider(200);
    for (let i = 0; i < replies.length - 1; i++) await failure(p);
    await p.complete(request());
    expect(fake.requests).toHaveLength(replies.length);
    for (const r of fake.requests) expect(r.headers['x-stainless-retry-count']).toBe('0');
  });
});

describe('the fake speaks the real wire format', () => {
  it('parses with the plain openai client (Responses)', async () => {
    fake.setScript([{ text: 'hello', toolCalls: [{ name: 'read_file', arguments: { path: 'a' } }] }]);
    const client = new OpenAI({ apiKey: API_KEY, baseURL: fake.url, maxRetries: 0 });
    const res = await client.responses.create({ model: 'gpt-test', input: 'hi' });
    expect(res.id).toMatch(/^resp_/);
    expect(res.output_text).toBe('hello');
    expect(res.output[1]).toMatchObject({ type: 'function_call', name: 'read_file', arguments: '{"path":"a"}' });
    expect(res.usage?.total_tokens).toBe((res.usage?.input_tokens ?? 0) + (res.usage?.output_tokens ?? 0));
  });

  it('parses with the plain openai client (Chat), also without the /v1 prefix', async () => {
    const client = new OpenAI({ apiKey: API_KEY, baseURL: fake.url.replace(/\/v1$/, ''), maxRetries: 0 });
    const res = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.id).toMatch(/^chatcmpl-/);
    expect(res.choices[0]?.message.content).toBe('nothing more to do');
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(fake.requests[0]!.path).toBe('/chat/completions');
  });

  it('a script function sees each request and its index', async () => {
    fake.setScript((req, index) => ({ text: `${index}: ${allText(req).split('\n').pop() ?? ''}` }));
    const p = createModelProvider({ api: 'chat', apiKey: API_KEY, baseURL: fake.url });
    const res = await p.complete(request({ items: [{ type: 'message', role: 'user', text: 'ping' }] }));
    expect(res.items).toEqual([{ type: 'message', role: 'assistant', text: '0: ping' }]);
  });
});

describe('classifyModelError', () => {
  const headers = (h: Record<string, string>): Headers => new Headers(h);

  it.each([
    [400, 'bad_request', false],
    [401, 'auth', false],
    [403, 'auth', false],
    [404, 'bad_request', false],
    [408, 'timeout', true],
    [409, 'server', true],
    [422, 'bad_request', false],
    [429, 'rate_limited', true],
    [500, 'server', true],
    [529, 'server', true],
  ] as const)('status %d → %s (retryable: %s)', (status, kind, retryable) => {
    const err = classifyModelError(
      OpenAI.APIError.generate(status, { error: { message: 'm' } }, undefined, headers({})),
    );
    expect(err).toMatchObject({ kind, retryable, status });
  });

  it('non-retryable errors say how to fix them', () => {
    const make = (status: number): string =>
      classifyModelError(OpenAI.APIError.generate(status, undefined, undefined, headers({}))).message;
    expect(make(401)).toMatch(/check OPENAI_API_KEY/);
    expect(make(404)).toMatch(/check the model name and OPENAI_BASE_URL/);
    expect(make(400)).toMatch(/check the model name/);
  });

  it('429 insufficient_quota is not retryable', () => {
    const err = classifyModelError(
      OpenAI.APIError.generate(
        429,
        { error: { message: 'quota', code: 'insufficient_quota' } },
        undefined,
        headers({}),
      ),
    );
    expect(err).toMatchObject({ kind: 'rate_limited', retryable: false, code: 'insufficient_quota' });
  });

  it('redacts secrets and key-shaped strings from server messages', () => {
    const body = { error: { message: `bad key ${API_KEY} and sk-proj-abcdefghijkl` } };
    const err = classifyModelError(OpenAI.APIError.generate(401, body, undefined, headers({})), { secrets: [API_KEY] });
    expect(err.message).not.toContain(API_KEY);
    expect(err.message).not.toContain('sk-proj-abcdefghijkl');
  });

  it('classifies connection errors, SyntaxError and unknown errors', () => {
    expect(classifyModelError(new OpenAI.APIConnectionTimeoutError())).toMatchObject({
      kind: 'timeout',
      retryable: true,
    });
    expect(classifyModelError(new OpenAI.APIConnectionError({ message: 'x' }))).toMatchObject({ kind: 'connection' });
    expect(classifyModelError(new OpenAI.APIUserAbortError())).toMatchObject({ kind: 'aborted', retryable: false });
    expect(classifyModelError(new SyntaxError('Unexpected token <'))).toMatchObject({ kind: 'malformed_response' });
    expect(classifyModelError('weird')).toMatchObject({ kind: 'connection', retryable: true });
    const same = new ModelError({ kind: 'server', retryable: true, message: 'x' });
    expect(classifyModelError(same)).toBe(same);
  });

  it('parses retry-after-ms, retry-after seconds and HTTP dates', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfterMs(headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), now)).toBe(1500);
    expect(parseRetryAfterMs(headers({ 'retry-after': '2.5' }), now)).toBe(2500);
    expect(parseRetryAfterMs(headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }), now)).toBe(30_000);
    expect(parseRetryAfterMs(headers({ 'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfterMs(headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfterMs(headers({}), now)).toBeUndefined();
  });
});

describe('createModelProvider', () => {
  it('rejects an empty API key up front', () => {
    expect(() => createModelProvider({ api: 'chat', apiKey: ' ' })).toThrow(/OPENAI_API_KEY/);
  });
});
