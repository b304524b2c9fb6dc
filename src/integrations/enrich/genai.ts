// Bud's additions to the options of the LLM SDK instrumentations (openai, anthropic: both
// Bud's own, src/libraries/openai.ts and anthropic.ts): content capture and the user's prices, from the
// resolved config. Owns these option hooks; must not load any instrumentation.
import type { Enricher, Options } from './types.ts';

/** The user's `instrumentations.<name>` options win over the config-wide settings; prices merge, theirs last. */
const genAi: Enricher = (user, config) => {
  const own = (user ?? {}) as Options & { captureContent?: unknown; prices?: unknown };
  const prices = typeof own.prices === 'object' && own.prices !== null ? own.prices : {};
  return {
    ...own,
    captureContent: typeof own.captureContent === 'boolean' ? own.captureContent : config.capture.genAiContent,
    prices: { ...config.genAi.prices, ...prices },
  };
};

export const genAiEnrichers: Readonly<Record<string, Enricher>> = { openai: genAi, anthropic: genAi };
