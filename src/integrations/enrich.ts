// Bud's additions to the options each library instrumentation is constructed with, merged
// with the user's own (`instrumentations.<name>` in the config file): one enricher per
// instrumentation name, kept with its family in enrich-*.ts. Owns the dispatch; must not
// load any instrumentation.
import type { ResolvedConfig } from '../config/types.ts';
import { enrichHttp, enrichUndici } from './enrich-http.ts';
import { dbEnrichers } from './enrich-db.ts';
import { genAiEnrichers } from './enrich-genai.ts';
import { queueEnrichers } from './enrich-queue.ts';
import { webEnrichers } from './enrich-web.ts';

export type Options = Record<string, unknown>;
export type Enricher = (user: Options | undefined, config: ResolvedConfig) => Options;

const enrichers: Readonly<Record<string, Enricher>> = { http: enrichHttp, undici: enrichUndici, ...webEnrichers, ...dbEnrichers, ...genAiEnrichers, ...queueEnrichers };

export function enrichOptions(name: string, user: Options | undefined, config: ResolvedConfig): Options {
  const enrich = enrichers[name];
  return enrich === undefined ? { ...user } : enrich(user, config);
}
