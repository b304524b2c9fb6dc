// Bud's additions to the options of the SQL and Redis instrumentations (pg, mysql2, ioredis, redis).
// Owns these option hooks; must not load any instrumentation.
import type { Enricher } from './enrich.ts';

export const dbEnrichers: Readonly<Record<string, Enricher>> = {};
