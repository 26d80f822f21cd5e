/**
 * A loopback fake of the OpenAI HTTP API for tests: `POST /v1/responses` and `POST /v1/chat/completions` (also
 * without `/v1`) answered in the real wire format, so the real `openai` client — and code built on it — runs
 * unchanged against `OPENAI_BASE_URL=fake.url`. Replies are scripted per request, including faults (429, 5xx, hangs,
 * malformed bodies, 401), and every request is recorded for assertions. Like OpenAI, it keeps a prompt cache
 * (see {@link PromptCache}) and reports the cached share of each prompt as `cached_tokens` in both APIs' usage.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readBody } from './http';
import type { AddressInfo } from 'node:net';

/** A successful reply: assistant text and/or tool calls. */
export interface FakeTextReply {
  text?: string;
  /** `arguments` is sent verbatim when a string (so it may be malformed JSON), JSON-encoded when an object. */
  toolCalls?: { name: string; arguments: string | object; callId?: string }[];
  /** Token counts to report; by default estimated from the sizes of request and reply (cached: the prompt cache's). */
  usage?: { input?: number; output?: number; cached?: number };
}

/** One scripted reply: a {@link FakeTextReply}, or a `fault` that simulates a failure. */
export type FakeReply =
  | FakeTextReply
  /** 429 with a `Retry-After` header (default 1 s) and an OpenAI error body. */
  | { fault: 'rate_limit'; retryAfterSeconds?: number }
  /** 500 (or the given 5xx) with an OpenAI error body. */
  | { fault: 'server_error'; status?: number }
  /**
   * Delays the default reply by `ms` (to trigger client timeouts). With `afterHeaders`, sends the 200 status and
   * headers at once and stalls only the body.
   */
  | { fault: 'hang'; ms: number; afterHeaders?: boolean }
  /** 200 with a body that is not JSON (default), or with the given `body`/`contentType` (e.g. JSON lacking fields). */
  | { fault: 'malformed'; body?: string; contentType?: string }
  /** 401 `invalid_api_key`; the message deliberately echoes the whole key (worse than OpenAI) to test redaction. */
  | { fault: 'auth' }
  /** 400 `context_length_exceeded`, as OpenAI answers a prompt longer than the model's window. */
  | { fault: 'context_length' };

/** Picks the reply to a request; `index` is the request's 0-based position among all requests to this fake. */
export type FakeScript = (req: RecordedRequest, index: number) => FakeReply | Promise<FakeReply>;

/** A request the fake received. */
export interface RecordedRequest {
  api: 'responses' | 'chat';
  path: string;
  /** The parsed JSON body (the raw text if it was not JSON); `any` so tests can dig into it without casts. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Record<string, string | string[] | undefined>;
  /** Prompt tokens the fake's prompt cache served (reported as `cached_tokens` unless the script overrides it). */
  cachedTokens?: number;
}

/** The reply used when no script is set or an array script has run out. */
const DEFAULT_REPLY: FakeTextReply = { text: 'nothing more to do' };

/** The fake server. Start it per test (or per file) and `close()` it after. */
export class FakeOpenAI {
  /** Everything received, in order. */
  readonly requests: RecordedRequest[] = [];
  private script: FakeScript | FakeReply[];
  /** Requests answered since the current script was set (the position in an array script). */
  private scriptPosition = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The prefix cache every request goes through. */
  readonly cache = new PromptCache();

  private constructor(
    private readonly server: Server,
    /** Base URL to use as `OPENAI_BASE_URL`, e.g. `http://127.0.0.1:PORT/v1`. */
    readonly url: string,
    script: FakeScript | FakeReply[],
  ) {
    this.script = script;
  }

