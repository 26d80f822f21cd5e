/**
 * A loopback fake of the Slack Web API for tests: `POST /api/<method>` answered in Slack's wire format, so the real
 * `@slack/web-api` `WebClient` — and code built on it — runs unchanged against `SLACK_API_URL=fake.url`.
 *
 * What the client sends (verified against @slack/web-api 8.2 `WebClient.serializeBody`): a form body
 * (`application/x-www-form-urlencoded`) where objects such as `blocks` and `metadata` are JSON strings, booleans are
 * `true`/`false`, and the token travels in `Authorization: Bearer …`. JSON bodies (`application/json`) are accepted too,
 * as Slack does for write methods.
 *
 * Implements `chat.postMessage`, `chat.update`, `conversations.history`, `conversations.replies` (cursor pagination,
 * `limit`, `oldest`/`latest`), `conversations.list` and `auth.test`, keeps messages per channel with threads and
 * metadata (returned only with `include_all_metadata`, like Slack), validates blocks against Slack's limits, records
 * every call, and injects faults scripted per test: 429 with `Retry-After`, HTTP errors, hangs, malformed bodies,
 * platform errors, and a call that lands but whose response is lost.
 *
 * For a Slack app (Bolt) it also has `conversations.members`, `chat.postEphemeral`, `views.open` (with trigger ids the
 * fake hands out), response URLs (`POST /respond/<id>`, as hooks.slack.com takes them), and Socket Mode:
 * `apps.connections.open` (with the app-level token) returns a `ws://` URL to this server, which says `hello`, sends
 * envelopes and waits for each one's ack (`{ envelope_id, payload? }`), as Slack's WebSocket does.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { readBody } from './http';

/** A channel the fake knows. */
export interface FakeChannel {
  id: string;
  name: string;
  /** @default false */
  isPrivate?: boolean;
  /** Whether the bot is in it (otherwise channel methods fail with `not_in_channel`). @default true */
  isMember?: boolean;
  /** @default false */
  isArchived?: boolean;
  /** User ids of its members (`conversations.members`); the bot is one when `isMember` is not false. @default [] */
  members?: string[];
}

export interface FakeSlackOptions {
  /** The only token accepted. @default 'xoxb-fake-slack-token' */
  token?: string;
  /** The app-level token `apps.connections.open` takes. @default 'xapp-fake-app-token' */
  appToken?: string;
  /** @default [{ id: 'C0LONGHAUL1', name: 'longhaul' }] */
  channels?: FakeChannel[];
}

/** One scripted failure. */
export type SlackFault =
  /** HTTP 429, body `{ok:false,error:'ratelimited'}`, and `Retry-After: <retryAfter>` (null: no header). */
  | { status: 429; retryAfter: number | null }
  /** That HTTP status (e.g. 500, 503) with an HTML body, as Slack's edge sends. */
  | { status: number }
  /** Never answers (until the server closes): the client's timeout must fire. */
  | { hang: true }
  /** HTTP 200 with a body that is not JSON (default: an HTML page); `echoAuth` puts the request's Authorization in it. */
  | { malformed: true; body?: string; echoAuth?: boolean }
  /** HTTP 200 `{ ok: false, error }` (e.g. `channel_not_found`, `missing_scope` with `needed`). */
  | { error: string; needed?: string }
  /** Performs the call (a post is stored), then destroys the socket: the client never sees the answer. */
  | { dropResponse: true };

/** A call the fake received. */
export interface RecordedCall {
  method: string;
  /** The arguments as Slack reads them: form fields, with `blocks`/`metadata`/`attachments` JSON-decoded. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  args: Record<string, any>;
  /** The body exactly as received. */
  raw: string;
  contentType: string;
  /** How the call authenticated; the token itself is not recorded. */
  auth: 'ok' | 'missing' | 'invalid';
  at: number;
}

