/**
 * Keeps a goal's Slack thread in sync: one parent message showing the live status (updated in place) and one thread
 * reply per significant event, each posted exactly once even when the activity is retried after a call that landed
 * but whose response was lost.
 *
 * Exactly-once comes from Slack itself, not from local state: the parent carries message metadata
 * `longhaul_goal {goal_id}` and each reply `longhaul_event {goal_id, key}`, so a retry first reads what is already
 * there (`include_all_metadata`) and posts only what is missing.
 *
 * Temporal owns retries: the client makes one attempt per call and every failure becomes an `ApplicationFailure`
 * (types in {@link SLACK_FAILURE_TYPES}); a 429 carries Slack's `Retry-After` as `nextRetryDelay`. The bot token never
 * appears in a message, a result or a log.
 */
import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { ApplicationFailure } from '@temporalio/common';
import { renderEvent, renderStatus, type SlackEvent, type SlackMessage, type SlackStatus } from './render';

export type { SlackEvent, SlackEventKind, SlackMetric, SlackStatus } from './render';
import type { SlackDeps } from './config';
export { slackConfigFromEnv, type SlackConfig, type SlackDeps } from './config';

/** One sync: bring the goal's thread up to date. */
export interface SlackSyncInput {
  readonly goalId: string;
  /**
   * The channel: its ID, or a name (`#longhaul`, resolved with `conversations.list`, which needs the `channels:read`
   * scope). Pass the previous result's `channel` (always an ID) on later syncs.
   */
  readonly channel: string;
  /** The parent message's ts from a previous result; null until the first sync has succeeded. */
  readonly parentTs: string | null;
  /**
   * When the goal started (epoch ms). Bounds the search for an existing parent to the history since then (a single
   * page in practice); without it the search reads at most the latest {@link MAX_UNBOUNDED_HISTORY} messages.
   */
  readonly startedAt?: number;
  readonly status: SlackStatus;
  /** Events that may not have been posted yet, oldest first; those already in the thread are skipped. */
  readonly events: readonly SlackEvent[];
}

/** What a sync did. Small and JSON-plain. */
export interface SlackSyncResult {
  /** The channel's ID, as Slack returns it: pass it as `channel` next time. */
  readonly channel: string;
  /** The parent message; pass it as `parentTs` next time. */
  readonly parentTs: string;
  /** Keys of the events posted by this sync, in order. */
  readonly posted: string[];
  /** Keys of the events found already in the thread (posted by an earlier attempt). */
  readonly alreadyPosted: string[];
}

/**
 * The `type` of every `ApplicationFailure` {@link syncSlack} throws.
 * - `SlackRateLimited` (retryable): Slack answered 429; `nextRetryDelay` is its `Retry-After`.
 * - `SlackUnavailable` (retryable): 5xx, timeout, network error, a malformed answer, or Slack's own transient errors.
 * - `SlackConfig` (non-retryable): the token, its scopes or the channel are wrong; the message says how to fix it.
 * - `SlackRequest` (non-retryable): Slack rejected the request itself (e.g. `invalid_blocks`): a Longhaul bug.
 */
export const SLACK_FAILURE_TYPES = {
  rateLimited: 'SlackRateLimited',
  unavailable: 'SlackUnavailable',
  config: 'SlackConfig',
  request: 'SlackRequest',
} as const;

/** Metadata `event_type` of the parent message. */
export const PARENT_EVENT_TYPE = 'longhaul_goal';
/** Metadata `event_type` of an event reply. */
export const EVENT_EVENT_TYPE = 'longhaul_event';

/** Default deadline of one Slack call. */
export const DEFAULT_SLACK_TIMEOUT_MS = 10_000;
/** Without `startedAt`, how many of the latest channel messages the parent search reads. */
export const MAX_UNBOUNDED_HISTORY = 1000;

/** Messages per history/replies page. */
const PAGE_SIZE = 200;
/** A bound on pagination, against a server whose cursors never end. */
const MAX_PAGES = 50;
/** Clock skew allowed between the workflow's timestamps and Slack's. */
const SKEW_SECONDS = 300;

/**
 * Brings the goal's Slack thread up to date: finds or posts the parent, updates it with `status`, and posts each of
 * `events` missing from the thread as a reply, in order. Safe to retry at any point. Throws only
 * `ApplicationFailure`s (see {@link SLACK_FAILURE_TYPES}).
 */
