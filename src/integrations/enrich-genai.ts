// Bud's additions to the options of the LLM SDK instrumentations.
// Owns these option hooks; must not load any instrumentation.
import type { Enricher } from './enrich.ts';

export const genAiEnrichers: Readonly<Record<string, Enricher>> = {};
