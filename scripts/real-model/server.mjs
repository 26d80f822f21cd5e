// A thin OpenAI-compatible server around node-llama-cpp for the real-model benchmark (bench/real-model.ts):
// POST /v1/chat/completions, one sequence (so the KV cache of a prompt's common prefix with the previous one is
// reused), tool calls produced under a JSON grammar (a 135M model only calls tools when constrained), and usage with
// the real tokenizer's counts: prompt_tokens, prompt_tokens_details.cached_tokens (the prefix kept in the KV cache),
// plus the server's own timings. Not part of Longhaul: installed by scripts/setup-real-model.sh, never by npm ci.
// Usage: node scripts/real-model/server.mjs --model PATH [--port 0] [--context 8192]; prints {"url": ...} when ready.
import { createServer } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith('--') ? [[a.slice(2), all[i + 1]]] : [])),
);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const lib = path.join(root, '.tools/real-model/node_modules/node-llama-cpp/dist/index.js');
const { getLlama, LlamaCompletion } = await import(pathToFileURL(lib).href);

const llama = await getLlama({ gpu: false, build: 'never' });
const model = await llama.loadModel({ modelPath: args.model });
// One thread by default: on a busy 2-core machine (the worker and the Temporal server run beside it) llama.cpp's
// spinning threads starve each other (measured: 28 tokens in 186 s with the default threads, 1.2 s with one).
const context = await model.createContext({
  contextSize: Number(args.context ?? 8192),
  sequences: 1,
  threads: Number(args.threads ?? 1),
});
const sequence = context.getSequence();
// Tools the model may not choose (still described in its prompt): `--grammar-exclude blocked` keeps a 135M model,
// which otherwise declares a blocker three turns running, in the loop long enough to measure the plumbing.
const excluded = new Set((args['grammar-exclude'] ?? '').split(',').filter(Boolean));
const completion = new LlamaCompletion({ contextSequence: sequence });
const grammars = new Map();

/** ChatML (SmolLM2's template), the tools described in the system message, tool results as user messages. */
function render(messages, tools) {
  const out = [];
  messages.forEach((m, i) => {
    let text = typeof m.content === 'string' ? m.content : (m.content ?? []).map((p) => p.text ?? '').join('');
    if (i === 0 && m.role === 'system' && tools.length > 0) text += `\n\n${toolPrompt(tools)}`;
    if (m.role === 'assistant') {
      const calls = (m.tool_calls ?? []).map(
        (c) => `{"name": ${JSON.stringify(c.function.name)}, "arguments": ${c.function.arguments}}`,
      );
      out.push(`<|im_start|>assistant\n${[text, ...calls].filter(Boolean).join('\n')}<|im_end|>\n`);
    } else if (m.role === 'tool') {
      out.push(`<|im_start|>user\n[tool result ${m.tool_call_id}]\n${text}<|im_end|>\n`);
    } else {
      out.push(`<|im_start|>${m.role === 'system' || m.role === 'developer' ? 'system' : 'user'}\n${text}<|im_end|>\n`);
    }
  });
  out.push('<|im_start|>assistant\n');
  return out.join('');
}

function toolPrompt(tools) {
  const lines = tools.map(
    (t) =>
      `- ${t.function.name}: ${t.function.description} Arguments: ${JSON.stringify(t.function.parameters?.properties ?? {})}`,
  );
  return `Answer with exactly one tool call as JSON: {"name": <tool>, "arguments": {...}}. Tools:\n${lines.join('\n')}`;
}

/** A JSON grammar: one object naming a tool and its arguments (string, number, boolean properties kept, others as strings). */
async function grammarFor(tools) {
  const key = JSON.stringify(tools.map((t) => t.function.name));
  if (!grammars.has(key)) {
    const choosable = tools.filter((t) => !excluded.has(t.function.name));
    const oneOf = (choosable.length > 0 ? choosable : tools).map((t) => {
      const props = t.function.parameters?.properties ?? {};
      const required = (t.function.parameters?.required ?? []).filter((r) => r in props);
      const properties = Object.fromEntries(
        required.map((name) => {
          const type = props[name]?.type;
          return [name, { type: type === 'number' || type === 'integer' || type === 'boolean' ? type : 'string' }];
        }),
      );
      return {
        type: 'object',
        properties: { name: { const: t.function.name }, arguments: { type: 'object', properties } },
      };
    });
    grammars.set(key, await llama.createGrammarForJsonSchema({ oneOf }));
  }
  return grammars.get(key);
}

function commonPrefix(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

let queue = Promise.resolve();
async function complete(body) {
  const tools = body.tools ?? [];
  const prompt = render(body.messages ?? [], tools);
  const tokens = model.tokenize(prompt, true);
  // What adaptStateToTokens keeps: the prefix shared with the sequence's current tokens (the last one is re-decoded).
  const cached = Math.min(commonPrefix([...sequence.contextTokens], tokens), Math.max(0, tokens.length - 1));
  const started = performance.now();
  const maxTokens = Math.min(body.max_completion_tokens ?? body.max_tokens ?? 256, 256);
  const grammar = tools.length > 0 ? await grammarFor(tools) : undefined;
  const text = await completion.generateCompletion(tokens, {
    maxTokens,
    ...(grammar ? { grammar } : {}),
    customStopTriggers: ['<|im_end|>'],
  });
  const seconds = (performance.now() - started) / 1000;
  const completionTokens = model.tokenize(text).length;
  let message = { role: 'assistant', content: text };
  if (grammar) {
    try {
      const call = JSON.parse(text);
      message = {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: `call_${Math.random().toString(36).slice(2, 10)}`,
            type: 'function',
            function: { name: call.name, arguments: JSON.stringify(call.arguments ?? {}) },
          },
        ],
      };
    } catch {
      // an unfinished object (maxTokens reached): sent as text, which Longhaul reports back to the model
    }
  }
  console.log(JSON.stringify({ prompt: tokens.length, cached, seconds }));
  return {
    id: `chatcmpl-${Date.now()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? 'smollm2-135m',
    choices: [{ index: 0, message, finish_reason: message.tool_calls ? 'tool_calls' : 'stop' }],
    usage: {
      prompt_tokens: tokens.length,
      completion_tokens: completionTokens,
      total_tokens: tokens.length + completionTokens,
      prompt_tokens_details: { cached_tokens: cached },
    },
    timings: { prompt_n: tokens.length - cached, cached_n: cached, seconds },
  };
}

const server = createServer((req, res) => {
  let raw = '';
  req.on('data', (c) => (raw += c));
  req.on('end', () => {
    if (req.method !== 'POST' || !/\/chat\/completions$/.test(req.url ?? '')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    queue = queue.then(async () => {
      try {
        const answer = await complete(JSON.parse(raw));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      } catch (err) {
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { message: String(err), type: 'server_error' } }));
      }
    });
  });
});
server.listen(Number(args.port ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/v1` }));
});