  /**
   * Starts a server on 127.0.0.1 on a free port. `script` is a function, or an array with one reply per request in
   * order (after it runs out every request gets `{ text: 'nothing more to do' }`); default: always that reply.
   */
  static async start(script: FakeScript | FakeReply[] = []): Promise<FakeOpenAI> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const fake = new FakeOpenAI(server, `http://127.0.0.1:${port}/v1`, script);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fake.handle(req, res).catch((err: unknown) => fake.replyScriptError(res, err));
    });
    return fake;
  }

  /** Replaces the script; an array starts again from its first reply. */
  setScript(script: FakeScript | FakeReply[]): void {
    this.script = script;
    this.scriptPosition = 0;
  }

  /** Stops listening, drops open connections (including hung replies) and resolves when the server is closed. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = path.replace(/^\/v1(?=\/)/, '').replace(/\/+$/, '');
    const api = route === '/responses' ? 'responses' : route === '/chat/completions' ? 'chat' : undefined;
    if (req.method !== 'POST' || !api) {
      sendError(res, 404, `Invalid URL (${req.method ?? '?'} ${path})`, 'invalid_request_error', null);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    const recorded: RecordedRequest = { api, path, body, headers: { ...req.headers } };
    const index = this.requests.length;
    this.requests.push(recorded);
    if (!isRecord(body)) {
      sendError(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error', null);
      return;
    }
    recorded.cachedTokens = this.cache.lookup(body);
    if (body['stream'] === true) {
      sendError(res, 400, 'The fake OpenAI server does not support stream: true.', 'invalid_request_error', null);
      return;
    }
    const reply = await this.pick(recorded, index);
    this.reply(res, recorded, body, reply);
  }

  private pick(req: RecordedRequest, index: number): FakeReply | Promise<FakeReply> {
    const position = this.scriptPosition++;
    if (typeof this.script === 'function') return this.script(req, index);
    return this.script[position] ?? DEFAULT_REPLY;
  }

  private reply(res: ServerResponse, req: RecordedRequest, body: Record<string, unknown>, reply: FakeReply): void {
    if (!('fault' in reply)) {
      const cached = { ...reply, usage: { cached: req.cachedTokens ?? 0, ...reply.usage } };
      sendJson(res, 200, req.api === 'responses' ? responsesBody(body, cached) : chatBody(body, cached));
      return;
    }
    switch (reply.fault) {
      case 'rate_limit': {
        const seconds = reply.retryAfterSeconds ?? 1;
        const message =
          `Rate limit reached for ${modelOf(body)} in organization org-fake on requests per min (RPM): ` +
          `Limit 3, Used 3, Requested 1. Please try again in ${seconds}s.`;
        sendError(res, 429, message, 'requests', 'rate_limit_exceeded', {
          'retry-after': String(seconds),
          'x-ratelimit-limit-requests': '3',
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': `${seconds}s`,
        });
        return;
      }
      case 'server_error':
        sendError(
          res,
          reply.status ?? 500,
          'The server had an error while processing your request. Sorry about that!',
          'server_error',
          null,
        );
        return;
      case 'auth': {
        const auth = req.headers['authorization'];
        const key = (typeof auth === 'string' ? auth : '').replace(/^Bearer\s+/i, '');
        const message = `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`;
        sendError(res, 401, message, 'invalid_request_error', 'invalid_api_key');
        return;
      }
      case 'context_length':
        sendError(
          res,
          400,
          "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
          'invalid_request_error',
          'context_length_exceeded',
        );
        return;
      case 'malformed':
        res.writeHead(200, { 'content-type': reply.contentType ?? 'application/json', 'x-request-id': id('req_', 16) });
        res.end(reply.body ?? '<html><body><h1>502 Bad Gateway</h1></body></html>');
        return;
      case 'hang': {
        const answer = (): void => {
          this.timers.delete(timer);
          const late = req.api === 'responses' ? responsesBody(body, DEFAULT_REPLY) : chatBody(body, DEFAULT_REPLY);
          if (reply.afterHeaders) res.end(JSON.stringify(late));
          else sendJson(res, 200, late);
        };
        if (reply.afterHeaders) {
          res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': id('req_', 16) });
          res.flushHeaders();
        }
        const timer = setTimeout(answer, reply.ms);
        this.timers.add(timer);
        res.once('close', () => {
          clearTimeout(timer);
          this.timers.delete(timer);
        });
        return;
      }
    }
  }

  private replyScriptError(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const message = `fake script threw: ${err instanceof Error ? err.message : String(err)}`;
    sendError(res, 500, message, 'server_error', null);
  }
}

/**
 * The tool results of the latest turn: those after the last tool call or assistant message, in order
 * (`function_call_output` items for Responses, `role: 'tool'` messages for Chat). Use it in a script to react to
 * what the agent's tools returned.
 */
