// Bud's additions to the options each library instrumentation is constructed with, merged
// with the user's own (`instrumentations.<name>` in the config file): one enricher per
// instrumentation name, kept with its family in this folder (http.ts, db.ts, genai.ts,
// queue.ts, web.ts; their shared types in types.ts). Owns the dispatch; must not load any
// instrumentation.
import type { ResolvedConfig } from '../../config/types.ts';
import type { Enricher, Options } from './types.ts';
import { enrichHttp, enrichUndici } from './http.ts';
import { dbEnrichers } from './db.ts';
import { genAiEnrichers } from './genai.ts';
import { queueEnrichers } from './queue.ts';
import { webEnrichers } from './web.ts';

const enrichers: Readonly<Record<string, Enricher>> = {
  http: enrichHttp,
  undici: enrichUndici,
  ...webEnrichers,
  ...dbEnrichers,
  ...genAiEnrichers,
  ...queueEnrichers,
};

export function enrichOptions(name: string, user: Options | undefined, config: ResolvedConfig): Options {
  const enrich = enrichers[name];
  return enrich === undefined ? { ...user } : enrich(user, config);
}
