// Loads a separately bundled piece of the agent (dist/lazy/*.cjs) synchronously, on first
// use. The build keeps what only some configurations need (each instrumentation, the
// metrics and logs SDKs) out of the boot bundle; loading stays synchronous, which
// --require preloads and the module hooks need. Only works from the built package: source
// files are never run directly.
// Where each chunk's entry is: scripts/build.mjs lazyEntries. The chunks that are mostly
// packages (SDKs, exporters, the shared instrumentation base) have theirs in
// src/chunks/<name>.ts; the auto-trace runtime and rewrite beside their code in
// src/autotrace/; an instrumentation's entry is its package.
// Owns loading chunks and the agent's own unbundled packages; must not decide when.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const requireFromDist = createRequire(import.meta.url);
const chunks = join(dirname(fileURLToPath(import.meta.url)), 'lazy');
let load: (file: string) => unknown = requireFromDist;

/**
 * How chunks are loaded from now on: through the agent's code cache when register made one
 * (src/hooks/code-cache.ts), which require()s them when it cannot.
 */
export function loadChunksWith(loader: (file: string) => unknown): void {
  load = loader;
}

export function loadChunk<T>(name: string): T {
  return load(join(chunks, `${name}.cjs`)) as T;
}

/** Resolves a package from the agent's own install, for the pieces that stay unbundled. */
export function requireExternal<T>(specifier: string): T {
  return requireFromDist(specifier) as T;
}

/** The file URL of a file in a package of the agent's own install. */
export function resolveExternal(specifier: string): string {
  return pathToFileURL(requireFromDist.resolve(specifier)).href;
}