export async function syncSlack(deps: SlackDeps, input: SlackSyncInput): Promise<SlackSyncResult> {
  const where = { method: 'setup', channel: input.channel, token: deps.token };
  if (deps.token.trim() === '') {
    throw failure(SLACK_FAILURE_TYPES.config, 'the Slack bot token is empty: set SLACK_BOT_TOKEN', where);
  }
  if (input.goalId === '' || input.channel.trim() === '') {
    throw failure(SLACK_FAILURE_TYPES.request, 'syncSlack needs a goalId and a channel', where);
  }
  const slack = new SlackCalls(deps, input.channel);
  const status = renderStatus(input.status);
  const parentMetadata = { event_type: PARENT_EVENT_TYPE, event_payload: { goal_id: input.goalId } };

  let channel = await slack.resolveChannel(input.channel);
  let parentTs = input.parentTs;
  let fresh = false;
  if (parentTs !== null) {
    const updated = await slack.update(channel, parentTs, status, parentMetadata);
    if (!updated) parentTs = null; // deleted: find a replacement an earlier attempt posted, or post one
  }
  if (parentTs === null) {
    const oldest = input.startedAt === undefined ? undefined : input.startedAt / 1000 - SKEW_SECONDS;
    const found = await slack.findParent(channel, input.goalId, oldest, input.parentTs);
    if (found !== null) {
      parentTs = found;
      if (!(await slack.update(channel, parentTs, status, parentMetadata))) {
        throw failure(SLACK_FAILURE_TYPES.unavailable, 'the goal’s Slack message vanished while updating it', where);
      }
    } else {
      const posted = await slack.post(channel, status, parentMetadata);
      channel = posted.channel;
      parentTs = posted.ts;
      fresh = true;
    }
  }

  const events = uniqueByKey(input.events);
  const posted: string[] = [];
  const alreadyPosted: string[] = [];
  if (events.length > 0) {
    // A reply is posted after its event happened, so older replies cannot hold any of these keys.
    const oldest = events.reduce((min, e) => Math.min(min, e.at), Infinity) / 1000 - SKEW_SECONDS;
    const existing = fresh ? new Set<string>() : await slack.threadKeys(channel, parentTs, input.goalId, oldest);
    for (const event of events) {
      if (existing.has(event.key)) {
        alreadyPosted.push(event.key);
        continue;
      }
      await slack.reply(channel, parentTs, renderEvent(event), {
        event_type: EVENT_EVENT_TYPE,
        event_payload: { goal_id: input.goalId, key: event.key },
      });
      posted.push(event.key);
    }
  }
  return { channel, parentTs, posted, alreadyPosted };
}

type Metadata = { event_type: string; event_payload: Record<string, string> };

/** Which call failed, for messages; `token` only to redact it. */
interface CallSite {
  readonly method: string;
  readonly channel: string;
  readonly token: string;
}

/** The Slack calls a sync makes, each turning any failure into an `ApplicationFailure`. */
class SlackCalls {
  private readonly client: WebClient;

  constructor(
    private readonly deps: SlackDeps,
    private readonly channelName: string,
  ) {
    this.client = new WebClient(deps.token, {
      ...(deps.apiUrl !== undefined && { slackApiUrl: deps.apiUrl }),
      timeout: deps.timeoutMs ?? DEFAULT_SLACK_TIMEOUT_MS,
      // Temporal retries the activity; a 429 is reported with its Retry-After instead of waited out here.
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      // Failures are reported through the ApplicationFailure; the client's own warnings would only duplicate them.
      logLevel: LogLevel.ERROR,
    });
  }