export function lastToolResults(req: RecordedRequest): { callId: string; output: string }[] {
  const items = req.api === 'responses' ? inputItems(req.body) : arrayOf(field(req.body, 'messages'));
  const isTurnEnd = (item: unknown): boolean =>
    field(item, 'role') === 'assistant' || field(item, 'type') === 'function_call';
  let start = 0;
  items.forEach((item, i) => {
    if (isTurnEnd(item)) start = i + 1;
  });
  const results: { callId: string; output: string }[] = [];
  for (const item of items.slice(start)) {
    if (req.api === 'responses' && field(item, 'type') === 'function_call_output') {
      results.push({ callId: String(field(item, 'call_id')), output: textOf(field(item, 'output')) });
    } else if (req.api === 'chat' && field(item, 'role') === 'tool') {
      results.push({ callId: String(field(item, 'tool_call_id')), output: textOf(field(item, 'content')) });
    }
  }
  return results;
}

/**
 * All the text a request carries, newline-joined: instructions, every message's content (system, user, assistant,
 * tool), tool-call arguments and tool outputs. Use it in a script to check what the agent was shown.
 */
export function allText(req: RecordedRequest): string {
  const parts: string[] = [];
  if (req.api === 'responses') {
    parts.push(textOf(field(req.body, 'instructions')));
    for (const item of inputItems(req.body)) {
      const type = field(item, 'type');
      if (type === 'function_call_output') parts.push(textOf(field(item, 'output')));
      else if (type === 'function_call') parts.push(textOf(field(item, 'arguments')));
      else if (field(item, 'role') !== undefined) parts.push(textOf(field(item, 'content')));
    }
  } else {
    for (const message of arrayOf(field(req.body, 'messages'))) {
      parts.push(textOf(field(message, 'content')));
      for (const call of arrayOf(field(message, 'tool_calls'))) {
        parts.push(textOf(field(field(call, 'function'), 'arguments')));
      }
    }
  }
  return parts.filter((p) => p !== '').join('\n');
}

/**
 * The turn a goal's model request is for: named by the state message that ends its prompt ("# Turn 17: where the
 * goal stands now"), or, in the layout from before, by its instructions ("# The goal (turn 17)"); NaN for others.
 */
