// The shape of one catalog entry, shared by the generated table (catalog.generated.ts), Bud's
// own (own-catalog.ts), the merged catalog (catalog.ts), activation (activate.ts), the build
// (scripts/build.mjs, which imports the catalog) and `budobserve doctor`. Its own module so
// that the tables can import it without importing the catalog that imports them. Owns these
// types; must hold nothing that runs.
import type { Instrumentation } from '@opentelemetry/instrumentation';

/** An instrumentation class as activate.ts constructs it: with the options of its name. */
export type InstrumentationClass = new (config: Record<string, unknown>) => Instrumentation;

/** The chunk built from an entry's `source`, handed to `load` typed as that module. */
export type Chunk = <Module>() => Module;

export interface CatalogEntry {
  /** Short name, as in OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http', 'express', 'pg'. */
  name: string;
  /**
   * What the build bundles as dist/lazy/instrumentation-<name>.cjs, spelled as an import of
   * it from this folder would be: a package, or one of Bud's files ('../libraries/hono.ts').
   */
  source: string;
  /**
   * The instrumentation class, from the chunk: `(chunk) => chunk<typeof import(<source>)>().Class`.
   * The type-level import makes tsc check that `source` exists and exports the class; at run
   * time activate.ts passes the separately bundled chunk (src/lazy.ts loadChunk), so nothing
   * of it enters dist/boot.cjs. test/catalog.test.mjs checks every built chunk against it.
   */
  load(chunk: Chunk): InstrumentationClass;
  /** Module names the instrumentation patches; empty means it hooks no module. */
  modules: string[];
  /** Tracer scopes of the library's own built-in tracing, which this integration replaces. */
  supersedes?: string[];
}