/** A stored message, in Slack's shape. */
export interface FakeMessage {
  type: 'message';
  ts: string;
  text: string;
  user: string;
  bot_id?: string;
  app_id?: string;
  team: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  blocks?: any[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  thread_ts?: string;
  reply_count?: number;
  reply_users?: string[];
  reply_users_count?: number;
  latest_reply?: string;
  parent_user_id?: string;
  subtype?: string;
  edited?: { user: string; ts: string };
}

const BOT_USER = 'U0FAKEBOT1';
const BOT_ID = 'B0FAKEBOT1';
const APP_ID = 'A0FAKEAPP1';
const TEAM = 'T0FAKETEAM';
const DEFAULT_TOKEN = 'xoxb-fake-slack-token';
const DEFAULT_APP_TOKEN = 'xapp-fake-app-token';

/** A modal opened with `views.open`. */
export interface OpenedView {
  id: string;
  triggerId: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  view: Record<string, any>;
}

/** An ephemeral message (`chat.postEphemeral`): only `user` sees it. */
export interface EphemeralMessage {
  channel: string;
  user: string;
  text: string;
}

/** A POST to a response URL (a slash command's or a block action's `response_url`). */
export interface ResponsePost {
  id: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: Record<string, any>;
}

/** What a Socket Mode client answered to an envelope. */
export interface EnvelopeAck {
  envelope_id: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  payload?: Record<string, any>;
}

/** Slack's limits the fake enforces, so rendering bugs surface as they would in production. */
const LIMITS = { blocks: 50, header: 150, section: 3000, field: 2000, contextElements: 10, text: 40_000 };

/** Thrown inside a handler to answer `{ ok: false, error }`. */
class SlackApiError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

interface FaultRule {
  method: string;
  fault: SlackFault;
  remaining: number;
}

/** The fake server. Start it per test (or per file) and `close()` it after. */
export class FakeSlack {
  /** Every call received, in order. */
  readonly calls: RecordedCall[] = [];
  readonly token: string;
  readonly appToken: string;
  /** Modals opened, in order. */
  readonly views: OpenedView[] = [];
  /** Ephemeral messages posted, in order. */
  readonly ephemerals: EphemeralMessage[] = [];
  /** POSTs to response URLs, in order. */
  readonly responses: ResponsePost[] = [];
  private readonly triggers = new Set<string>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  private readonly acks = new Map<string, (ack: EnvelopeAck) => void>();
  private connectedWaiters: (() => void)[] = [];
  private readonly channels: FakeChannel[];
  private readonly store = new Map<string, FakeMessage[]>();
  private readonly rules: FaultRule[] = [];
  private isDown = false;
  private lastMicros = 0;

  private constructor(
    private readonly server: Server,
    /** Base URL to use as `SLACK_API_URL`, e.g. `http://127.0.0.1:PORT/api/`. */
    readonly url: string,
    options: FakeSlackOptions,
  ) {
    this.token = options.token ?? DEFAULT_TOKEN;
    this.appToken = options.appToken ?? DEFAULT_APP_TOKEN;
    this.channels = (options.channels ?? [{ id: 'C0LONGHAUL1', name: 'longhaul' }]).map((c) => ({ ...c }));
    for (const c of this.channels) this.store.set(c.id, []);
  }

