// The module hooks: one in-thread `module.registerHooks()` pair that sees every `import`
// and `require()`, so an instrumentation is enabled just before its library first loads.
// In-thread hooks cost ~15 ms at start-up; the off-thread `module.register()` kind cost
// ~100 ms and 13 MiB here, so that kind is used only where in-thread hooks cannot run
// import-in-the-middle (22.18–22.22.2, 24.11.0).
//
// Instrumentations patch a library's exports as require() returns them
// (require-in-the-middle). An ES module that imports an instrumented library gets it
// another way, and the hooks bridge the gap without import-in-the-middle where they can:
// - a builtin (`import http from 'node:http'`): required once through the patched
//   require(), then module.syncBuiltinESMExports() refreshes the ES-module view;
// - a CommonJS package (`import express from 'express'`): the import is served by a small
//   ES module that, when evaluated (where the package itself would have been), require()s
//   the package through the patched require() and re-exports it. Node's own CommonJS
//   import reuses that cached, patched module.exports.
// Only a library that is itself an ES module needs import-in-the-middle, whose loader
// (two WebAssembly lexers, ~20 ms) is therefore loaded the first time that happens.
//
// The source transforms (the bundle rewrite, src/bundle/, then the auto-tracing rewrite,
// src/autotrace/hook/) hang their load hook here too. Owns hook
// installation and the ES-module bridge; must not decide what is instrumented.
// Named imports, which the bundle turns into property reads at each call (no copy of the whole
// module at load, as a namespace import makes): registerHooks does not exist on the old Node
// releases where this file must still load far enough to say that they are unsupported.
import {
  createRequire,
  findPackageJSON,
  register as registerOffThread,
  registerHooks,
  syncBuiltinESMExports,
} from 'node:module';
import type { LoadFnOutput, LoadHookContext, ResolveFnOutput, ResolveHookContext } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { requireExternal, resolveExternal } from '../lazy.ts';
import { warn } from '../errors.ts';
import { debug } from '../debug.ts';
import { kHooksInstalled } from '../symbols.ts';
import { wrappedImports } from './esm-wrapper.ts';
import { supportsSyncHooks } from './sync-hooks.ts';

export interface ModuleHooksOptions {
  /** Sees every specifier before it resolves; may enable instrumentations. */
  onSpecifier(specifier: string): void;
  /** Whether an enabled instrumentation patches what this specifier names. */
  isHooked: (specifier: string) => boolean;
  /** Every module name an instrumentation could hook, for the off-thread fallback. */
  allModules: readonly string[];
  /** The source rewrites: new source for an app module, or undefined to leave it. */
  transform?: SourceTransform | undefined;
}

export interface SourceTransform {
  /** Whether the transform may change this file: asked before its source is read. */
  wants(url: string): boolean;
  apply(url: string, source: string, format: string): string | undefined;
}

const JS_FORMATS = new Set(['module', 'commonjs', 'module-typescript', 'commonjs-typescript']);

type NextResolve = (specifier: string, context?: ResolveHookContext) => ResolveFnOutput;
type NextLoad = (url: string, context?: LoadHookContext) => LoadFnOutput;
interface IitmHook {
  resolveSync(specifier: string, context: ResolveHookContext, next: NextResolve): ResolveFnOutput;
  loadSync(url: string, context: LoadHookContext, next: NextLoad): LoadFnOutput;
  applyOptions(options: { shouldInclude(url: string, specifier: string): boolean }): void;
}

const BRIDGE = 'budobserve-bridge';
const PRELOAD = 'budobserve-preload';

