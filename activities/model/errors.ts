/**
 * How a model call fails: the single error type providers throw ({@link ModelError}), the classification of
 * everything the `openai` client (or the network) can throw into it, and the call guard that makes sure nothing
 * else escapes a provider.
 *
 * Temporal owns retries, so the only job here is to say *whether* a retry can help (`retryable`), *when*
 * (`retryAfterMs`), and, when it cannot, how a human fixes it (the message). API keys never appear in messages.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';

/**
 * Why a model call failed.
 * - `rate_limited`: 429 (retryable, except `insufficient_quota`, which needs billing).
 * - `server`: 5xx, 409, or a response that reports its own failure.
 * - `timeout`: no complete response within the deadline (client timeout, 408).
 * - `connection`: could not reach the server, or the connection broke mid-response.
 * - `auth`: 401/403 — the key or its permissions are wrong.
 * - `bad_request`: 400/404/422 and other 4xx — the request itself is wrong (model name, schema, context length).
 * - `malformed_response`: a 2xx whose body is not JSON or lacks the fields the provider needs.
 * - `aborted`: the caller's `AbortSignal` fired (e.g. Temporal cancelled the activity); not a server problem.
 */
export type ModelErrorKind =
  'rate_limited' | 'server' | 'timeout' | 'connection' | 'auth' | 'bad_request' | 'malformed_response' | 'aborted';

/** Constructor fields of {@link ModelError}. */
export interface ModelErrorInit {
  readonly kind: ModelErrorKind;
  readonly retryable: boolean;
  readonly message: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
  /** The server's error `code`, e.g. `context_length_exceeded`, `insufficient_quota`, `invalid_api_key`. */
  readonly code?: string;
}

/**
 * The only error a {@link ModelProvider} throws. The activity turns it into a Temporal failure: `retryable: false`
 * means retrying the same request cannot succeed (fix configuration instead); `retryAfterMs` is the server's hint
 * for the next retry's delay. The message is safe to log and show: it never contains the API key.
 */
export class ModelError extends Error {
  readonly kind: ModelErrorKind;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly code?: string;

  constructor(init: ModelErrorInit) {
    super(init.message);
    this.name = 'ModelError';
    this.kind = init.kind;
    this.retryable = init.retryable;
    if (init.status !== undefined) this.status = init.status;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.code !== undefined) this.code = init.code;
  }
}

/** Options of {@link classifyModelError}. */
export interface ClassifyOptions {
  /** Strings that must never appear in a message (the API key); replaced by `[redacted]`. */
  readonly secrets?: readonly string[];
}

/**
 * Turns anything a model call threw into a {@link ModelError}. Use it in a `catch` around a call made with the
 * `openai` client (a `ModelError` is returned unchanged). Status errors are mapped by HTTP status, so every
 * `APIError` subclass (RateLimitError, InternalServerError, AuthenticationError, ...) and plain `APIError`s with
 * other statuses are covered; connection, timeout and abort errors by class; `SyntaxError` (a body that is not
 * JSON) becomes `malformed_response`; anything else is treated as a retryable `connection` failure.
 */
export function classifyModelError(err: unknown, opts: ClassifyOptions = {}): ModelError {
  const secrets = opts.secrets ?? [];
  if (err instanceof ModelError) return err;
  if (err instanceof APIUserAbortError) {
    return new ModelError({
      kind: 'aborted',
      retryable: false,
      message: 'the model request was aborted by the caller',
    });
  }
  if (err instanceof APIConnectionTimeoutError) {
    return new ModelError({
      kind: 'timeout',
      retryable: true,
      message: 'the model server did not respond before the timeout',
    });
  }
  if (err instanceof APIConnectionError) {
    return new ModelError({
      kind: 'connection',
      retryable: true,
      message: `could not reach the model server: ${redact(describeCause(err), secrets)}; check OPENAI_BASE_URL and the network`,
    });
  }
  if (err instanceof APIError) {
    const apiError = err as APIError;
    if (typeof apiError.status === 'number') {
      return fromStatus(apiError.status, serverMessage(apiError, secrets), errorCode(apiError), apiError.headers);
    }
  }
  if (err instanceof SyntaxError) {
    return malformedResponse(`the body is not valid JSON (${redact(err.message, secrets)})`);
  }
  if (isAbortLike(err)) {
    return new ModelError({
      kind: 'timeout',
      retryable: true,
      message: 'the model request was cut off before completing',
    });
  }
  const detail = isErrorLike(err) ? `${err.name}: ${err.message}` : String(err);
  return new ModelError({
    kind: 'connection',
    retryable: true,
    message: `the model call failed unexpectedly: ${truncate(redact(detail, secrets))}`,
  });
}

