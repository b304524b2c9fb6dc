// `@budobserve/agent/webpack` (dist/webpack.cjs, CommonJS because a webpack.config.js
// require()s it; an ES-module config imports it too): the webpack 5 plugin. It resolves an
// import of a package the agent instruments to its CommonJS build, hands each CommonJS file of
// such a package to webpack-loader.ts (a post loader, by a rule, so the module's identifier and
// webpack's cache see it), which appends the hook footer, and keeps require-in-the-middle and
// import-in-the-middle external. Runs in the user's build: imports only core.ts (and webpack's
// types, reaching webpack itself through `compiler.webpack`); must not import the agent's runtime.
import { fileURLToPath } from 'node:url';
import type { Compiler, ExternalItemFunctionData } from 'webpack';
import { BundleCore, isKeptExternal, noCommonJsWarning, packageLocation } from './core.ts';

const NAME = 'BudObserveWebpackPlugin';
const LOADER = fileURLToPath(new URL('./webpack-loader.cjs', import.meta.url));

/** The webpack plugin: `plugins: [new BudObserveWebpackPlugin()]`. */
export class BudObserveWebpackPlugin {
  apply(compiler: Compiler): void {
    const { ExternalsPlugin, WebpackError } = compiler.webpack;
    new ExternalsPlugin(
      'node-commonjs',
      ({ request }: ExternalItemFunctionData, callback: (err?: Error | null, result?: string) => void) => {
        if (request !== undefined && isKeptExternal(request)) callback(null, request);
        else callback();
      },
    ).apply(compiler);

    let core = new BundleCore();
    compiler.options.module.rules.push({
      enforce: 'post',
      // Cheap by path first; the format check reads the file.
      resource: (path: string) => packageLocation(path) !== undefined,
      use: (data: { resource?: string }) => {
        const args = data.resource === undefined ? undefined : core.describe(data.resource);
        // An ident that spells the options: it is part of the module's identifier, so a cached
        // build of the file is one with the same footer.
        return args === undefined
          ? []
          : [{ loader: LOADER, options: args, ident: `budobserve:${JSON.stringify(args)}` }];
      },
    });

    compiler.hooks.thisCompilation.tap(NAME, (compilation, { normalModuleFactory }) => {
      core = new BundleCore();
      const warned = new Set<string>();
      // The resolve hook runs after externals (the factorize hook): a package the user keeps
      // external is never turned into a path here.
      normalModuleFactory.hooks.resolve.tap(NAME, (data) => {
        const { request, context } = data;
        if (/[!?]/.test(request)) return undefined;
        const redirect = core.resolveCommonJs(request, context);
        if (redirect?.kind === 'commonjs') data.request = redirect.path;
        else if (redirect?.kind === 'no-commonjs' && !warned.has(redirect.pkg)) {
          warned.add(redirect.pkg);
          compilation.warnings.push(new WebpackError(noCommonJsWarning(redirect.pkg)));
        }
        return undefined;
      });
    });
  }
}
