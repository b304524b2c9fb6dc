// Bud's additions to the options of the web framework instrumentations (express, koa, nestjs-core).
// Owns these option hooks; must not load any instrumentation.
import type { Enricher } from './enrich.ts';

export const webEnrichers: Readonly<Record<string, Enricher>> = {};