/** A retryable `malformed_response` error: use when a 2xx body is not JSON or lacks a field the provider needs. */
export function malformedResponse(detail: string): ModelError {
  return new ModelError({
    kind: 'malformed_response',
    retryable: true,
    message: `the model server returned a malformed response: ${truncate(detail)}`,
  });
}

/**
 * Parses the server's retry hint: `retry-after-ms` (milliseconds, OpenAI's) wins over `retry-after` (seconds or an
 * HTTP date). Returns undefined when absent or unparseable; never negative.
 */
export function parseRetryAfterMs(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value)) return Math.max(0, Math.round(value));
  }
  const after = headers.get('retry-after');
  if (after === null || after.trim() === '') return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Options of {@link guardModelCall}. */
export interface GuardOptions {
  /** Deadline for the whole call, response body included. */
  readonly timeoutMs: number;
  /** The caller's cancellation; aborting it ends the call with kind `aborted`. */
  readonly signal?: AbortSignal | undefined;
  /** Never shown in messages (the API key). */
  readonly secrets: readonly string[];
}

/**
 * Runs one model HTTP call so that only {@link ModelError} escapes and the deadline covers the body too.
 *
 * Why: the `openai` client's `timeout` stops at the response *headers* (a server that stalls mid-body hangs the
 * call forever), and its own parsing throws a bare `TypeError` for a 2xx body that is not the expected object. So
 * `send` must return the raw `Response` (`client.x.create(...).asResponse()`, which still raises `APIError`s for
 * non-2xx statuses); this guard reads the body under the deadline, parses the JSON and hands it to `parse`, which
 * throws {@link malformedResponse} for missing fields.
 */
