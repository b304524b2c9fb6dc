// The start of the agent in a thread, as register.mjs and register.cjs run it: Node's
// compile cache switched on, then dist/boot.cjs loaded through the agent's own code cache
// (code-cache.ts), both in Node's default folder (<temp>/node-compile-cache) and only when
// that folder passes trusted-dir.ts: Node itself makes it with mode 0777 minus the umask
// and accepts one of any owner, and what it holds is compiled code this process would run.
// Built on its own into dist/compile-cache.cjs, which is compiled without any cache: must
// stay small and never throw into the app.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTrustedDir, reportUntrusted } from './trusted-dir.ts';
import { CodeCache } from './code-cache.ts';

/**
 * Switches Node's compile cache on in the trusted folder, unless it is on already
 * (NODE_COMPILE_CACHE, an earlier preload: the user chose that folder). Returns the trusted
 * folder, where the agent keeps its own code cache, or undefined when there is none.
 */
export function enableCompileCache(): string | undefined {
  try {
    const nodeModule = process.getBuiltinModule('node:module');
    if (typeof nodeModule.enableCompileCache !== 'function') return undefined;
    const dir = join(tmpdir(), 'node-compile-cache');
    const verdict = ensureTrustedDir(dir);
    if (verdict.ok) {
      if (nodeModule.getCompileCacheDir() === undefined) nodeModule.enableCompileCache(verdict.dir);
      return verdict.dir;
    }
    // Root's folder (closed to others) or an unwritable temp folder: Node would fail there too.
    if (verdict.benign !== true)
      reportUntrusted("Node's compile cache folder", dir, verdict.reason, "Node's compile cache stays off");
  } catch {
    // The cache only saves time; the app runs the same without it.
  }
  return undefined;
}

/**
 * Starts the agent in this thread (register.mjs, register.cjs).
 * @param options.cache false with BUD_OBSERVE_COMPILE_CACHE=false: no cache of either kind.
 * @param options.flags the process's Node flags (execArgv and NODE_OPTIONS): part of the code cache's key.
 */
export function startAgent(options: { cache: boolean; flags: string }): void {
  const bootFile = fileURLToPath(new URL('./boot.cjs', import.meta.url));
  const dir = options.cache ? enableCompileCache() : undefined;
  if (dir === undefined) {
    (process.getBuiltinModule('node:module').createRequire(bootFile)(bootFile) as Boot).start({});
    return;
  }
  const cache = new CodeCache(dir, options.flags);
  (cache.load(bootFile) as Boot).start({ load: (file) => cache.load(file) });
}

/** dist/boot.cjs as seen from here: its start, told how to load its lazy chunks. */
interface Boot {
  start(input: { load?: (file: string) => unknown }): unknown;
}