  /** Starts a server on 127.0.0.1 on a free port. */
  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const fake = new FakeSlack(server, `http://127.0.0.1:${port}/api/`, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fake.handle(req, res).catch((err: unknown) => {
        if (res.headersSent) res.destroy();
        else send(res, 500, { ok: false, error: `fake_slack_bug: ${String(err)}` });
      });
    });
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => fake.upgrade(req, socket, head));
    return fake;
  }

  /** A trigger id, as Slack puts in an interaction payload; `views.open` accepts each once. */
  newTriggerId(): string {
    const id = `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(8).toString('hex')}`;
    this.triggers.add(id);
    return id;
  }

  /** A response URL on this fake, as Slack puts in slash-command and block-action payloads. */
  newResponseUrl(): string {
    return `${this.url.replace(/\/api\/$/, '')}/respond/${randomBytes(8).toString('hex')}`;
  }

  /** POSTs to `url` (one of {@link newResponseUrl}). */
  responsesTo(url: string): ResponsePost[] {
    const id = url.slice(url.lastIndexOf('/') + 1);
    return this.responses.filter((r) => r.id === id);
  }

  /** Resolves once a Socket Mode client is connected (at once if one is). */
  socketConnected(): Promise<void> {
    if ([...this.sockets].some((s) => s.readyState === s.OPEN)) return Promise.resolve();
    return new Promise((resolve) => this.connectedWaiters.push(resolve));
  }

  /**
   * Sends an envelope over Socket Mode (`interactive`, `slash_commands`, `events_api`) and resolves with the client's
   * ack; rejects after `timeoutMs` without one (Slack would retry, then give up).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  sendEnvelope(type: string, payload: Record<string, any>, timeoutMs = 10_000): Promise<EnvelopeAck> {
    const socket = [...this.sockets].find((s) => s.readyState === s.OPEN);
    if (!socket) return Promise.reject(new Error('FakeSlack: no Socket Mode client is connected'));
    const envelopeId = randomBytes(16).toString('hex');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.acks.delete(envelopeId);
        reject(new Error(`FakeSlack: no ack for the ${type} envelope within ${timeoutMs} ms`));
      }, timeoutMs);
      this.acks.set(envelopeId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      socket.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: type !== 'events_api',
          retry_attempt: 0,
          retry_reason: '',
        }),
      );
    });
  }

  /** Makes the next `times` calls to `method` (`'*'`: any method) fail with `fault`. Rules apply in the order given. */
  fail(method: string, fault: SlackFault, times = 1): void {
    this.rules.push({ method, fault, remaining: times });
  }

  /** Drops every scripted fault and brings the fake up. */
  clearFaults(): void {
    this.rules.length = 0;
    this.isDown = false;
  }

  /** Every call answers HTTP 500 until {@link up}. */
  down(): void {
    this.isDown = true;
  }

  up(): void {
    this.isDown = false;
  }

  /** Calls to `method`, in order. */
  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** The channel's ID, given its ID or name (`#x` or `x`). */
  channelId(channel: string): string {
    const found = this.findChannel(channel);
    if (!found) throw new Error(`FakeSlack: no channel ${channel}`);
    return found.id;
  }

  /** All messages in the channel (top-level and replies), oldest first; copies. */
  messages(channel: string): FakeMessage[] {
    return this.list(channel).map((m) => structuredClone(m));
  }

  /** Top-level messages in the channel (thread parents included), oldest first. */
  parents(channel: string): FakeMessage[] {
    return this.messages(channel).filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts);
  }

  /** Replies in the thread of `ts` (the parent excluded), oldest first. */
  replies(channel: string, ts: string): FakeMessage[] {
    return this.messages(channel).filter((m) => m.thread_ts === ts && m.ts !== ts);
  }

  /** Stores a message as if someone posted it (by default a human); returns its ts. */
  seed(channel: string, message: Partial<FakeMessage> & { text: string }): string {
    const list = this.list(channel);
    const ts = this.nextTs();
    const stored: FakeMessage = { type: 'message', user: 'U0SOMEHUMAN', team: TEAM, ...message, ts };
    list.push(stored);
    if (stored.thread_ts !== undefined) this.noteReply(list, stored);
    return ts;
  }

  /** Deletes a message as a person would: a parent with replies stays as a tombstone without metadata. */
  deleteMessage(channel: string, ts: string): void {
    const list = this.list(channel);
    const index = list.findIndex((m) => m.ts === ts);
    if (index === -1) throw new Error(`FakeSlack: no message ${ts} in ${channel}`);
    const message = list[index]!;
    if ((message.reply_count ?? 0) > 0) {
      list[index] = {
        type: 'message',
        subtype: 'tombstone',
        ts,
        text: 'This message was deleted.',
        user: 'USLACKBOT',
        team: TEAM,
        thread_ts: ts,
        reply_count: message.reply_count ?? 0,
      };
    } else {
      list.splice(index, 1);
    }
  }

  /** Stops listening, drops open connections (hung calls included) and resolves when closed. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    this.wss.close();
    const closed = new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
    this.server.closeAllConnections();
    await closed;
  }

  /** Socket Mode: a WebSocket at the URL `apps.connections.open` gave. */
  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    if (!(req.url ?? '').startsWith('/link/')) {
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sockets.add(ws);
      ws.on('close', () => this.sockets.delete(ws));
      ws.on('message', (data) => {
        let ack: unknown;
        try {
          ack = JSON.parse((data as Buffer).toString('utf8'));
        } catch {
          return;
        }
        const id = field(ack, 'envelope_id');
        if (typeof id === 'string') this.acks.get(id)?.(ack as EnvelopeAck);
        if (typeof id === 'string') this.acks.delete(id);
      });
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: this.sockets.size,
          debug_info: { host: 'fake-slack', build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: APP_ID },
        }),
      );
      const waiters = this.connectedWaiters;
      this.connectedWaiters = [];
      for (const w of waiters) w();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const [path = '/', query = ''] = (req.url ?? '/').split('?');
    const respondTo = /^\/respond\/([0-9a-f]+)$/.exec(path)?.[1];
    if (respondTo !== undefined && req.method === 'POST') {
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('invalid_payload');
        return;
      }
      this.responses.push({ id: respondTo, body: body as Record<string, unknown> });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    const method = /^\/api\/([A-Za-z0-9_.]+)$/.exec(path)?.[1];
    if (method === undefined) {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html><body><h1>404 Not Found</h1></body></html>');
      return;
    }
    const contentType = String(req.headers['content-type'] ?? '');
    const header = req.headers['authorization'];
    const bearer = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header)?.[1] : undefined;
    let args: Record<string, unknown> = {};
    let parseError: SlackApiError | undefined;
    try {
      args = parseArgs(req.method === 'GET' ? query : raw, req.method === 'GET' ? '' : contentType);
    } catch (err) {
      parseError = err instanceof SlackApiError ? err : new SlackApiError('invalid_form_data');
    }
    const token = bearer ?? (typeof args['token'] === 'string' ? args['token'] : undefined);
    const expected = method === 'apps.connections.open' ? this.appToken : this.token;
    const auth = token === undefined ? 'missing' : token === expected ? 'ok' : 'invalid';
    const { token: _token, ...recordedArgs } = args;
    this.calls.push({ method, args: recordedArgs, raw, contentType, auth, at: Date.now() });

    if (this.isDown) {
      sendHtml(res, 500, 'Internal Server Error');
      return;
    }
    const fault = this.takeFault(method);
    if (fault && !('dropResponse' in fault)) {
      this.applyFault(req, res, fault);
      return;
    }

    let status = 200;
    let body: Record<string, unknown>;
    try {
      if (parseError) throw parseError;
      if (auth === 'missing') throw new SlackApiError('not_authed');
      if (auth === 'invalid') throw new SlackApiError('invalid_auth');
      body = { ok: true, ...this.dispatch(method, args) };
    } catch (err) {
      if (!(err instanceof SlackApiError)) throw err;
      body = { ok: false, error: err.error, ...err.extra };
      if (err.error === 'unknown_method') status = 404;
    }
    if (fault) {
      // The call took effect; the answer is lost on the way back.
      req.socket.destroy();
      return;
    }
    send(res, status, body);
  }

  private takeFault(method: string): SlackFault | undefined {
    const rule = this.rules.find((r) => r.remaining > 0 && (r.method === method || r.method === '*'));
    if (!rule) return undefined;
    rule.remaining -= 1;
    return rule.fault;
  }

  private applyFault(req: IncomingMessage, res: ServerResponse, fault: Exclude<SlackFault, { dropResponse: true }>) {
    if ('hang' in fault) return; // the response stays open until close()
    if ('malformed' in fault) {
      const auth = String(req.headers['authorization'] ?? '');
      const body =
        fault.body ?? `<html><body><h1>502 Bad Gateway</h1>${fault.echoAuth ? `<p>${auth}</p>` : ''}</body></html>`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(body);
      return;
    }
    if ('error' in fault) {
      send(res, 200, {
        ok: false,
        error: fault.error,
        ...(fault.needed !== undefined && { needed: fault.needed, provided: 'chat:write' }),
      });
      return;
    }
    if (fault.status === 429) {
      const retryAfter = 'retryAfter' in fault ? fault.retryAfter : 1;
      send(
        res,
        429,
        { ok: false, error: 'ratelimited' },
        retryAfter === null ? {} : { 'retry-after': String(retryAfter) },
      );
      return;
    }
    sendHtml(res, fault.status, fault.status >= 500 ? 'Service Unavailable' : 'Error');
  }

  private dispatch(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return {
          url: 'https://fake-workspace.slack.com/',
          team: 'Fake Workspace',
          user: 'longhaul',
          team_id: TEAM,
          user_id: BOT_USER,
          bot_id: BOT_ID,
          is_enterprise_install: false,
        };
      case 'chat.postMessage':
        return this.postMessage(args);
      case 'chat.update':
        return this.update(args);
      case 'conversations.history':
        return this.history(args);
      case 'conversations.replies':
        return this.threadReplies(args);
      case 'conversations.list':
        return this.channelList(args);
      case 'conversations.members':
        return this.channelMembers(args);
      case 'chat.postEphemeral':
        return this.postEphemeral(args);
      case 'views.open':
        return this.openView(args);
      case 'apps.connections.open':
        return {
          url: `${this.url.replace(/^http/, 'ws').replace(/\/api\/$/, '')}/link/?ticket=${randomBytes(8).toString('hex')}`,
        };
      default:
        throw new SlackApiError('unknown_method');
    }
  }

  private postMessage(args: Record<string, unknown>): Record<string, unknown> {
    const channel = this.writableChannel(args['channel'], true);
    const content = messageContent(args);
    if (content.text === undefined && content.blocks === undefined) throw new SlackApiError('no_text');
    const list = this.list(channel.id);
    const threadTs = str(args['thread_ts']);
    let parentTs: string | undefined;
    if (threadTs !== undefined) {
      const target = list.find((m) => m.ts === threadTs);
      if (!target) throw new SlackApiError('thread_not_found');
      parentTs = target.thread_ts ?? target.ts;
    }
    const message: FakeMessage = {
      type: 'message',
      ts: this.nextTs(),
      text: content.text ?? '',
      user: BOT_USER,
      bot_id: BOT_ID,
      app_id: APP_ID,
      team: TEAM,
      ...(content.blocks !== undefined && { blocks: content.blocks }),
      ...(content.metadata !== undefined && { metadata: content.metadata }),
      ...(parentTs !== undefined && { thread_ts: parentTs, parent_user_id: BOT_USER }),
    };
    list.push(message);
    if (parentTs !== undefined) this.noteReply(list, message);
    return { channel: channel.id, ts: message.ts, message: shown(message, true) };
  }

  private update(args: Record<string, unknown>): Record<string, unknown> {
    const channel = this.writableChannel(args['channel'], false);
    const ts = str(args['ts']);
    const message = this.list(channel.id).find((m) => m.ts === ts);
    if (!message || message.subtype === 'tombstone') throw new SlackApiError('message_not_found');
    if (message.user !== BOT_USER) throw new SlackApiError('cant_update_message');
    const content = messageContent(args);
    if (content.text === undefined && content.blocks === undefined) throw new SlackApiError('no_text');
    message.text = content.text ?? '';
    if (content.blocks !== undefined) message.blocks = content.blocks;
    if (content.metadata !== undefined) message.metadata = content.metadata;
    message.edited = { user: BOT_USER, ts: this.nextTs() };
    return { channel: channel.id, ts: message.ts, text: message.text, message: shown(message, true) };
  }

  private history(args: Record<string, unknown>): Record<string, unknown> {
    const channel = this.readableChannel(args['channel']);
    const withMetadata = bool(args['include_all_metadata']);
    const newestFirst = this.list(channel.id)
      .filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts)
      .filter(inWindow(args))
      .reverse();
    const limit = clampLimit(args['limit'], 100, 999);
    const from = str(args['cursor']);
    const start = from === undefined ? 0 : newestFirst.findIndex((m) => m.ts <= decodeCursor(from));
    if (start === -1) throw new SlackApiError('invalid_cursor');
    const page = newestFirst.slice(start, start + limit);
    const next = newestFirst[start + limit];
    return {
      messages: page.map((m) => shown(m, withMetadata)),
      has_more: next !== undefined,
      pin_count: 0,
      channel_actions_ts: null,
      channel_actions_count: 0,
      response_metadata: { next_cursor: next === undefined ? '' : encodeCursor(next.ts) },
    };
  }

  private threadReplies(args: Record<string, unknown>): Record<string, unknown> {
    const channel = this.readableChannel(args['channel']);
    const ts = str(args['ts']);
    if (ts === undefined) throw new SlackApiError('invalid_arguments');
    const list = this.list(channel.id);
    const target = list.find((m) => m.ts === ts);
    if (!target) throw new SlackApiError('thread_not_found');
    const parent = list.find((m) => m.ts === (target.thread_ts ?? target.ts))!;
    const withMetadata = bool(args['include_all_metadata']);
    const replies = list.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts).filter(inWindow(args));
    const limit = clampLimit(args['limit'], 1000, 1000);
    const from = str(args['cursor']);
    // The first page starts with the parent; later pages hold replies only.
    const thread = from === undefined ? [parent, ...replies] : replies;
    const start = from === undefined ? 0 : thread.findIndex((m) => m.ts >= decodeCursor(from));
    if (start === -1) throw new SlackApiError('invalid_cursor');
    const page = thread.slice(start, start + limit);
    const next = thread[start + limit];
    return {
      messages: page.map((m) => shown(m, withMetadata)),
      has_more: next !== undefined,
      response_metadata: { next_cursor: next === undefined ? '' : encodeCursor(next.ts) },
    };
  }

  private channelList(args: Record<string, unknown>): Record<string, unknown> {
    const types = (str(args['types']) ?? 'public_channel').split(',');
    const visible = this.channels.filter(
      (c) =>
        (c.isPrivate ? types.includes('private_channel') && c.isMember !== false : types.includes('public_channel')) &&
        !(bool(args['exclude_archived']) && c.isArchived),
    );
    const limit = clampLimit(args['limit'], 100, 1000);
    const from = str(args['cursor']);
    const start = from === undefined ? 0 : visible.findIndex((c) => c.id === decodeCursor(from));
    if (start === -1) throw new SlackApiError('invalid_cursor');
    const next = visible[start + limit];
    return {
      channels: visible.slice(start, start + limit).map((c) => ({
        id: c.id,
        name: c.name,
        name_normalized: c.name,
        is_channel: !c.isPrivate,
        is_group: false,
        is_im: false,
        is_private: c.isPrivate ?? false,
        is_archived: c.isArchived ?? false,
        is_member: c.isMember ?? true,
        created: 1700000000,
      })),
      response_metadata: { next_cursor: next === undefined ? '' : encodeCursor(next.id) },
    };
  }

  private channelMembers(args: Record<string, unknown>): Record<string, unknown> {
    const channel = this.readableChannel(args['channel']);
    const all = [...(channel.isMember === false ? [] : [BOT_USER]), ...(channel.members ?? [])];
    const limit = clampLimit(args['limit'], 100, 1000);
    const from = str(args['cursor']);
    const start = from === undefined ? 0 : all.indexOf(decodeCursor(from));
    if (start === -1) throw new SlackApiError('invalid_cursor');
    const next = all[start + limit];
    return {
      members: all.slice(start, start + limit),
      response_metadata: { next_cursor: next === undefined ? '' : encodeCursor(next) },
    };
  }

  private postEphemeral(args: Record<string, unknown>): Record<string, unknown> {
    const channel = this.writableChannel(args['channel'], true);
    const user = str(args['user']);
    if (user === undefined) throw new SlackApiError('user_not_in_channel');
    const content = messageContent(args);
    if (content.text === undefined && content.blocks === undefined) throw new SlackApiError('no_text');
    this.ephemerals.push({ channel: channel.id, user, text: content.text ?? '' });
    return { message_ts: this.nextTs() };
  }

  private openView(args: Record<string, unknown>): Record<string, unknown> {
    const triggerId = str(args['trigger_id']);
    if (triggerId === undefined || !this.triggers.delete(triggerId)) throw new SlackApiError('invalid_trigger_id');
    let view = args['view'];
    if (typeof view === 'string') {
      try {
        view = JSON.parse(view);
      } catch {
        throw new SlackApiError('invalid_arguments');
      }
    }
    if (field(view, 'type') !== 'modal' || field(field(view, 'title'), 'type') !== 'plain_text') {
      throw new SlackApiError('invalid_arguments');
    }
    const id = `V${randomBytes(5).toString('hex').toUpperCase()}`;
    const opened = { id, triggerId, view: view as Record<string, unknown> };
    this.views.push(opened);
    return {
      view: { id, team_id: TEAM, ...opened.view, state: { values: {} }, hash: `${Date.now()}.abc`, app_id: APP_ID },
    };
  }

  /** Where a message may be posted: chat.postMessage takes an ID or a name, chat.update an ID only. */
  private writableChannel(value: unknown, byName: boolean): FakeChannel {
    const channel = typeof value === 'string' ? this.findChannel(value, byName) : undefined;
    if (!channel) throw new SlackApiError('channel_not_found');
    if (channel.isArchived) throw new SlackApiError('is_archived');
    if (channel.isMember === false) throw new SlackApiError('not_in_channel');
    return channel;
  }

  private readableChannel(value: unknown): FakeChannel {
    const channel = typeof value === 'string' ? this.findChannel(value, false) : undefined;
    if (!channel || (channel.isPrivate && channel.isMember === false)) throw new SlackApiError('channel_not_found');
    if (channel.isMember === false) throw new SlackApiError('not_in_channel');
    return channel;
  }

  private findChannel(value: string, byName = true): FakeChannel | undefined {
    const byId = this.channels.find((c) => c.id === value);
    if (byId || !byName) return byId;
    const name = value.replace(/^#/, '');
    return this.channels.find((c) => c.name === name);
  }

  private list(channel: string): FakeMessage[] {
    const list = this.store.get(this.channelId(channel));
    if (!list) throw new Error(`FakeSlack: no channel ${channel}`);
    return list;
  }

  private noteReply(list: FakeMessage[], reply: FakeMessage): void {
    const parent = list.find((m) => m.ts === reply.thread_ts);
    if (!parent) return;
    parent.thread_ts = parent.ts;
    parent.reply_count = (parent.reply_count ?? 0) + 1;
    parent.latest_reply = reply.ts;
    const users = new Set([...(parent.reply_users ?? []), reply.user]);
    parent.reply_users = [...users];
    parent.reply_users_count = users.size;
  }

  /** Strictly increasing timestamps in Slack's format (`1732540000.000100`). */
  private nextTs(): string {
    this.lastMicros = Math.max(Date.now() * 1000, this.lastMicros + 100);
    const seconds = Math.floor(this.lastMicros / 1_000_000);
    const micros = this.lastMicros % 1_000_000;
    return `${seconds}.${String(micros).padStart(6, '0')}`;
  }
}