  /** A channel ID as is; a name (`#x` or `x`) looked up among the channels the bot can see. */
  async resolveChannel(channel: string): Promise<string> {
    const trimmed = channel.trim();
    if (/^[CGD][A-Z0-9]{6,}$/.test(trimmed)) return trimmed;
    const name = trimmed.replace(/^#/, '').toLowerCase();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.call('conversations.list', () =>
        this.client.conversations.list({
          types: 'public_channel,private_channel',
          exclude_archived: true,
          limit: PAGE_SIZE,
          ...(cursor !== undefined && { cursor }),
        }),
      );
      const match = (res.channels ?? []).find((c) => c.name?.toLowerCase() === name && typeof c.id === 'string');
      if (match?.id !== undefined) return match.id;
      cursor = nextCursor(res);
      if (cursor === undefined) break;
    }
    throw failure(
      SLACK_FAILURE_TYPES.config,
      `no Slack channel named #${name} is visible to the bot: check SLACK_CHANNEL, or use the channel's ID ` +
        '(channel details → About); for a private channel invite the bot first (/invite @your-bot)',
      this.site('conversations.list'),
    );
  }

  /** The ts of the goal's parent message in the channel's recent history, or null. */
  async findParent(channel: string, goalId: string, oldest: number | undefined, stale: string | null) {
    let cursor: string | undefined;
    let read = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.call('conversations.history', () =>
        this.client.conversations.history({
          channel,
          include_all_metadata: true,
          limit: PAGE_SIZE,
          ...(oldest !== undefined && { oldest: slackTs(oldest) }),
          ...(cursor !== undefined && { cursor }),
        }),
      );
      const messages: unknown[] = res.messages ?? [];
      for (const message of messages) {
        const meta = metadataOf(message);
        const ts = field(message, 'ts');
        if (
          meta?.eventType === PARENT_EVENT_TYPE &&
          meta.payload['goal_id'] === goalId &&
          typeof ts === 'string' &&
          ts !== stale &&
          field(message, 'subtype') !== 'tombstone'
        ) {
          return ts;
        }
      }
      read += messages.length;
      cursor = nextCursor(res);
      if (cursor === undefined || (oldest === undefined && read >= MAX_UNBOUNDED_HISTORY)) break;
    }
    return null;
  }

  /** Posts the parent message. */
  async post(channel: string, message: SlackMessage, metadata: Metadata) {
    const res = await this.call('chat.postMessage', () =>
      this.client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks,
        metadata,
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    return {
      channel: this.required(res.channel, 'chat.postMessage', 'channel'),
      ts: this.required(res.ts, 'chat.postMessage', 'ts'),
    };
  }

  /** Updates the parent in place; false when it no longer exists (deleted by someone). */
  async update(channel: string, ts: string, message: SlackMessage, metadata: Metadata) {
    try {
      await this.call('chat.update', () =>
        this.client.chat.update({ channel, ts, text: message.text, blocks: message.blocks, metadata }),
      );
      return true;
    } catch (err) {
      if (err instanceof ApplicationFailure && platformCode(err) === 'message_not_found') return false;
      throw err;
    }
  }

  /** The event keys already in the thread (replies since `oldest`, seconds). */
  async threadKeys(channel: string, ts: string, goalId: string, oldest: number): Promise<Set<string>> {
    const keys = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.call('conversations.replies', () =>
        this.client.conversations.replies({
          channel,
          ts,
          include_all_metadata: true,
          limit: PAGE_SIZE,
          ...(Number.isFinite(oldest) && oldest > 0 && { oldest: slackTs(oldest) }),
          ...(cursor !== undefined && { cursor }),
        }),
      );
      for (const message of (res.messages ?? []) as unknown[]) {
        const meta = metadataOf(message);
        const key = meta?.payload['key'];
        if (meta?.eventType === EVENT_EVENT_TYPE && meta.payload['goal_id'] === goalId && typeof key === 'string') {
          keys.add(key);
        }
      }
      cursor = nextCursor(res);
      if (cursor === undefined) break;
    }
    return keys;
  }

  /** Posts one thread reply. */
  async reply(channel: string, threadTs: string, message: SlackMessage, metadata: Metadata) {
    const res = await this.call('chat.postMessage', () =>
      this.client.chat.postMessage({
        channel,
        thread_ts: threadTs,
        text: message.text,
        blocks: message.blocks,
        metadata,
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    this.required(res.ts, 'chat.postMessage', 'ts');
  }

  private async call<T>(method: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      throw toSlackFailure(err, this.site(method));
    }
  }

  private required(value: string | undefined, method: string, name: string): string {
    if (typeof value === 'string' && value !== '') return value;
    throw failure(
      SLACK_FAILURE_TYPES.unavailable,
      `Slack answered ${method} without a ${name}: a malformed response`,
      this.site(method),
    );
  }

  private site(method: string): CallSite {
    return { method, channel: this.channelName, token: this.deps.token };
  }
}

/** Slack's transient platform errors: worth retrying. */
const TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/**
 * Maps anything a Web API call threw to an `ApplicationFailure`: the one place retryability is decided. Messages name
 * the method and the channel and say how to fix configuration errors; the token is redacted from anything quoted.
 */
export function toSlackFailure(err: unknown, site: CallSite): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const at = `${site.method} in ${site.channel}`;
  const code = field(err, 'code');
  if (code === ErrorCode.RateLimitedError) {
    const seconds = Number(field(err, 'retryAfter'));
    return rateLimited(at, Number.isFinite(seconds) ? seconds : undefined, site);
  }
  if (code === ErrorCode.PlatformError) {
    const data = field(err, 'data');
    const raw = field(data, 'error');
    const error = typeof raw === 'string' ? raw : JSON.stringify(raw ?? null);
    const needed = field(data, 'needed');
    return platformFailure(error, typeof needed === 'string' ? needed : undefined, data, at, site);
  }
  if (code === ErrorCode.HTTPError) {
    const status = Number(field(err, 'statusCode'));
    if (status >= 500 || status === 408 || status === 409 || status === 425) {
      return failure(SLACK_FAILURE_TYPES.unavailable, `Slack answered ${at} with HTTP ${status}`, site);
    }
    if (status === 401 || status === 403 || status === 404 || status === 405) {
      return failure(
        SLACK_FAILURE_TYPES.config,
        `Slack answered ${at} with HTTP ${status}: check SLACK_API_URL (normally https://slack.com/api/, or unset) ` +
          'and any proxy in between',
        site,
      );
    }
    return failure(SLACK_FAILURE_TYPES.request, `Slack refused ${at} with HTTP ${status}`, site);
  }
  if (code === ErrorCode.RequestError) {
    const original = field(err, 'original');
    if (isTimeout(original)) return timedOut(at, site);
    return failure(
      SLACK_FAILURE_TYPES.unavailable,
      `could not reach Slack for ${at}: ${describe(original)}; check the network and SLACK_API_URL`,
      site,
    );
  }
  if (isTimeout(err)) return timedOut(at, site);
  const message = String(field(err, 'message') ?? err);
  // With rejectRateLimitedCalls, a 429 without a usable Retry-After surfaces as a plain Error.
  if (/rate limit|retry header/i.test(message)) return rateLimited(at, undefined, site);
  return failure(SLACK_FAILURE_TYPES.unavailable, `the Slack call ${at} failed: ${describe(err)}`, site);
}

