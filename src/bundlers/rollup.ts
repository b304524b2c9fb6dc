// `@budobserve/agent/rollup` (dist/rollup.mjs): the Rollup 4 plugin, whose hooks are the ones
// Vite's SSR build and rolldown also call. It resolves an import of a package the agent
// instruments to its CommonJS build (ahead of node-resolve), appends the hook footer to each
// CommonJS file of such a package before @rollup/plugin-commonjs turns it into an ES module, and
// keeps Node's builtins, require-in-the-middle and import-in-the-middle external. Runs in the user's build: imports only core.ts (and Rollup's types); must not
// import the agent's runtime, nor change a file it does not footer.
import { isBuiltin } from 'node:module';
import { dirname, isAbsolute } from 'node:path';
import type { Plugin, PluginContext, ResolveIdResult } from 'rollup';
import { BundleCore, isKeptExternal, noCommonJsWarning } from './core.ts';

/** The Rollup plugin: `plugins: [budobserve(), nodeResolve(), commonjs()]`. */
export function budobserve(): Plugin {
  let core = new BundleCore();
  const warned = new Set<string>();
  function resolveId(this: PluginContext, source: string, importer: string | undefined): ResolveIdResult {
    if (isBuiltin(source) || isKeptExternal(source)) return { id: source, external: true };
    const from = importer === undefined ? undefined : fileOf(importer);
    if (from === undefined) return null;
    const redirect = core.resolveCommonJs(source, dirname(from));
    if (redirect?.kind === 'commonjs') return redirect.path;
    if (redirect?.kind === 'no-commonjs' && !warned.has(redirect.pkg)) {
      warned.add(redirect.pkg);
      this.warn(noCommonJsWarning(redirect.pkg));
    }
    return null;
  }
  return {
    name: 'budobserve',
    // The resolver goes right after @rollup/plugin-commonjs's own (which it puts first, and
    // which wraps what the next ones resolve when a CommonJS module is imported) and before any
    // other, such as node-resolve, which would pick an ES-module build: wherever the plugin is
    // listed. A host that ignores what the options hook returns gets this plugin's own
    // resolveId, the same function (what one resolved, the other never sees).
    options(input) {
      // Left as given (nested lists, promises, false): Rollup normalises them after this hook.
      const given = Array.isArray(input.plugins) ? input.plugins : [input.plugins];
      const at = given.findIndex((p) => isNamed(p, 'commonjs--resolver')) + 1;
      const plugins = [...given.slice(0, at), { name: 'budobserve--resolver', resolveId }, ...given.slice(at)];
      return { ...input, plugins };
    },
    buildStart() {
      core = new BundleCore();
      warned.clear();
    },
    resolveId,
    transform: {
      // Before @rollup/plugin-commonjs turns the file into an ES module.
      order: 'pre',
      handler(code, id) {
        const file = fileOf(id);
        const footer = file === undefined ? undefined : core.footer(file);
        // map: null, since appending moves no code: the incoming source map stays as it is.
        return footer === undefined ? null : { code: code + footer, map: null };
      },
    },
  };
}

function isNamed(plugin: unknown, name: string): boolean {
  return typeof plugin === 'object' && plugin !== null && (plugin as { name?: unknown }).name === name;
}

/** The file behind a module id; undefined for a virtual module ('\0…') or one with a query. */
function fileOf(id: string): string | undefined {
  return id.startsWith('\0') || id.includes('?') || !isAbsolute(id) ? undefined : id;
}
