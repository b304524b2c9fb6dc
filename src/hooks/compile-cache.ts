// Switches on Node's compile cache for the agent's bundle and the app, in Node's default
// folder (<temp>/node-compile-cache) and only when that folder passes trusted-dir.ts: Node
// itself makes it with mode 0777 minus the umask and accepts one of any owner, and what it
// holds is compiled code this process would run. Built on its own into
// dist/compile-cache.cjs: register runs it before it loads dist/boot.cjs, so the bundle is
// compiled from the cache. Must stay small and never throw into the app.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTrustedDir, reportUntrusted } from './trusted-dir.ts';

/** Called by register.mjs / register.cjs unless BUD_OBSERVE_COMPILE_CACHE=false. */
export function enableCompileCache(): void {
  try {
    const nodeModule = process.getBuiltinModule('node:module');
    if (typeof nodeModule.enableCompileCache !== 'function') return;
    // On already (NODE_COMPILE_CACHE, an earlier preload): the user chose that folder.
    if (nodeModule.getCompileCacheDir() !== undefined) return;
    const dir = join(tmpdir(), 'node-compile-cache');
    const verdict = ensureTrustedDir(dir);
    if (verdict.ok) {
      nodeModule.enableCompileCache(verdict.dir);
      return;
    }
    // Root's folder (closed to others) or an unwritable temp folder: Node would fail there too.
    if (verdict.benign !== true)
      reportUntrusted("Node's compile cache folder", dir, verdict.reason, "Node's compile cache stays off");
  } catch {
    // The cache only saves time; the app runs the same without it.
  }
}
