// The one contract between a bundled app and the agent: the global hook that the load-time
// rewrite (src/bundle/rewrite.ts) and the build plugins (src/bundlers/) put calls to in a bundle,
// so that a library module inside it reaches the same instrumentation as when it is required
// from node_modules. A bundle built with a plugin runs without the agent too: every call is
// guarded by `typeof hook === 'object'`, so the contract adds no runtime dependency.
// Versioned (undici's pattern): a bundle built against version 1 of this shape only ever calls
// version 1, whatever copy of the agent runs it. Owns the key and the shape; must hold nothing
// that runs.

/** globalThis key of the hook: `globalThis[Symbol.for(BUNDLE_HOOK_KEY)]`. */
export const BUNDLE_HOOK_KEY = 'budobserve.bundle.1';

export interface BundleHook {
  /**
   * A CommonJS library module inside a bundle has finished evaluating: its exports go through
   * the instrumentations of `pkg`, as require-in-the-middle would route them, and the bundle
   * uses what comes back (often the same object, patched).
   * @param exports the module's `module.exports`
   * @param pkg the package name ('pg', '@redis/client')
   * @param version the package's version, when the bundle knows it (plugins always do)
   * @param file the module's path inside its package, '/'-separated ('lib/index.js')
   * @param isMain whether it is the file the package's name resolves to (its entry), as opposed
   *   to an internal file that some instrumentations patch by path
   */
  module(exports: unknown, pkg: string, version: string | undefined, file: string, isMain: boolean): unknown;
  /**
   * Wraps esbuild's `__commonJS` helper (only the load-time rewrite calls this): each wrapper
   * then reports its module through `module()` when it first finishes evaluating.
   * @param versions the versions the rewrite found for the bundle's instrumented packages
   */
  commonJS<Helper extends (...args: never[]) => unknown>(helper: Helper, versions: Record<string, string>): Helper;
  /**
   * Wraps, in place, the factories of webpack's `__webpack_modules__` whose named ids are library
   * files (only the load-time rewrite calls this), like `commonJS()`.
   */
  webpack(modules: Record<string, unknown>, versions: Record<string, string>): void;
  /**
   * An ES-module library whose code esbuild inlined into the bundle's scope: `bindings` holds the
   * top-level classes and functions of its regions by name, which instrumentations that patch
   * prototypes can reach. What an instrumentation assigns to it does not reach the bundle.
   */
  esm(bindings: Record<string, unknown>, pkg: string, version: string | undefined, file: string): void;
}

/** The guarded call a plugin appends to a CommonJS library file (`module` is that file's own). */
export function commonJsFooter(pkg: string, version: string | undefined, file: string, isMain: boolean): string {
  const args = [JSON.stringify(pkg), version === undefined ? 'void 0' : JSON.stringify(version), JSON.stringify(file)];
  return (
    `\n;(function(h){if(typeof h==="object"&&h!==null&&typeof h.module==="function")` +
    `module.exports=h.module(module.exports,${args.join(',')},${String(isMain)})})` +
    `(globalThis[Symbol.for(${JSON.stringify(BUNDLE_HOOK_KEY)})]);\n`
  );
}
