// Which instrumentation serves which library, without loading any of them. Most of the table
// is generated (catalog.generated.ts) from @opentelemetry/auto-instrumentations-node, so the
// names and enable/disable lists mean what they mean there; Bud's own integrations
// (own-catalog.ts) add to it and replace an entry of the same name. Plain data: the build
// (scripts/build.mjs) and test/catalog.test.mjs import this module as it is, so it imports
// nothing but its two tables (and, for types only, catalog-entry.ts).
import { generatedCatalog } from './catalog.generated.ts';
import { ownCatalog } from './own-catalog.ts';
import type { CatalogEntry } from './catalog-entry.ts';

export const catalog: readonly CatalogEntry[] = [
  ...generatedCatalog.filter((g) => !ownCatalog.some((o) => o.name === g.name)),
  ...ownCatalog,
];

/**
 * Off unless named in `instrumentations.enabled`: fs, dns and net add a span to nearly
 * every operation; host-metrics and runtime-node start timers in every process, which is
 * not ours to decide for the user; router is what Express 5 routes through, which the express
 * instrumentation already covers, so with both on every middleware span came twice (an app
 * using `router` on its own names it).
 */
export const disabledByDefault: ReadonlySet<string> = new Set([
  'fs',
  'dns',
  'net',
  'host-metrics',
  'runtime-node',
  'router',
]);

let names: string[] | undefined;
export function catalogNames(): string[] {
  return (names ??= catalog.map((e) => e.name));
}
