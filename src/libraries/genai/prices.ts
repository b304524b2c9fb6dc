// LLM list prices and the lookup that turns a model name and token counts into
// gen_ai.usage.cost (US dollars). Owns the built-in table and the matching rules; must not
// read configuration itself (the user's prices arrive as an argument, from config.genAi.prices).
//
// These are the providers' public LIST prices, USD per 1M tokens, as of 2025-11-01 (standard
// tier, no batch, cache or regional discounts). They go stale: every entry is overridable by
// `genAi.prices` in the config file or BUD_OBSERVE_GENAI_PRICES, and a user entry always wins.

export interface ModelPrice {
  /** USD per 1M input (prompt) tokens. */
  input: number;
  /** USD per 1M output (completion) tokens. */
  output: number;
}

export const builtInPrices: Readonly<Record<string, ModelPrice>> = {
  // OpenAI, https://openai.com/api/pricing
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4-turbo': { input: 10, output: 30 },
  'gpt-4': { input: 30, output: 60 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
  o1: { input: 15, output: 60 },
  'o1-mini': { input: 1.1, output: 4.4 },
  o3: { input: 2, output: 8 },
  'o3-mini': { input: 1.1, output: 4.4 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
  'text-embedding-ada-002': { input: 0.1, output: 0 },
  // Anthropic, https://www.anthropic.com/pricing#api
  'claude-opus-4-5': { input: 5, output: 25 },
  'claude-opus-4-1': { input: 15, output: 75 },
  'claude-opus-4': { input: 15, output: 75 },
  'claude-sonnet-4-5': { input: 3, output: 15 },
  'claude-sonnet-4': { input: 3, output: 15 },
  'claude-haiku-4-5': { input: 1, output: 5 },
  'claude-3-7-sonnet': { input: 3, output: 15 },
  'claude-3-5-sonnet': { input: 3, output: 15 },
  'claude-3-5-haiku': { input: 0.8, output: 4 },
  'claude-3-opus': { input: 15, output: 75 },
  'claude-3-haiku': { input: 0.25, output: 1.25 },
};

/**
 * A prefix matches only up to a separator, and not when a version number follows: 'gpt-4o'
 * prices the dated snapshot 'gpt-4o-2024-08-06', 'gpt-4' prices 'gpt-4-0613' and
 * 'claude-3-5-haiku' 'claude-3-5-haiku-latest', but 'gpt-4' does not price 'gpt-4o' or
 * 'gpt-4.5-preview' and 'claude-opus-4' does not price 'claude-opus-4-6': those are other
 * models, at other prices, and no cost beats a wrong one.
 */
const SEPARATOR = /^[-_@:]/;
const VERSION = /^-\d{1,2}(?!\d)/;

export class PriceTable {
  readonly #table: Record<string, ModelPrice>;
  /** Keys longest first: the first prefix that matches is the longest. */
  readonly #byLength: string[];
  readonly #cache = new Map<string, ModelPrice | null>();

  constructor(user: Readonly<Record<string, ModelPrice>> = {}) {
    // No prototype: a model named 'constructor' must not find Object's.
    this.#table = Object.assign(Object.create(null) as Record<string, ModelPrice>, builtInPrices, user);
    this.#byLength = Object.keys(this.#table).sort((a, b) => b.length - a.length);
  }

  /** Exact name first, then the longest prefix; a routed name ('openai/gpt-4o', LiteLLM's style) also tries its last part. */
  lookup(model: string): ModelPrice | undefined {
    let hit = this.#cache.get(model);
    if (hit === undefined) {
      hit = this.#find(model) ?? null;
      const slash = model.lastIndexOf('/');
      if (hit === null && slash !== -1) hit = this.#find(model.slice(slash + 1)) ?? null;
      if (this.#cache.size < 1024) this.#cache.set(model, hit);
    }
    return hit ?? undefined;
  }

  #find(model: string): ModelPrice | undefined {
    const exact = this.#table[model];
    if (exact !== undefined) return exact;
    for (const key of this.#byLength) {
      if (model.length > key.length && model.startsWith(key) && this.#suffixOk(model.slice(key.length)))
        return this.#table[key];
    }
    return undefined;
  }

  #suffixOk(rest: string): boolean {
    return SEPARATOR.test(rest) && !VERSION.test(rest);
  }

  /** USD for these token counts, or undefined when the model has no price. */
  cost(
    model: string | undefined,
    inputTokens: number | undefined,
    outputTokens: number | undefined,
  ): number | undefined {
    if (model === undefined || (inputTokens === undefined && outputTokens === undefined)) return undefined;
    const price = this.lookup(model);
    if (price === undefined) return undefined;
    return ((inputTokens ?? 0) * price.input + (outputTokens ?? 0) * price.output) / 1_000_000;
  }
}
