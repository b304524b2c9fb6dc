// Loads a separately bundled piece of the agent (dist/lazy/*.mjs) synchronously, on first
// use. The build splits what only some configurations need (an exporter per protocol, the
// metrics and logs SDKs, each instrumentation) out of the boot bundle; require() of an ES
// module (Node 22.12+) keeps the load synchronous, which --require preloads and the module
// hooks need. Only works from the built package: source files are never run directly.
import { createRequire } from 'node:module';

const requireFromDist = createRequire(import.meta.url);

export function loadChunk<T>(name: string): T {
  return requireFromDist(`./lazy/${name}.mjs`) as T;
}

/** Resolves a package from the agent's own install, for the pieces that stay unbundled. */
export function requireExternal<T>(specifier: string): T {
  return requireFromDist(specifier) as T;
}
