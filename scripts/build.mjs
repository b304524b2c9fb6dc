// Builds dist/ with esbuild. Bundling is what brings start-up within budget: the same OTel
// pipeline loaded from node_modules reads ~300 small files.
//
// - dist/boot.cjs: the start-up path, one CommonJS file. One file because every extra
//   module costs resolution and linking; CommonJS because require() of it needs no ES
//   module loader (a --require preload never starts one).
// - dist/compile-cache.cjs: register runs it first, to switch on Node's compile cache (in a
//   trusted folder) before dist/boot.cjs is compiled.
// - dist/lazy/*.cjs: what only some processes need, loaded on first use: each
//   instrumentation, the metrics and logs SDKs, b3, the OTLP/gRPC exporters with
//   @grpc/grpc-js, the auto-trace rewriter with @babel/parser, the cloud resource detectors, the tail sampler. They share vendor-api.cjs and
//   vendor-core.cjs (which hand out boot.cjs's own copies) and vendor-instrumentation.cjs
//   (one require-in-the-middle hook for all).
// - dist/index.mjs (the API), dist/cli.mjs, dist/hooks.mjs: ES modules for their users.
//
// Everything else is bundled: the installed package needs from node_modules only its
// runtime "dependencies" (test/pack.test.mjs installs the tarball and checks what dist/
// requires). import-in-the-middle stays external on purpose: its generated wrappers import
// the copy on disk, so a bundled copy would instrument nothing. cosmiconfig stays external
// until the agent's own config loader replaces it. Each bundle holds its own copy of
// @opentelemetry/api; the API keeps its state on globalThis under a versioned symbol, so the
// copies share one registry.
import { build } from 'esbuild';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { relative } from 'node:path';
import { vendorTypes } from './vendor-types.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const otelSdkVersion = JSON.parse(
  readFileSync(`${root}node_modules/@opentelemetry/sdk-trace/package.json`, 'utf8'),
).version;
// The catalog is plain data (src/integrations/catalog.ts, own entries already in place of
// generated ones of the same name), imported as TypeScript under Node's type stripping. Each
// entry's `source` is a package or, for Bud's own, a file relative to the catalog.
const catalogUrl = new URL('../src/integrations/catalog.ts', import.meta.url);
const { catalog } = await import(catalogUrl.href);
const instrumentations = catalog.map((e) => ({
  name: e.name,
  entry: e.source.startsWith('.') ? `./${relative(root, fileURLToPath(new URL(e.source, catalogUrl)))}` : e.source,
}));

// Built beside dist/ and swapped in whole, so a process starting meanwhile (a benchmark,
// a second terminal) never sees a half-written dist/.
const out = `dist.tmp-${process.pid}`;