/** A message as an API answer shows it: metadata only when asked for. */
function shown(message: FakeMessage, withMetadata: boolean): FakeMessage {
  const copy = structuredClone(message);
  if (!withMetadata) delete copy.metadata;
  return copy;
}

/** Text, blocks and metadata of a post or update, validated like Slack does. */
function messageContent(args: Record<string, unknown>): {
  text?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  blocks?: any[];
  metadata?: FakeMessage['metadata'];
} {
  const text = str(args['text']);
  if (text !== undefined && text.length > LIMITS.text) throw new SlackApiError('msg_too_long');
  const blocks = args['blocks'];
  if (blocks !== undefined && !Array.isArray(blocks)) throw new SlackApiError('invalid_blocks_format');
  if (Array.isArray(blocks)) {
    const problems = blockProblems(blocks);
    if (problems.length > 0) {
      throw new SlackApiError('invalid_blocks', {
        errors: problems,
        response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
      });
    }
  }
  const metadata = args['metadata'];
  let meta: FakeMessage['metadata'];
  if (metadata !== undefined) {
    const eventType = field(metadata, 'event_type');
    const payload = field(metadata, 'event_payload');
    if (typeof eventType !== 'string' || typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw new SlackApiError('invalid_metadata_format');
    }
    meta = { event_type: eventType, event_payload: payload as Record<string, unknown> };
  }
  return {
    ...(text !== undefined && { text }),
    ...(Array.isArray(blocks) && { blocks: blocks as unknown[] }),
    ...(meta !== undefined && { metadata: meta }),
  };
}