function platformFailure(
  error: string,
  needed: string | undefined,
  data: unknown,
  at: string,
  site: CallSite,
): ApplicationFailure {
  const details = { error };
  switch (error) {
    case 'invalid_auth':
    case 'not_authed':
    case 'account_inactive':
    case 'token_revoked':
    case 'token_expired':
    case 'not_allowed_token_type':
      return failure(
        SLACK_FAILURE_TYPES.config,
        `Slack rejected the bot token (${error}) on ${at}: set SLACK_BOT_TOKEN to the app's Bot User OAuth Token ` +
          '(xoxb-…, under OAuth & Permissions) and make sure the app is still installed',
        site,
        details,
      );
    case 'missing_scope':
      return failure(
        SLACK_FAILURE_TYPES.config,
        `the Slack bot token lacks the scope ${needed ?? 'this method needs'} (${error} on ${at}): add it under ` +
          'OAuth & Permissions → Bot Token Scopes (Longhaul uses chat:write, channels:history, groups:history, and ' +
          'channels:read/groups:read for a channel name), reinstall the app and update SLACK_BOT_TOKEN',
        site,
        details,
      );
    case 'channel_not_found':
      return failure(
        SLACK_FAILURE_TYPES.config,
        `Slack channel ${site.channel} was not found (${error} on ${site.method}): set SLACK_CHANNEL to the ` +
          "channel's ID (channel details → About) or its name; for a private channel, invite the bot first " +
          `(/invite @your-bot in ${site.channel})`,
        site,
        details,
      );
    case 'not_in_channel':
      return failure(
        SLACK_FAILURE_TYPES.config,
        `the Slack bot is not a member of ${site.channel} (${error} on ${site.method}): invite it with ` +
          `/invite @your-bot in ${site.channel}`,
        site,
        details,
      );
    case 'is_archived':
      return failure(
        SLACK_FAILURE_TYPES.config,
        `Slack channel ${site.channel} is archived (${error} on ${site.method}): unarchive it or set SLACK_CHANNEL ` +
          'to another channel',
        site,
        details,
      );
    case 'ratelimited':
    case 'rate_limited': {
      const retryAfter = Number(field(field(data, 'response_metadata'), 'retryAfter'));
      return rateLimited(at, Number.isFinite(retryAfter) ? retryAfter : undefined, site);
    }
  }
  if (TRANSIENT_ERRORS.has(error)) {
    return failure(SLACK_FAILURE_TYPES.unavailable, `Slack failed ${at} (${error})`, site, details);
  }
  if (!/^[a-z0-9_.]{1,100}$/.test(error)) {
    // Not an error code: WebClient puts a body that is not JSON here.
    return failure(
      SLACK_FAILURE_TYPES.unavailable,
      `Slack answered ${at} with a malformed response (not JSON): ${JSON.stringify(truncate(error, 200))}`,
      site,
      { error: 'malformed_response' },
    );
  }
  return failure(
    SLACK_FAILURE_TYPES.request,
    `Slack rejected ${at} (${error}); this is a Longhaul bug, please report it with this message`,
    site,
    details,
  );
}