// Node builds an ES-module facade for a builtin the first time it is `import`ed, reading
// every export, and some exports are lazy getters: the facade of node:http loads Node's
// whole bundled undici (~60 ms here). require() hands back the plain object and runs no
// getter, so in the ES-module bundles every builtin import becomes a require().
const builtinsAsRequire = {
  name: 'builtins-as-require',
  setup(b) {
    const names = new Set(builtinModules);
    b.onResolve({ filter: /^[a-z_:/0-9]+$/ }, (args) => {
      const bare = args.path.replace(/^node:/, '');
      if (!names.has(bare) || args.namespace === 'builtin-require') return undefined;
      return { path: `node:${bare}`, namespace: 'builtin-require' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

// Some OTel packages are built with rolldown, which turns a plain require() into its own
// __require(), which esbuild cannot follow: the package would then be required from
// node_modules at run time. For these packages the call becomes a require() again, so it is
// bundled. Any other __require() (winston-transport, which the app may install) is left.
const BUNDLE_ROLLDOWN_REQUIRES = ['forwarded-parse', '@grpc/grpc-js'];
const rolldownRequires = {
  name: 'rolldown-requires',
  setup(b) {
    const call = new RegExp(
      `\\b__require\\((["'])(${BUNDLE_ROLLDOWN_REQUIRES.map((n) => n.replace(/[/.]/g, '\\$&')).join('|')})\\1\\)`,
      'g',
    );
    b.onLoad({ filter: /[\\/]node_modules[\\/]@opentelemetry[\\/].*\.mjs$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('__require(')) return undefined;
      return { contents: text.replace(call, 'require($1$2$1)'), loader: 'js' };
    });
  },
};

const vendors = {
  '@opentelemetry/api': 'vendor-api',
  '@opentelemetry/core': 'vendor-core',
  '@opentelemetry/instrumentation': 'vendor-instrumentation',
};
// In the lazy build, the shared packages resolve to the vendor files beside the importer
// (all lazy outputs are flat in dist/lazy/), except inside the vendor file of that package.
const shareVendors = {
  name: 'share-vendors',
  setup(b) {
    b.onResolve({ filter: /^@opentelemetry\/(api|core|instrumentation)$/ }, (args) => {
      const vendor = vendors[args.path];
      if (args.importer.endsWith(`src/chunks/${vendor}.ts`)) return undefined;
      return { path: `./${vendor}.cjs`, external: true };
    });
  },
};

const define = { __AGENT_VERSION__: JSON.stringify(pkg.version), __OTEL_SDK_VERSION__: JSON.stringify(otelSdkVersion) };
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node22',
  mainFields: ['module', 'main'],
  alias: { debug: './src/debug-stub.cjs' },
  // @grpc/proto-loader: grpc-js requires it only to serve channelz and ORCA, server-side
  // features an exporter never reaches; bundling it would add protobufjs for nothing.
  external: ['import-in-the-middle', 'import-in-the-middle/*', 'cosmiconfig', '@grpc/proto-loader'],
  plugins: [rolldownRequires],
  legalComments: 'none',
  logLevel: 'warning',
  metafile: process.env.BUILD_META === '1',
  // For profiles (npm run bench:profile): maps beside the bundles, no comment in them, so that
  // the code that runs is the same as without.
  sourcemap: process.env.BUILD_SOURCEMAP === '1' ? 'external' : false,
};
const cjs = {
  ...common,
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  // import.meta.url has no meaning in CommonJS; the sources use it for paths beside the file.
  define: { ...define, 'import.meta.url': '__budImportMetaUrl' },
  banner: { js: "var __budImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};
const esm = {
  ...common,
  format: 'esm',
  outExtension: { '.js': '.mjs' },
  define,
  plugins: [builtinsAsRequire, rolldownRequires],
  // Bundled CommonJS dependencies call require(); in an ES module it has to be made.
  banner: {
    js: "import { createRequire as __budCreateRequire } from 'node:module'; const require = __budCreateRequire(import.meta.url);",
  },
};

const lazyEntries = {
  metrics: 'src/chunks/metrics.ts',
  logs: 'src/chunks/logs.ts',
  'trace-serializers': 'src/chunks/trace-serializers.ts',
  'propagator-b3': 'src/chunks/propagator-b3.ts',
  'instrumentation-base': 'src/chunks/instrumentation-base.ts',
  'autotrace-runtime': 'src/autotrace/runtime/chunk.ts',
  'autotrace-rewrite': 'src/autotrace/transform/rewrite.ts',
  'exporter-grpc': 'src/chunks/exporter-grpc.ts',
  'resource-detectors-cloud': 'src/chunks/resource-detectors-cloud.ts',
  'tail-sampling': 'src/sampling/tail/chunk.ts',
  bundle: 'src/bundle/chunk.ts',
  'vendor-instrumentation': 'src/chunks/vendor-instrumentation.ts',
};
for (const { name, entry } of instrumentations) lazyEntries[`instrumentation-${name}`] = entry;

// A failed build (a type error, say) leaves neither a half-written dist/ nor its temp folder.
process.on('exit', (code) => {
  if (code !== 0) rmSync(`${root}${out}`, { recursive: true, force: true });
});
const results = await Promise.all([
  build({
    ...cjs,
    entryPoints: {
      boot: 'src/boot/boot.ts',
      'exit-worker': 'src/export/exit-worker.ts',
      'compile-cache': 'src/hooks/compile-cache.ts',
    },
    outdir: out,
  }),
  build({ ...cjs, entryPoints: lazyEntries, outdir: `${out}/lazy`, plugins: [shareVendors, rolldownRequires] }),
  build({
    ...esm,
    entryPoints: {
      index: 'src/index.ts',
      testing: 'src/testing.ts',
      cli: 'src/cli/main.ts',
      hooks: 'src/hooks/module-hooks.ts',
    },
    outdir: out,
  }),
  // The build plugins (src/bundlers/), which run in the user's build, not in the app: webpack's
  // as CommonJS (a webpack.config.js require()s it), with its loader beside it.
  build({ ...esm, entryPoints: { esbuild: 'src/bundlers/esbuild.ts', rollup: 'src/bundlers/rollup.ts' }, outdir: out }),
  build({
    ...cjs,
    entryPoints: { webpack: 'src/bundlers/webpack.ts', 'webpack-loader': 'src/bundlers/webpack-loader.ts' },
    outdir: out,
  }),
]);
for (const [name, key] of [
  ['vendor-api', 'vendorApi'],
  ['vendor-core', 'vendorCore'],
]) {
  writeFileSync(
    `${out}/lazy/${name}.cjs`,
    `'use strict';\n// Generated by scripts/build.mjs: the start bundle's copy, shared.\nmodule.exports = require('../boot.cjs').${key};\n`,
  );
}
if (common.metafile) writeFileSync(`${root}dist-meta.json`, JSON.stringify(results.map((r) => r.metafile)));
// Type declarations of the public API.
execFileSync(
  process.execPath,
  [`${root}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json', '--outDir', `${out}/types`],
  { cwd: root, stdio: 'inherit' },
);
vendorTypes(`${root}${out}/types`, `${root}node_modules`);
rmSync(`${root}dist.old`, { recursive: true, force: true });
try {
  renameSync(`${root}dist`, `${root}dist.old`);
} catch {
  /* first build */
}
renameSync(`${root}${out}`, `${root}dist`);
rmSync(`${root}dist.old`, { recursive: true, force: true });
console.log(`built dist/ (${4 + Object.keys(lazyEntries).length} entries)`);