/** Slack's Block Kit limits for the blocks Longhaul uses; messages in Slack's `[json-pointer:…]` style. */
function blockProblems(blocks: unknown[]): string[] {
  const problems: string[] = [];
  if (blocks.length > LIMITS.blocks)
    problems.push(`no more than ${LIMITS.blocks} items allowed [json-pointer:/blocks]`);
  const textAt = (value: unknown, max: number, pointer: string, plainOnly = false): void => {
    const type = field(value, 'type');
    const text = field(value, 'text');
    if ((type !== 'plain_text' && type !== 'mrkdwn') || (plainOnly && type !== 'plain_text')) {
      problems.push(`must provide a valid text object [json-pointer:${pointer}]`);
    } else if (typeof text !== 'string' || text.length === 0) {
      problems.push(`must be more than 0 characters [json-pointer:${pointer}/text]`);
    } else if (text.length > max) {
      problems.push(`must be less than ${max + 1} characters [json-pointer:${pointer}/text]`);
    }
  };
  blocks.forEach((block, i) => {
    const at = `/blocks/${i}`;
    switch (field(block, 'type')) {
      case 'header':
        textAt(field(block, 'text'), LIMITS.header, `${at}/text`, true);
        break;
      case 'section': {
        const fields = field(block, 'fields');
        if (field(block, 'text') === undefined && fields === undefined) {
          problems.push(`must provide either text or fields [json-pointer:${at}]`);
        }
        if (field(block, 'text') !== undefined) textAt(field(block, 'text'), LIMITS.section, `${at}/text`);
        if (Array.isArray(fields)) fields.forEach((f, j) => textAt(f, LIMITS.field, `${at}/fields/${j}`));
        break;
      }
      case 'context': {
        const elements = field(block, 'elements');
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > LIMITS.contextElements) {
          problems.push(`must provide 1 to ${LIMITS.contextElements} elements [json-pointer:${at}/elements]`);
        } else {
          elements.forEach((e, j) => textAt(e, LIMITS.section, `${at}/elements/${j}`));
        }
        break;
      }
      case 'divider':
        break;
      case undefined:
        problems.push(`missing required field: type [json-pointer:${at}]`);
        break;
      default:
        break; // other block types are not checked
    }
  });
  return problems;
}

