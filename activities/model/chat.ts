/**
 * The model provider for Chat Completions (`POST /chat/completions`), the API most OpenAI-compatible servers
 * speak: translates the transcript to messages and the first choice back.
 */
import type OpenAI from 'openai';
import { z } from 'zod';
import type { MessageItem, ToolCallItem, TranscriptItem } from '../../goal/transcript';
import { guardModelCall, malformedResponse } from './errors';
import type { ModelProvider, ModelRequest, ModelResponse, ProviderConfig } from './provider';

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type AssistantMessage = OpenAI.Chat.Completions.ChatCompletionAssistantMessageParam;

/** {@link ModelProvider} on Chat Completions. Build it with `createModelProvider({ api: 'chat', ... })`. */
export class ChatProvider implements ModelProvider {
  readonly api = 'chat' as const;

  constructor(private readonly config: ProviderConfig) {}

  complete(req: ModelRequest): Promise<ModelResponse> {
    const body = toChatRequest(req);
    return guardModelCall(
      { timeoutMs: this.config.timeoutMs, signal: req.signal, secrets: this.config.secrets },
      (signal) => this.config.client.chat.completions.create(body, { signal }).asResponse(),
      fromChatBody,
    );
  }
}

/** The request body for a transcript; exported for tests and debugging. */
export function toChatRequest(req: ModelRequest): OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming {
  return {
    model: req.model,
    messages: toMessages(req.instructions, req.items),
    ...(req.tools.length > 0 && {
      tools: req.tools.map((t): OpenAI.Chat.Completions.ChatCompletionFunctionTool => ({
        type: 'function',
        function: { name: t.name, description: t.description, parameters: t.parameters },
      })),
    }),
    ...(req.reasoningEffort !== undefined && { reasoning_effort: req.reasoningEffort }),
    ...(req.maxOutputTokens !== undefined && { max_completion_tokens: req.maxOutputTokens }),
  };
}

/**
 * Chat wants an assistant turn as one message: its text plus the tool calls that follow it. Consecutive tool calls
 * join the preceding assistant message (or a new content-less one); anything else closes the turn.
 */
function toMessages(instructions: string, items: readonly TranscriptItem[]): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: instructions }];
  let turn: AssistantMessage | undefined; // the assistant message tool calls may still join
  for (const item of items) {
    if (item.type === 'tool_call') {
      if (!turn) {
        turn = { role: 'assistant', content: null };
        messages.push(turn);
      }
      (turn.tool_calls ??= []).push({
        id: item.callId,
        type: 'function',
        function: { name: item.name, arguments: item.arguments },
      });
      continue;
    }
    turn = undefined;
    if (item.type === 'tool_result') {
      messages.push({ role: 'tool', tool_call_id: item.callId, content: item.output });
    } else if (item.role === 'assistant') {
      turn = { role: 'assistant', content: item.text };
      messages.push(turn);
    } else {
      messages.push({ role: item.role, content: item.text });
    }
  }
  return messages;
}

/** The part of a `ChatCompletion` the provider relies on; everything else is ignored. */
const ChatBody = z.object({
  id: z.string().optional(),
  choices: z.array(
    z.object({
      message: z.object({
        content: z.string().nullish(),
        refusal: z.string().nullish(),
        tool_calls: z
          .array(
            z.object({
              id: z.string(),
              type: z.string().optional(),
              function: z.object({ name: z.string(), arguments: z.string() }).optional(),
            }),
          )
          .nullish(),
      }),
    }),
  ),
  usage: z
    .object({
      prompt_tokens: z.number(),
      completion_tokens: z.number(),
      total_tokens: z.number().optional(),
      prompt_tokens_details: z.object({ cached_tokens: z.number().nullish() }).nullish(),
    })
    .nullish(),
});

/** Maps a parsed completion body to the provider-neutral result; throws `malformed_response` if fields are missing. */
export function fromChatBody(json: unknown): ModelResponse {
  const parsed = ChatBody.safeParse(json);
  if (!parsed.success) {
    throw malformedResponse(`unexpected Chat Completions body: ${z.prettifyError(parsed.error).replace(/\s+/g, ' ')}`);
  }
  const body = parsed.data;
  const [choice] = body.choices;
  if (!choice) throw malformedResponse('the completion has no choices');
  const message = choice.message;
  const items: (MessageItem | ToolCallItem)[] = [];
  const text = message.content || message.refusal || '';
  if (text !== '') items.push({ type: 'message', role: 'assistant', text });
  (message.tool_calls ?? []).forEach((call, i) => {
    if (call.type !== undefined && call.type !== 'function') return; // custom tools are never offered
    if (!call.function) throw malformedResponse(`tool_calls[${i}] has no function`);
    items.push({ type: 'tool_call', callId: call.id, name: call.function.name, arguments: call.function.arguments });
  });
  const input = body.usage?.prompt_tokens ?? 0;
  const output = body.usage?.completion_tokens ?? 0;
  const cached = body.usage?.prompt_tokens_details?.cached_tokens;
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
