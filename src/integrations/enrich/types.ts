// The shape every enricher shares: the options an instrumentation is constructed with, and
// the function that adds Bud's to the user's. Its own module so that the dispatch (enrich.ts)
// can import the enrichers and they the types, with no import circle. Owns these two types;
// must hold nothing that runs.
import type { ResolvedConfig } from '../../config/types.ts';

/** An instrumentation's constructor options, as the config file gives them (`instrumentations.<name>`). */
export type Options = Record<string, unknown>;

/** Bud's additions merged with the user's own options; the user's win where both set one. */
export type Enricher = (user: Options | undefined, config: ResolvedConfig) => Options;