/** The call's arguments: form fields (JSON-encoded objects decoded, as Slack does) or a JSON body. */
function parseArgs(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new SlackApiError('invalid_json');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SlackApiError('invalid_json');
    return parsed as Record<string, unknown>;
  }
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) args[key] = value;
  for (const key of ['blocks', 'metadata', 'attachments']) {
    const value = args[key];
    if (typeof value !== 'string') continue;
    try {
      args[key] = JSON.parse(value);
    } catch {
      throw new SlackApiError(key === 'metadata' ? 'invalid_metadata_format' : `invalid_${key}_format`);
    }
  }
  return args;
}

/** A filter for `oldest`/`latest` (exclusive unless `inclusive`). */
function inWindow(args: Record<string, unknown>): (m: FakeMessage) => boolean {
  const oldest = Number(str(args['oldest']) ?? args['oldest'] ?? 0);
  const latest = Number(str(args['latest']) ?? args['latest'] ?? Infinity);
  const inclusive = bool(args['inclusive']);
  return (m) => {
    const ts = Number(m.ts);
    return inclusive ? ts >= oldest && ts <= latest : ts > oldest && ts < latest;
  };
}

function clampLimit(value: unknown, fallback: number, max: number): number {
  const n = Number(value ?? fallback);
  return Number.isFinite(n) && n >= 1 ? Math.min(Math.floor(n), max) : fallback;
}

function encodeCursor(value: string): string {
  return Buffer.from(`next_ts:${value}`).toString('base64');
}

function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64').toString('utf8');
  if (!text.startsWith('next_ts:')) throw new SlackApiError('invalid_cursor');
  return text.slice('next_ts:'.length);
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function bool(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

function field(v: unknown, key: string): unknown {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
}

function send(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-slack-req-id': Math.random().toString(16).slice(2),
    'x-oauth-scopes': 'chat:write,channels:history,groups:history,channels:read,groups:read',
    ...headers,
  });
  res.end(text);
}

function sendHtml(res: ServerResponse, status: number, title: string): void {
  const text = `<html><head><title>${status} ${title}</title></head><body><h1>${status} ${title}</h1></body></html>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