function rateLimited(at: string, seconds: number | undefined, site: CallSite): ApplicationFailure {
  const wait = seconds === undefined ? undefined : Math.max(1, Math.ceil(seconds));
  return ApplicationFailure.create({
    message: redact(
      `Slack rate-limited ${at}${wait === undefined ? '' : `: retry after ${wait} s, as Slack asked`}`,
      site.token,
    ),
    type: SLACK_FAILURE_TYPES.rateLimited,
    nonRetryable: false,
    ...(wait !== undefined && { nextRetryDelay: `${wait}s` }),
    details: [{ error: 'ratelimited', ...(wait !== undefined && { retryAfterSeconds: wait }) }],
  });
}

function timedOut(at: string, site: CallSite): ApplicationFailure {
  return failure(SLACK_FAILURE_TYPES.unavailable, `Slack did not answer ${at} in time`, site, { error: 'timeout' });
}

function failure(type: string, message: string, site: CallSite, details?: { error: string }): ApplicationFailure {
  return ApplicationFailure.create({
    message: redact(message, site.token),
    type,
    nonRetryable: type === SLACK_FAILURE_TYPES.config || type === SLACK_FAILURE_TYPES.request,
    ...(details !== undefined && { details: [details] }),
  });
}

/** The Slack error code a failure from {@link platformFailure} carries, if any. */
function platformCode(err: ApplicationFailure): string | undefined {
  const first: unknown = err.details?.[0];
  const error = field(first, 'error');
  return typeof error === 'string' ? error : undefined;
}

/** Events with a key seen before dropped (the first wins). */
function uniqueByKey(events: readonly SlackEvent[]): SlackEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    if (seen.has(e.key)) return false;
    seen.add(e.key);
    return true;
  });
}

/** A message's `metadata`, if it has Longhaul's shape. */
function metadataOf(message: unknown): { eventType: string; payload: Record<string, unknown> } | undefined {
  const meta = field(message, 'metadata');
  const eventType = field(meta, 'event_type');
  const payload = field(meta, 'event_payload');
  if (typeof eventType !== 'string' || !isRecord(payload)) return undefined;
  return { eventType, payload };
}

function nextCursor(res: unknown): string | undefined {
  const cursor = field(field(res, 'response_metadata'), 'next_cursor');
  return typeof cursor === 'string' && cursor !== '' ? cursor : undefined;
}

/** Seconds as a Slack timestamp string (`1732540000.000100`). */
function slackTs(seconds: number): string {
  return Math.max(0, seconds).toFixed(6);
}

/**
 * Whether the call was cut off by the client's deadline. Checked by text too: under another realm (e.g. jest) the
 * `DOMException` is not `instanceof Error`, so WebClient re-wraps it as `new Error(String(err))`.
 */
function isTimeout(err: unknown): boolean {
  const name = field(err, 'name');
  if (name === 'TimeoutError' || name === 'AbortError') return true;
  const message = field(err, 'message');
  return typeof message === 'string' && /^(TimeoutError|AbortError)\b|aborted due to timeout/.test(message);
}

/** An error's message and causes, for a failure message (redacted by the caller). */
function describe(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const message = field(current, 'message');
    const code = field(current, 'code');
    if (typeof message === 'string' && message !== '') {
      parts.push(typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message);
    }
    current = field(current, 'cause');
  }
  return truncate(parts.length > 0 ? parts.join(': ') : String(err), 300);
}

/** Removes the token, and anything shaped like a Slack token or a bearer credential. */
function redact(text: string, token: string): string {
  let out = text;
  if (token.length >= 4) out = out.split(token).join('[redacted]');
  return out.replace(/\bxox[a-z]-[A-Za-z0-9-]+/g, 'xox?-[redacted]').replace(/\bBearer\s+\S+/gi, 'Bearer [redacted]');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `v[key]` if `v` is an object (errors included), else undefined. */
function field(v: unknown, key: string): unknown {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
}
