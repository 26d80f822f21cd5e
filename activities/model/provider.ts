/**
 * The model provider contract used by the agent-turn activity, and the factory that builds one on the `openai`
 * package for either wire API. Providers are stateless translators: transcript in, assistant items out; they never
 * retry (Temporal does) and throw only `ModelError` (./errors).
 */
import OpenAI from 'openai';
import type { MessageItem, TokenUsage, ToolCallItem, ToolDefinition, TranscriptItem } from '../../goal/transcript';
import { ChatProvider } from './chat';
import { ResponsesProvider } from './responses';

/** One model call: the whole conversation so far (providers are stateless; nothing is stored server-side). */
export interface ModelRequest {
  model: string;
  /** System prompt; sent as `instructions` (Responses) or the first `system` message (Chat). */
  instructions: string;
  items: readonly TranscriptItem[];
  tools: readonly ToolDefinition[];
  /** Sent only when set; models without reasoning reject it (400). */
  reasoningEffort?: 'minimal' | 'low' | 'medium' | 'high';
  maxOutputTokens?: number;
  /**
   * Groups requests that share a prefix for the provider's prompt cache (the goal id); sent as `prompt_cache_key`
   * on the Responses API. Chat servers (llama.cpp, vLLM) reuse a common prefix without one.
   */
  cacheKey?: string;
  /** Abort the call (e.g. Temporal activity cancellation); the call then fails with kind `aborted`. */
  signal?: AbortSignal;
}

/** What the assistant produced in one call. */
export interface ModelResponse {
  /** Assistant text messages and tool calls in output order; tool-call `arguments` are the raw model text. */
  items: (MessageItem | ToolCallItem)[];
  usage: TokenUsage;
  /** The server's id for the response (`resp_...` / `chatcmpl-...`), for logs. */
  responseId?: string;
}

/** Completes a transcript with one model call. Implementations throw only `ModelError` (./errors). */
export interface ModelProvider {
  readonly api: 'responses' | 'chat';
  /**
   * Sends the transcript and returns the assistant's output. Makes exactly one HTTP request; a failure throws a
   * `ModelError` whose `retryable` tells the caller whether repeating the call can help.
   */
  complete(req: ModelRequest): Promise<ModelResponse>;
}

/** How to reach the model server. */
export interface ModelProviderOptions {
  /** `responses` for OpenAI's Responses API; `chat` for Chat Completions (most OpenAI-compatible servers). */
  api: 'responses' | 'chat';
  apiKey: string;
  /** e.g. `https://api.openai.com/v1`; when undefined the `openai` client reads `OPENAI_BASE_URL`, then its default. */
  baseURL?: string;
  /**
   * Deadline of one call, including reading the response body.
   * @default 600_000
   */
  timeoutMs?: number;
}

/** Default deadline of one model call: 10 minutes, like the `openai` client's own default. */
export const DEFAULT_MODEL_TIMEOUT_MS = 600_000;

/**
 * Builds the provider for `opts.api`. Call once per worker (the client keeps a connection pool). The client is
 * built with `maxRetries: 0` because Temporal owns retries: one `complete()` is one HTTP request.
 * Throws a plain `Error` for configuration mistakes found up front (empty API key, bad timeout).
 */
export function createModelProvider(opts: ModelProviderOptions): ModelProvider {
  if (opts.apiKey.trim() === '') {
    throw new Error('the model API key is empty: set OPENAI_API_KEY (any non-empty value for servers without auth)');
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new Error(`the model timeout must be a positive number of milliseconds, got ${timeoutMs}`);
  }
  const client = new OpenAI({
    apiKey: opts.apiKey,
    baseURL: opts.baseURL,
    maxRetries: 0,
    timeout: Math.ceil(timeoutMs),
  });
  const config = { client, timeoutMs, secrets: [opts.apiKey] };
  switch (opts.api) {
    case 'responses':
      return new ResponsesProvider(config);
    case 'chat':
      return new ChatProvider(config);
  }
}

/** What the concrete providers need from the factory. */
export interface ProviderConfig {
  readonly client: OpenAI;
  readonly timeoutMs: number;
  /** Strings never to show in error messages (the API key). */
  readonly secrets: readonly string[];
}
