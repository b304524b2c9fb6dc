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
import { pathToFileURL } from 'node:url';

const requireFromDist = createRequire(import.meta.url);

export function loadChunk<T>(name: string): T {
  return requireFromDist(`./lazy/${name}.cjs`) as T;
}

/** Resolves a package from the agent's own install, for the pieces that stay unbundled. */
export function requireExternal<T>(specifier: string): T {
  return requireFromDist(specifier) as T;
}

/** The file URL of a file in a package of the agent's own install. */
export function resolveExternal(specifier: string): string {
  return pathToFileURL(requireFromDist.resolve(specifier)).href;
}
