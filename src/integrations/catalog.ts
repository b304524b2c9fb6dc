// Which instrumentation serves which library, without loading any of them. Most of the table
// is generated (catalog.generated.ts) from @opentelemetry/auto-instrumentations-node, so the
// names and enable/disable lists mean what they mean there; Bud's own integrations
// (own-catalog.ts) add to it and replace an entry of the same name.
import { generatedCatalog } from './catalog.generated.ts';
import { ownCatalog } from './own-catalog.ts';

export interface CatalogEntry {
  /** Short name, as in OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http', 'express', 'pg'. */
  name: string;
  pkg: string;
  exportName: string;
  /** Module names the instrumentation patches; empty means it hooks no module. */
  modules: string[];
  /** Tracer scopes of the library's own built-in tracing, which this integration replaces. */
  supersedes?: string[];
}

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
export const disabledByDefault: ReadonlySet<string> = new Set(['fs', 'dns', 'net', 'host-metrics', 'runtime-node', 'router']);

let names: string[] | undefined;
export function catalogNames(): string[] {
  return (names ??= catalog.map((e) => e.name));
}