function withMarker(url: string, marker: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${marker}`;
}

function withoutMarker(url: string, marker: string): string {
  return url.replace(new RegExp(`[?&]${marker}$`), '');
}

/** The module format of a resolved file URL, as Node would decide it. */
export function formatOf(url: string, resolved: string | null | undefined): string | undefined {
  if (resolved) return resolved;
  if (!url.startsWith('file:')) return undefined;
  const path = url.replace(/[?#].*$/, '');
  if (path.endsWith('.cjs')) return 'commonjs';
  if (path.endsWith('.mjs')) return 'module';
  if (!path.endsWith('.js')) return undefined;
  try {
    const pkg = findPackageJSON(path);
    if (pkg === undefined) return 'commonjs';
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: string }).type === 'module' ? 'module' : 'commonjs';
  } catch {
    return undefined;
  }
}

export function installModuleHooks(opts: ModuleHooksOptions): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[kHooksInstalled] === true) return;
  g[kHooksInstalled] = true;

  const inThread = supportsSyncHooks();
  if (!inThread) {
    try {
      registerOffThread('import-in-the-middle/hook.mjs', import.meta.url, {
        data: { include: [...opts.allModules] },
      });
    } catch (error) {
      warn('BUDOBSERVE_HOOKS_FAILED', 'iitmInstall', [], { cause: error });
    }
  }
  const esm = new EsmLibraries(opts.isHooked);
  const resolve = resolveHook(opts, inThread, esm);
  const load = loadHook(opts, inThread, esm);
  // Where the off-thread loader runs (old releases), it does the ES-module work and a
  // pass-through load hook here would even be refused (a null CommonJS source).
  registerHooks(inThread || opts.transform !== undefined ? { resolve, load } : { resolve });
}

/**
 * What the hooks learn about the libraries an ES module imports: formats and pure wrappers
 * by URL, and import-in-the-middle, loaded the first time a library needs it.
 */
class EsmLibraries {
  /** import-in-the-middle's in-thread hook, once loaded: from then on it sees every module. */
  iitm: IitmHook | undefined;
  readonly #isHooked: (specifier: string) => boolean;
  readonly #formats = new Map<string, string | undefined>();
  // An ES-module entry that only re-exports CommonJS files (esm-wrapper.ts), by URL.
  readonly #wrappers = new Map<string, boolean>();

  constructor(isHooked: (specifier: string) => boolean) {
    this.#isHooked = isHooked;
  }

  isModule(url: string): boolean {
    if (!this.#formats.has(url)) this.#formats.set(url, formatOf(url, undefined));
    return this.#formats.get(url) === 'module';
  }

  wrapsCommonJs(url: string): boolean {
    let known = this.#wrappers.get(url);
    if (known === undefined) {
      known = wrappedImports(url)?.every((u) => formatOf(u, undefined) === 'commonjs') === true;
      this.#wrappers.set(url, known);
    }
    return known;
  }

  /** Loads import-in-the-middle (undefined, with one warning, when it cannot be). */
  loadIitm(): IitmHook | undefined {
    try {
      const { createHook } = requireExternal<{ createHook: (meta: { url: string }) => IitmHook }>(
        'import-in-the-middle/create-hook.mjs',
      );
      // meta.url names import-in-the-middle's own hook file, from which it finds its
      // runtime (lib/register.js) for the wrappers it generates.
      const hook = createHook({ url: resolveExternal('import-in-the-middle/hook.mjs') });
      hook.applyOptions({
        shouldInclude: (url, specifier) => this.#isHooked(specifier) && this.isModule(url) && !this.wrapsCommonJs(url),
      });
      debug('import-in-the-middle loaded for an ES-module library');
      this.iitm = hook;
      return hook;
    } catch (error) {
      warn('BUDOBSERVE_HOOKS_FAILED', 'iitmLoad', [], { cause: error, once: 'iitm' });
      return undefined;
    }
  }
}

type ResolveHook = (specifier: string, context: ResolveHookContext, nextResolve: NextResolve) => ResolveFnOutput;
type LoadHook = (url: string, context: LoadHookContext, nextLoad: NextLoad) => LoadFnOutput;

/** Every specifier enables what it names, and an import of a hooked library gets the patched one. */
function resolveHook(opts: ModuleHooksOptions, inThread: boolean, esm: EsmLibraries): ResolveHook {
  return (specifier, context, nextResolve) => {
    try {
      opts.onSpecifier(specifier);
    } catch {
      // an instrumentation failing to enable is reported where it fails; resolution goes on
    }
    const result =
      esm.iitm !== undefined ? esm.iitm.resolveSync(specifier, context, nextResolve) : nextResolve(specifier, context);
    if (
      !inThread ||
      context.conditions?.includes('import') !== true ||
      result.url.includes('iitm=') ||
      !opts.isHooked(specifier)
    )
      return result;
    try {
      if (result.url.startsWith('node:')) {
        // Patch the builtin now, before its ES-module view is made (or refresh that view).
        createRequire(context.parentURL ?? import.meta.url)(result.url);
        syncBuiltinESMExports();
        return result;
      }
      const format = formatOf(result.url, result.format);
      if (format === 'commonjs') return { url: withMarker(result.url, BRIDGE), format: 'module', shortCircuit: true };
      if (format === 'module' && esm.wrapsCommonJs(result.url)) {
        // Its CommonJS build, through the patched require(), before the wrapper imports it.
        createRequire(context.parentURL ?? import.meta.url)(specifier);
        return result;
      }
      if (format === 'module' && esm.iitm === undefined) {
        const iitm = esm.loadIitm();
        if (iitm !== undefined) return iitm.resolveSync(specifier, context, nextResolve);
      }
    } catch (error) {
      warn('BUDOBSERVE_HOOKS_FAILED', 'prepare', [specifier], { cause: error, once: specifier });
    }
    return result;
  };
}

/** Serves the bridge modules of resolveHook, and the auto-trace rewrite of the app's modules. */
function loadHook(opts: ModuleHooksOptions, inThread: boolean, esm: EsmLibraries): LoadHook {
  return (url, context, nextLoad) => {
    if (url.endsWith(BRIDGE)) {
      const real = withoutMarker(url, BRIDGE);
      const pre = JSON.stringify(withMarker(real, PRELOAD));
      return {
        format: 'module',
        shortCircuit: true,
        source: `import ${pre};\nexport * from ${JSON.stringify(real)};\nexport { default } from ${JSON.stringify(real)};\n`,
      };
    }
    if (url.endsWith(PRELOAD)) {
      const real = withoutMarker(url, PRELOAD);
      return {
        format: 'module',
        shortCircuit: true,
        source: `import { createRequire } from 'node:module';\ncreateRequire(${JSON.stringify(real)})(${JSON.stringify(fileURLToPath(real))});\n`,
      };
    }
    let result = esm.iitm !== undefined ? esm.iitm.loadSync(url, context, nextLoad) : nextLoad(url, context);
    // With the off-thread loader also installed (old releases), Node refuses the null
    // CommonJS source its own loader hands back; read the file instead.
    if (
      !inThread &&
      result.format === 'commonjs' &&
      (result.source === undefined || result.source === null) &&
      url.startsWith('file:')
    ) {
      result = { ...result, source: readFileSync(fileURLToPath(url), 'utf8') };
    }
    if (opts.transform === undefined || !url.startsWith('file:') || !opts.transform.wants(url)) return result;
    return transformed(opts.transform, url, result);
  };
}

/** A loaded JavaScript module with the auto-trace rewrite applied, or as it was. */
function transformed(transform: SourceTransform, url: string, result: LoadFnOutput): LoadFnOutput {
  // A .js file that require() loads comes back without a format (Node decides it when it
  // compiles); the package's "type" says which it will be.
  const format = result.format ?? formatOf(url, undefined);
  if (format === undefined || !JS_FORMATS.has(format)) return result;
  try {
    // A require() pulled into the ES-module graph can come back without source.
    const source =
      result.source === undefined || result.source === null
        ? readFileSync(fileURLToPath(url), 'utf8')
        : typeof result.source === 'string'
          ? result.source
          : Buffer.from(result.source as Uint8Array).toString('utf8');
    const rewritten = transform.apply(url, source, format);
    if (rewritten !== undefined) return { ...result, source: rewritten, shortCircuit: true };
  } catch (error) {
    warn('BUDOBSERVE_AUTOTRACE_FAILED', 'load', [url], { cause: error, once: url });
  }
  return result;
}
