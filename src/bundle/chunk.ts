// Entry of the lazily loaded chunk dist/lazy/bundle.cjs (loadChunk, src/lazy.ts): everything
// about bundles that only a bundle needs: the scan, the rewrite, versions and the runtime.
// The boot bundle keeps only hook.ts, which loads this the first time an app file may be a
// bundle or a plugin-built bundle calls the hook.
import { fileURLToPath } from 'node:url';
import { pluginMarks, scanBundle } from './scan.ts';
import { rewriteBundle } from './rewrite.ts';
import { versionBeside } from './versions.ts';
import { debug } from '../debug.ts';
import { warn } from '../errors.ts';

export { createBundleRuntime } from './runtime.ts';

/** The rewritten bundle, or undefined to load it as it is. */
export function rewriteLoadedBundle(
  url: string,
  source: string,
  isInstrumented: (pkg: string) => boolean,
): string | undefined {
  const scan = scanBundle(source);
  if (scan === undefined) return undefined;
  const path = fileURLToPath(url);
  // A package a build plugin marked reaches the hook through its marks: hooking it here too
  // would patch it twice.
  const marked = pluginMarks(source);
  const pnpm = new Map(scan.modules.flatMap((m) => (m.version === undefined ? [] : [[m.pkg, m.version] as const])));
  const rewritten = rewriteBundle(source, scan, {
    isInstrumented: (pkg) => isInstrumented(pkg) && !marked.has(pkg),
    versionOf: (pkg) => pnpm.get(pkg) ?? scan.bundledVersions.get(pkg) ?? versionBeside(path, pkg),
  });
  debug(
    'bundle %s: %d library modules, hooked %s',
    url,
    scan.modules.length,
    rewritten?.hooked.map((h) => `${h.pkg} (${h.form})`).join(', ') ?? 'none',
  );
  // Libraries the bundle shows but the rewrite could not reach (a bundler runtime of a shape it
  // does not know): the bundle runs as it is, and the user hears once why they are not traced.
  const hooked = new Set(rewritten?.hooked.map((h) => h.pkg));
  const missed = [
    ...new Set(
      scan.modules.filter((m) => isInstrumented(m.pkg) && !marked.has(m.pkg) && !hooked.has(m.pkg)).map((m) => m.pkg),
    ),
  ];
  if (missed.length > 0) warn('BUDOBSERVE_BUNDLE_FAILED', 'shape', [url, missed.join(', ')], { once: url });
  return rewritten?.code;
}
