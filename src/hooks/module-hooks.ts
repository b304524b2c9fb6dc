// The module hooks: one in-thread `module.registerHooks()` resolve hook that sees every
// `import` and `require()` (so instrumentations are enabled just before their library
// loads), and import-in-the-middle's loader, which wraps the ES-module namespaces of the
// instrumented libraries only. In-thread hooks cost ~15 ms at start-up; the off-thread
// `module.register()` kind cost ~100 ms and 13 MiB here, so it is used only where
// import-in-the-middle's synchronous loader cannot run (22.18–22.22.2, 24.11.0).
// The auto-tracing transform hangs its load hook here too. Owns hook installation; must not
// decide what is instrumented.
// A namespace import: registerHooks does not exist on the old Node releases where this file
// must still load far enough to say that they are unsupported.
import * as nodeModule from 'node:module';
import type { ResolveHookContext, ResolveFnOutput } from 'node:module';
import { requireExternal } from '../lazy.ts';
import { warn } from '../errors.ts';
import { kHooksInstalled } from '../symbols.ts';

export interface ModuleHooksOptions {
  /** Sees every specifier before it resolves; may enable instrumentations. Never throws. */
  onSpecifier(specifier: string): void;
  /** Whether import-in-the-middle wraps this ES module. */
  wrapEsm(url: string, specifier: string): boolean;
  /** Every module name an instrumentation could hook, for the off-thread fallback's include list. */
  allModules: readonly string[];
}

interface IitmSync {
  register(options: { shouldInclude(url: string, specifier: string): boolean }): void;
  supportsSyncHooks(): boolean;
}

export function installModuleHooks(opts: ModuleHooksOptions): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[kHooksInstalled] === true) return;
  g[kHooksInstalled] = true;

  // import-in-the-middle first: hooks registered later run first, and ours must have enabled
  // the instrumentation before import-in-the-middle decides whether to wrap the module.
  try {
    const iitm = requireExternal<IitmSync>('import-in-the-middle/register-hooks.mjs');
    if (iitm.supportsSyncHooks()) {
      iitm.register({ shouldInclude: (url, specifier) => opts.wrapEsm(url, specifier) });
    } else {
      nodeModule.register('import-in-the-middle/hook.mjs', import.meta.url, { data: { include: [...opts.allModules] } });
    }
  } catch (error) {
    warn('BUDOBSERVE_HOOKS_FAILED', 'import-in-the-middle could not be installed; libraries imported as ES modules are not instrumented', { cause: error });
  }

  nodeModule.registerHooks({
    resolve(specifier: string, context: ResolveHookContext, nextResolve: (s: string, c?: ResolveHookContext) => ResolveFnOutput): ResolveFnOutput {
      try {
        opts.onSpecifier(specifier);
      } catch {
        // an instrumentation failing to enable is reported where it fails; resolution goes on
      }
      return nextResolve(specifier, context);
    },
  });
}