export function turnOf(req: RecordedRequest): number {
  const text = allText(req);
  return Number((/# Turn (\d+): where the goal stands now/.exec(text) ?? /# The goal \(turn (\d+)\)/.exec(text))?.[1]);
}

function inputItems(body: unknown): unknown[] {
  const input = field(body, 'input');
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  return arrayOf(input);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `v[key]` if `v` is an object, else undefined. */
function field(v: unknown, key: string): unknown {
  return isRecord(v) ? v[key] : undefined;
}

function arrayOf(v: unknown): unknown[] {
  return Array.isArray(v) ? (v as unknown[]) : [];
}

/** Text of a content value: a string, or an array of parts with `text` (input_text, output_text, text). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  return arrayOf(content)
    .map((part) => field(part, 'text'))
    .filter((t): t is string => typeof t === 'string' && t !== '')
    .join('\n');
}

function responsesBody(request: Record<string, unknown>, reply: FakeTextReply): object {
  const output: object[] = [];
  if (reply.text !== undefined) {
    output.push({
      id: id('msg_', 48),
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: reply.text, annotations: [], logprobs: [] }],
    });
  }
  for (const call of reply.toolCalls ?? []) {
    output.push({
      id: id('fc_', 48),
      type: 'function_call',
      status: 'completed',
      call_id: call.callId ?? id('call_', 24),
      name: call.name,
      arguments: argumentsText(call.arguments),
    });
  }
  const usage = usageOf(request, reply);
  return {
    id: id('resp_', 48),
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'completed',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: request['instructions'] ?? null,
    max_output_tokens: request['max_output_tokens'] ?? null,
    model: modelOf(request),
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: field(request['reasoning'], 'effort') ?? null, summary: null },
    service_tier: 'default',
    store: request['store'] ?? true,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: request['tools'] ?? [],
    top_p: 1,
    truncation: 'disabled',
    usage: {
      input_tokens: usage.input,
      input_tokens_details: { cached_tokens: usage.cached },
      output_tokens: usage.output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.input + usage.output,
    },
    user: null,
    metadata: {},
  };
}

function chatBody(request: Record<string, unknown>, reply: FakeTextReply): object {
  const toolCalls = (reply.toolCalls ?? []).map((call) => ({
    id: call.callId ?? id('call_', 24),
    type: 'function',
    function: { name: call.name, arguments: argumentsText(call.arguments) },
  }));
  const usage = usageOf(request, reply);
  return {
    id: id('chatcmpl-', 29),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: modelOf(request),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: reply.text ?? null,
          refusal: null,
          annotations: [],
          ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
        },
        logprobs: null,
        finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
      },
    ],
    usage: {
      prompt_tokens: usage.input,
      completion_tokens: usage.output,
      total_tokens: usage.input + usage.output,
      prompt_tokens_details: { cached_tokens: usage.cached, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
}

/** The model the request named (echoed back like the real API does). */
function modelOf(request: Record<string, unknown>): string {
  return typeof request['model'] === 'string' ? request['model'] : 'gpt-fake';
}

function argumentsText(args: string | object): string {
  return typeof args === 'string' ? args : JSON.stringify(args);
}

/**
 * Prompt tokens as a tokenizer would roughly count them: one per four characters of content (instructions,
 * messages, tool calls and outputs, tool definitions) plus four per message for its framing. The JSON syntax
 * around the content is not counted, as real servers do not count it.
 */
export function promptTokensOf(body: Record<string, unknown>): number {
  const api = Array.isArray(body.messages) ? 'chat' : 'responses';
  const items = api === 'responses' ? inputItems(body) : arrayOf(field(body, 'messages'));
  const content = allText({ api, path: '', body, headers: {} }).length + JSON.stringify(body.tools ?? []).length;
  return Math.ceil(content / 4) + 4 * items.length;
}

/** Reported usage: the script's numbers, else estimated from the sizes of request and reply. */
function usageOf(
  request: Record<string, unknown>,
  reply: FakeTextReply,
): { input: number; output: number; cached: number } {
  const replyChars =
    (reply.text ?? '').length + (reply.toolCalls ?? []).reduce((n, c) => n + argumentsText(c.arguments).length, 0);
  const input = reply.usage?.input ?? promptTokensOf(request);
  return {
    input,
    output: reply.usage?.output ?? Math.max(1, Math.ceil(replyChars / 4)),
    cached: Math.min(input, reply.usage?.cached ?? 0),
  };
}

/**
 * A prompt cache as OpenAI reports one: a request's cached tokens are the longest prefix it shares with an earlier
 * request of the same `prompt_cache_key` (else with any earlier request without one), in the order the server reads
 * a prompt (tools, instructions, then the messages), counted in 128-token steps from 1,024 (a shorter match: 0).
 * Keeps the latest {@link PromptCache.KEEP} prompts per key, as a real cache evicts.
 */
export class PromptCache {
  static readonly KEEP = 16;
  private readonly prompts = new Map<string, string[]>();

  /** The cached tokens of `body`'s prompt; then remembers it for later requests. */
  lookup(body: Record<string, unknown>): number {
    const key = typeof body['prompt_cache_key'] === 'string' ? body['prompt_cache_key'] : '';
    const text = promptText(body);
    const earlier = this.prompts.get(key) ?? [];
    let shared = 0;
    for (const before of earlier) shared = Math.max(shared, commonPrefix(before, text));
    earlier.unshift(text);
    if (earlier.length > PromptCache.KEEP) earlier.pop();
    this.prompts.set(key, earlier);
    // Tokens of the shared prefix: its share of the prompt's characters, of the prompt's tokens.
    return cacheSteps(text.length === 0 ? 0 : Math.floor((shared / text.length) * promptTokensOf(body)));
  }
}

/** OpenAI's granularity: nothing below 1,024 tokens, then whole 128-token steps. */
export function cacheSteps(tokens: number): number {
  return tokens < 1024 ? 0 : 1024 + Math.floor((tokens - 1024) / 128) * 128;
}

/** The prompt as one text in the order the server reads it: tools, instructions, then each item whole. */
function promptText(body: Record<string, unknown>): string {
  const items = Array.isArray(body['messages']) ? body['messages'] : inputItems(body);
  return [
    JSON.stringify(body['tools'] ?? []),
    textOf(body['instructions']),
    ...items.map((i) => JSON.stringify(i)),
  ].join('\n');
}

/** The length of the longest common prefix of `a` and `b` (binary search on native comparisons). */
function commonPrefix(a: string, b: string): number {
  let lo = 0;
  let hi = Math.min(a.length, b.length);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (a.slice(0, mid) === b.slice(0, mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function sendJson(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': id('req_', 16),
    'openai-processing-ms': '1',
    ...headers,
  });
  res.end(text);
}

/** An error in OpenAI's shape: `{ error: { message, type, param, code } }`. */
function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string | null,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { message, type, param: null, code } }, headers);
}

function id(prefix: string, length: number): string {
  return (
    prefix +
    randomBytes(Math.ceil(length / 2))
      .toString('hex')
      .slice(0, length)
  );
}
