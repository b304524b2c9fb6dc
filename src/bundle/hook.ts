// The boot bundle's part of bundle support, kept tiny: the load-hook transform that sends an
// app file that may be a bundle (three substring checks) to the lazily loaded chunk
// (chunk.ts), and the bundle hook (contract.ts) published at boot, whose methods load that
// chunk on their first call, so that a plugin-built bundle (which carries no sign a load hook
// could see) reaches the instrumentations too. Owns when the chunk loads; must not scan.
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { BundleHook } from './contract.ts';
import { BUNDLE_HOOK_KEY } from './contract.ts';
import { mayBeBundle } from './scan.ts';
import type { SourceTransform } from '../hooks/module-hooks.ts';
import { loadChunk } from '../lazy.ts';
import { warn } from '../errors.ts';

type Chunk = typeof import('./chunk.ts');

export interface BundleSupportOptions {
  isInstrumented(pkg: string): boolean;
  activate(pkg: string): void;
  instrumentations(): Iterable<Instrumentation>;
}

// The agent's own files are bundles too (dist/), and must load as they are.
const OWN_DIST = new URL('.', import.meta.url).href;

/** The transform for the module hooks: a rewritten bundle, or undefined for any other file. */
export function bundleTransform(opts: BundleSupportOptions): SourceTransform {
  return {
    // The app's own files: a library's file is not where an app's bundle is.
    wants: (url) => !url.includes('/node_modules/') && !url.startsWith(OWN_DIST),
    apply(url, source) {
      if (!mayBeBundle(source)) return undefined;
      try {
        return loadChunk<Chunk>('bundle').rewriteLoadedBundle(url, source, (pkg) => opts.isInstrumented(pkg));
      } catch (error) {
        warn('BUDOBSERVE_BUNDLE_FAILED', 'rewrite', [url], { cause: error, once: url });
        return undefined;
      }
    },
  };
}

/** Publishes the bundle hook for this thread (once; another copy's stays). */
export function publishBundleHook(opts: BundleSupportOptions): void {
  const g = globalThis as Record<symbol, unknown>;
  const key = Symbol.for(BUNDLE_HOOK_KEY);
  if (g[key] !== undefined) return;
  let runtime: BundleHook | undefined;
  const real = (): BundleHook => (runtime ??= loadChunk<Chunk>('bundle').createBundleRuntime(opts));
  const hook: BundleHook = {
    module: (exports, pkg, version, file, isMain) =>
      guard(exports, () => real().module(exports, pkg, version, file, isMain)),
    commonJS: (helper, versions) => guard(helper, () => real().commonJS(helper, versions)),
    webpack: (modules, versions) => guard(undefined, () => real().webpack(modules, versions)),
    esm: (bindings, pkg, version, file) => guard(undefined, () => real().esm(bindings, pkg, version, file)),
  };
  Object.defineProperty(g, key, { value: Object.freeze(hook), configurable: true, enumerable: false, writable: false });
}

/** The call's result, or `fallback` (the bundle's own value) with one warning when it throws. */
function guard<T>(fallback: T, call: () => T): T {
  try {
    return call();
  } catch (error) {
    warn('BUDOBSERVE_BUNDLE_FAILED', 'runtime', [], { cause: error, once: 'bundle-runtime' });
    return fallback;
  }
}
