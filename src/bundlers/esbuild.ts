// `@budobserve/agent/esbuild` (dist/esbuild.mjs): the esbuild plugin. It appends the hook
// footer (core.ts) to each CommonJS file of a package the agent instruments, resolves an
// import of such a package to its CommonJS build, and keeps require-in-the-middle and
// import-in-the-middle external. Runs in the user's build: imports only core.ts (and esbuild's
// types); must not import the agent's runtime, nor change a file it does not footer.
import { readFile } from 'node:fs/promises';
import type { ImportKind, Plugin, PluginBuild } from 'esbuild';
import {
  alternation,
  BundleCore,
  instrumentedPackages,
  KEPT_EXTERNAL,
  noCommonJsWarning,
  packageOfSpecifier,
} from './core.ts';

const RESOLVED_KINDS: ReadonlySet<ImportKind> = new Set(['import-statement', 'require-call', 'dynamic-import']);

/** The esbuild plugin: `plugins: [budobserve()]`. */
export function budobserve(): Plugin {
  return { name: 'budobserve', setup };
}

function setup(build: PluginBuild): void {
  let core = new BundleCore();
  const warned = new Set<string>();
  // A new build in watch mode or a context's rebuild() reads package.json files afresh.
  build.onStart(() => {
    core = new BundleCore();
    warned.clear();
  });
  build.onResolve({ filter: new RegExp(`^(?:${alternation(KEPT_EXTERNAL)})(?:/|$)`) }, (args) => ({
    path: args.path,
    external: true,
  }));
  const userExternal = externalMatcher(build);
  build.onResolve({ filter: new RegExp(`^(?:${alternation(instrumentedPackages)})(?:/|$)`) }, (args) => {
    if (args.namespace !== 'file' || args.resolveDir === '' || !RESOLVED_KINDS.has(args.kind)) return undefined;
    if (userExternal(args.path)) return undefined;
    const redirect = core.resolveCommonJs(args.path, args.resolveDir);
    if (redirect?.kind === 'commonjs') return { path: redirect.path };
    if (redirect?.kind === 'no-commonjs' && !warned.has(redirect.pkg)) {
      warned.add(redirect.pkg);
      return { warnings: [{ text: noCommonJsWarning(redirect.pkg) }] };
    }
    return undefined;
  });
  // Only files under node_modules/<instrumented package>/ reach JavaScript at all.
  const names = [...instrumentedPackages].map((n) => alternation([n]).replace('/', '[\\\\/]')).join('|');
  build.onLoad({ filter: new RegExp(`[\\\\/]node_modules[\\\\/](?:${names})[\\\\/].*\\.c?js$`) }, async (args) => {
    if (args.namespace !== 'file') return undefined;
    const footer = core.footer(args.path);
    if (footer === undefined) return undefined;
    return { contents: (await readFile(args.path, 'utf8')) + footer, loader: 'js' };
  });
}

/**
 * The user's own `external` and `packages: 'external'`: esbuild applies them after the plugins'
 * resolve callbacks, so a package kept external must not be resolved to a path here.
 */
function externalMatcher(build: PluginBuild): (spec: string) => boolean {
  if (build.initialOptions.packages === 'external') return () => true;
  const patterns = (build.initialOptions.external ?? []).map((p) => {
    const star = p.indexOf('*');
    return star < 0
      ? (s: string) => s === p || packageOfSpecifier(s) === p
      : (s: string) => s.length >= p.length - 1 && s.startsWith(p.slice(0, star)) && s.endsWith(p.slice(star + 1));
  });
  return (spec) => patterns.some((match) => match(spec));
}
