/**
 * One model call from inside an activity: heartbeats while the model thinks (a dead worker is noticed in
 * seconds, and cancellation reaches the request), and any error turned into a Temporal failure with a stable
 * type — permanent ones non-retryable, transient ones retryable after the server's Retry-After.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { FAILURE } from '../../goal/failures';
import { classifyModelError, type ModelError } from './errors';
import type { ModelProvider, ModelRequest, ModelResponse } from './provider';

/** What every model-calling activity needs: a provider per wire API and the defaults for the goal's model. */
export interface ModelDeps {
  readonly provider: (api: 'responses' | 'chat') => ModelProvider;
  readonly defaultModel: string;
  readonly defaultApi: 'responses' | 'chat';
}

/** The goal's model choice (from its spec); unset fields fall back to the worker's defaults. */
export interface ModelChoice {
  readonly name?: string;
  readonly api?: 'responses' | 'chat';
  readonly reasoningEffort?: 'minimal' | 'low' | 'medium' | 'high';
}

const HEARTBEAT_MS = 5_000;

export async function callModel(
  deps: ModelDeps,
  choice: ModelChoice,
  request: Omit<ModelRequest, 'model' | 'signal' | 'reasoningEffort'>,
): Promise<ModelResponse> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
  try {
    return await deps.provider(choice.api ?? deps.defaultApi).complete({
      ...request,
      model: choice.name ?? deps.defaultModel,
      ...(choice.reasoningEffort ? { reasoningEffort: choice.reasoningEffort } : {}),
      signal: ctx.cancellationSignal,
    });
  } catch (err) {
    const e = classifyModelError(err);
    if (e.kind === 'aborted') throw ctx.cancellationSignal.reason ?? err;
    throw failureFor(e);
  } finally {
    clearInterval(beat);
  }
}

/** The Temporal failure for a model error: `ModelAuthError`/`ModelBadRequestError` (permanent) or `Model<Kind>Error`. */
export function failureFor(e: ModelError): ApplicationFailure {
  if (!e.retryable) {
    return ApplicationFailure.create({
      type:
        e.kind === 'auth'
          ? FAILURE.modelAuth
          : isContextLength(e)
            ? FAILURE.modelContextLength
            : FAILURE.modelBadRequest,
      message: e.message,
      nonRetryable: true,
    });
  }
  return ApplicationFailure.create({
    type: `Model${e.kind.replace(/(^|_)(\w)/g, (_m, _s, c: string) => c.toUpperCase())}Error`,
    message: e.message,
    ...(e.retryAfterMs !== undefined ? { nextRetryDelay: e.retryAfterMs } : {}),
  });
}

/** A 400 saying the prompt is longer than the model's context window (OpenAI's code, or the usual wording). */
function isContextLength(e: ModelError): boolean {
  return (
    e.kind === 'bad_request' &&
    (e.code === 'context_length_exceeded' ||
      /context.{0,20}(length|window)|maximum context|too many tokens/i.test(e.message))
  );
}

/** The assistant's text in a response (its messages joined), without tool calls. */
export function responseText(response: ModelResponse): string {
  return response.items
    .map((i) => (i.type === 'message' ? i.text : ''))
    .filter(Boolean)
    .join('\n');
}
