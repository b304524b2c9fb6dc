// Bud's additions to the options of the job-queue instrumentations (amqplib).
// Owns these option hooks; must not load any instrumentation.
import type { Enricher } from './enrich.ts';

export const queueEnrichers: Readonly<Record<string, Enricher>> = {};
