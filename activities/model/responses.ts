/**
 * The model provider for OpenAI's Responses API (`POST /responses`): translates the transcript to input items and
 * the response's output items back. Stateless: `store: false`, the whole transcript is sent every call.
 */
import type OpenAI from 'openai';
import { z } from 'zod';
import type { MessageItem, ToolCallItem, TranscriptItem } from '../../goal/transcript';
import { guardModelCall, malformedResponse, ModelError } from './errors';
import type { ModelProvider, ModelRequest, ModelResponse, ProviderConfig } from './provider';

/** {@link ModelProvider} on the Responses API. Build it with `createModelProvider({ api: 'responses', ... })`. */
export class ResponsesProvider implements ModelProvider {
  readonly api = 'responses' as const;

  constructor(private readonly config: ProviderConfig) {}

  complete(req: ModelRequest): Promise<ModelResponse> {
    const body = toResponsesRequest(req);
    return guardModelCall(
      { timeoutMs: this.config.timeoutMs, signal: req.signal, secrets: this.config.secrets },
      (signal) => this.config.client.responses.create(body, { signal }).asResponse(),
      fromResponsesBody,
    );
  }
}

/** The request body for a transcript; exported for tests and debugging. */
export function toResponsesRequest(req: ModelRequest): OpenAI.Responses.ResponseCreateParamsNonStreaming {
  return {
    model: req.model,
    instructions: req.instructions,
    input: req.items.map(toInputItem),
    tools: req.tools.map((t): OpenAI.Responses.FunctionTool => ({
      type: 'function',
      name: t.name,
      description: t.description,
      parameters: t.parameters,
      strict: false,
    })),
    store: false,
    ...(req.cacheKey !== undefined && { prompt_cache_key: req.cacheKey }),
    ...(req.reasoningEffort !== undefined && { reasoning: { effort: req.reasoningEffort } }),
    ...(req.maxOutputTokens !== undefined && { max_output_tokens: req.maxOutputTokens }),
  };
}

function toInputItem(item: TranscriptItem): OpenAI.Responses.ResponseInputItem {
  switch (item.type) {
    case 'message':
      return { role: item.role === 'system' ? 'developer' : item.role, content: item.text };
    case 'tool_call':
      return { type: 'function_call', call_id: item.callId, name: item.name, arguments: item.arguments };
    case 'tool_result':
      return { type: 'function_call_output', call_id: item.callId, output: item.output };
  }
}

/** The part of a Responses API `Response` the provider relies on; everything else is ignored. */
const ResponseBody = z.object({
  id: z.string().optional(),
  object: z.literal('response').optional(),
  status: z.string().optional(),
  error: z.object({ message: z.string().optional(), code: z.string().nullish() }).nullish(),
  output: z.array(
    z.looseObject({
      type: z.string(),
      content: z
        .array(z.looseObject({ type: z.string(), text: z.string().optional(), refusal: z.string().optional() }))
        .optional(),
      call_id: z.string().optional(),
      name: z.string().optional(),
      arguments: z.string().optional(),
    }),
  ),
  usage: z
    .object({
      input_tokens: z.number(),
      output_tokens: z.number(),
      total_tokens: z.number().optional(),
      input_tokens_details: z.object({ cached_tokens: z.number().nullish() }).nullish(),
    })
    .nullish(),
});

/** Maps a parsed response body to the provider-neutral result; throws `malformed_response` if fields are missing. */
export function fromResponsesBody(json: unknown): ModelResponse {
  const parsed = ResponseBody.safeParse(json);
  if (!parsed.success) {
    throw malformedResponse(`unexpected Responses API body: ${z.prettifyError(parsed.error).replace(/\s+/g, ' ')}`);
  }
  const body = parsed.data;
  if (body.status === 'failed' || body.error) {
    const code = body.error?.code ?? undefined;
    throw new ModelError({
      kind: 'server',
      retryable: true,
      message: `the model reported a failed response: ${body.error?.message ?? 'no reason given'}`,
      ...(code !== undefined && { code }),
    });
  }
  const items: (MessageItem | ToolCallItem)[] = [];
  body.output.forEach((out, i) => {
    if (out.type === 'message') {
      const text = (out.content ?? [])
        .map((part) => (part.type === 'output_text' ? part.text : part.type === 'refusal' ? part.refusal : undefined))
        .filter((t): t is string => t !== undefined)
        .join('');
      if (text !== '') items.push({ type: 'message', role: 'assistant', text });
    } else if (out.type === 'function_call') {
      if (out.call_id === undefined || out.name === undefined || out.arguments === undefined) {
        throw malformedResponse(`output[${i}] is a function_call without call_id, name or arguments`);
      }
      items.push({ type: 'tool_call', callId: out.call_id, name: out.name, arguments: out.arguments });
    }
    // reasoning and other item types carry nothing the transcript keeps.
  });
  const input = body.usage?.input_tokens ?? 0;
  const output = body.usage?.output_tokens ?? 0;
  const cached = body.usage?.input_tokens_details?.cached_tokens;
  return {
    items,
    usage: {
      inputTokens: input,
      outputTokens: output,
      totalTokens: body.usage?.total_tokens ?? input + output,
      ...(typeof cached === 'number' && cached > 0 && { cachedInputTokens: cached }),
    },
    ...(body.id !== undefined && { responseId: body.id }),
  };
}
