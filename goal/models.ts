/**
 * What Longhaul knows about models: the price per million tokens (for cost budgets) and the context window
 * (for compaction). A built-in table for common OpenAI models; `model.price` and `model.contextWindow` in the
 * spec override it (any OpenAI-compatible server, negotiated prices). Pure data: the workflow uses it.
 */

export interface ModelPrice {
  /** US dollars per million input (prompt) tokens not served from the provider's prompt cache. */
  readonly inputPerMTok: number;
  /** US dollars per million input tokens served from the prompt cache. @default inputPerMTok */
  readonly cachedInputPerMTok?: number;
  /** US dollars per million output tokens (reasoning tokens included). */
  readonly outputPerMTok: number;
}

export interface ModelInfo {
  readonly price: ModelPrice | null;
  /** Tokens the model accepts per request (prompt + output). */
  readonly contextWindow: number;
}

/** Published list prices (USD) and context windows; a versioned name ("gpt-5.1-2025-11-13") matches its family. */
export const MODEL_TABLE: Readonly<
  Record<string, { inputPerMTok: number; cachedInputPerMTok: number; outputPerMTok: number; contextWindow: number }>
> = {
  'gpt-5.1': { inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10, contextWindow: 400_000 },
  'gpt-5': { inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10, contextWindow: 400_000 },
  'gpt-5-mini': { inputPerMTok: 0.25, cachedInputPerMTok: 0.025, outputPerMTok: 2, contextWindow: 400_000 },
  'gpt-5-nano': { inputPerMTok: 0.05, cachedInputPerMTok: 0.005, outputPerMTok: 0.4, contextWindow: 400_000 },
  'gpt-4.1': { inputPerMTok: 2, cachedInputPerMTok: 0.5, outputPerMTok: 8, contextWindow: 1_047_576 },
  'gpt-4.1-mini': { inputPerMTok: 0.4, cachedInputPerMTok: 0.1, outputPerMTok: 1.6, contextWindow: 1_047_576 },
  'gpt-4.1-nano': { inputPerMTok: 0.1, cachedInputPerMTok: 0.025, outputPerMTok: 0.4, contextWindow: 1_047_576 },
  'gpt-4o': { inputPerMTok: 2.5, cachedInputPerMTok: 1.25, outputPerMTok: 10, contextWindow: 128_000 },
  'gpt-4o-mini': { inputPerMTok: 0.15, cachedInputPerMTok: 0.075, outputPerMTok: 0.6, contextWindow: 128_000 },
  o3: { inputPerMTok: 2, cachedInputPerMTok: 0.5, outputPerMTok: 8, contextWindow: 200_000 },
  'o4-mini': { inputPerMTok: 1.1, cachedInputPerMTok: 0.275, outputPerMTok: 4.4, contextWindow: 200_000 },
};

/** The context window assumed for a model the table does not know (and the spec does not say). */
export const DEFAULT_CONTEXT_WINDOW = 128_000;

/** The longest table entry that `name` equals or extends with "-<suffix>" (so "gpt-5-mini-x" is not "gpt-5"). */
function tableEntry(name: string) {
  const keys = Object.keys(MODEL_TABLE)
    .filter((k) => name === k || name.startsWith(`${k}-`))
    .sort((a, b) => b.length - a.length);
  for (const k of keys) {
    const rest = name.slice(k.length + 1);
    // "gpt-5-mini" must not match "gpt-5" through the suffix "mini": only dates/versions extend a family.
    if (name === k || /^\d/.test(rest) || rest === 'latest' || rest.startsWith('chat')) return MODEL_TABLE[k];
  }
  return undefined;
}

/** Price and context window for `name`, the spec's overrides first. */
export function modelInfo(
  name: string | null,
  overrides: { price?: ModelPrice; contextWindow?: number } = {},
): ModelInfo {
  const entry = name ? tableEntry(name) : undefined;
  return {
    price:
      overrides.price ??
      (entry
        ? {
            inputPerMTok: entry.inputPerMTok,
            cachedInputPerMTok: entry.cachedInputPerMTok,
            outputPerMTok: entry.outputPerMTok,
          }
        : null),
    contextWindow: overrides.contextWindow ?? entry?.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
  };
}

/**
 * Cost in US dollars of `input` and `output` tokens at `price`; `cached` of the input tokens (served from the
 * provider's prompt cache) at the cached-input price.
 */
export function costOf(price: ModelPrice, input: number, output: number, cached = 0): number {
  const hit = Math.min(Math.max(0, cached), input);
  const cachedPrice = price.cachedInputPerMTok ?? price.inputPerMTok;
  return ((input - hit) * price.inputPerMTok + hit * cachedPrice + output * price.outputPerMTok) / 1_000_000;
}