export async function guardModelCall<T>(
  opts: GuardOptions,
  send: (signal: AbortSignal) => Promise<Response>,
  parse: (body: unknown) => T,
): Promise<T> {
  const classify = (err: unknown): ModelError => classifyModelError(err, { secrets: opts.secrets });
  if (opts.signal?.aborted) throw classify(new APIUserAbortError());
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, opts.timeoutMs);
  const onAbort = (): void => controller.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const cutOff = (err: unknown): ModelError | undefined => {
    if (!(err instanceof APIUserAbortError || err instanceof APIConnectionTimeoutError || isAbortLike(err))) {
      return undefined;
    }
    if (opts.signal?.aborted) return classify(new APIUserAbortError());
    if (timedOut || err instanceof APIConnectionTimeoutError) {
      return new ModelError({
        kind: 'timeout',
        retryable: true,
        message: `the model server did not answer within ${opts.timeoutMs} ms`,
      });
    }
    return undefined;
  };
  try {
    const response = await send(controller.signal);
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      throw (
        cutOff(err) ??
        new ModelError({
          kind: 'connection',
          retryable: true,
          message: `the connection broke while reading the model response: ${truncate(redact(describeCause(err), opts.secrets))}`,
        })
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      const ct = response.headers.get('content-type') ?? 'no content-type';
      throw malformedResponse(`the body is not JSON (${ct}): ${JSON.stringify(truncate(redact(text, opts.secrets)))}`);
    }
    return parse(body);
  } catch (err) {
    throw cutOff(err) ?? classify(err);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

function fromStatus(
  status: number,
  detail: string,
  code: string | undefined,
  headers: Headers | undefined,
): ModelError {
  const base = { status, ...(code !== undefined && { code }) };
  const retryAfterMs = parseRetryAfterMs(headers);
  const hint = retryAfterMs === undefined ? {} : { retryAfterMs };
  const said = detail ? `: ${detail}` : '';
  if (status === 429) {
    if (code === 'insufficient_quota') {
      return new ModelError({
        ...base,
        kind: 'rate_limited',
        retryable: false,
        message: `the model account is out of quota (429)${said}; add credit or raise the limit, then resume`,
      });
    }
    return new ModelError({
      ...base,
      ...hint,
      kind: 'rate_limited',
      retryable: true,
      message: `rate limited (429)${said}`,
    });
  }
  if (status >= 500) {
    return new ModelError({
      ...base,
      ...hint,
      kind: 'server',
      retryable: true,
      message: `model server error (${status})${said}`,
    });
  }
  if (status === 408) {
    return new ModelError({
      ...base,
      ...hint,
      kind: 'timeout',
      retryable: true,
      message: `the model server timed out (408)${said}`,
    });
  }
  if (status === 409) {
    return new ModelError({
      ...base,
      ...hint,
      kind: 'server',
      retryable: true,
      message: `conflict on the model server (409)${said}`,
    });
  }
  if (status === 401) {
    return new ModelError({
      ...base,
      kind: 'auth',
      retryable: false,
      message: `the model server rejected the API key (401)${said}; check OPENAI_API_KEY`,
    });
  }
  if (status === 403) {
    return new ModelError({
      ...base,
      kind: 'auth',
      retryable: false,
      message: `the API key may not use this model or endpoint (403)${said}; check the key's project, organization and model access`,
    });
  }
  if (status === 404) {
    return new ModelError({
      ...base,
      kind: 'bad_request',
      retryable: false,
      message: `the model or endpoint was not found (404)${said}; check the model name and OPENAI_BASE_URL (usually ending in /v1) and whether the server supports this API (responses vs chat)`,
    });
  }
  if (status === 400 || status === 422) {
    return new ModelError({
      ...base,
      kind: 'bad_request',
      retryable: false,
      message: `the model server rejected the request (${status})${said}; check the model name, that it supports the reasoning effort and tools given, and the transcript size`,
    });
  }
  return new ModelError({
    ...base,
    kind: 'bad_request',
    retryable: false,
    message: `the model server refused the request (${status})${said}; check the model configuration`,
  });
}

/** The server's own error message (from the `error.message` of the body, or the raw body), redacted. */
function serverMessage(err: APIError, secrets: readonly string[]): string {
  const body: unknown = err.error;
  let text: string | undefined;
  if (isRecord(body) && typeof body['message'] === 'string') text = body['message'];
  else {
    // APIError's message is "<status> <server message>" or "<status> status code (no body)".
    text = err.message.replace(/^\d{3}\s*/, '');
    if (/^status code \(no body\)$/.test(text)) text = '';
  }
  return truncate(redact(text, secrets));
}

function errorCode(err: APIError): string | undefined {
  return typeof err.code === 'string' && err.code !== '' ? err.code : undefined;
}

function describeCause(err: unknown): string {
  if (!isErrorLike(err)) return String(err);
  const parts = [err.message];
  let cause: unknown = err.cause;
  for (let depth = 0; isErrorLike(cause) && depth < 3; depth++) {
    parts.push(typeof cause.code === 'string' ? `${cause.code} ${cause.message}` : cause.message);
    cause = cause.cause;
  }
  return parts.filter((p) => p.trim() !== '').join(': ');
}

/** Duck-typed, because fetch errors may come from another realm (e.g. under jest) and fail `instanceof Error`. */
function isErrorLike(v: unknown): v is { name: string; message: string; code?: unknown; cause?: unknown } {
  return isRecord(v) && typeof v['message'] === 'string' && typeof v['name'] === 'string';
}

function isAbortLike(err: unknown): boolean {
  return isErrorLike(err) && (err.name === 'AbortError' || err.name === 'TimeoutError');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Removes the given secrets and anything shaped like an OpenAI key or bearer token. */
function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out.replace(/\bsk-[A-Za-z0-9_*-]{6,}/g, 'sk-[redacted]').replace(/\bBearer\s+\S+/gi, 'Bearer [redacted]');
}

function truncate(text: string, max = 500): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
