// Builds dist/ with esbuild: the boot path as one tree-shaken bundle, and everything only
// some configurations need (each instrumentation, the metrics and logs SDKs, b3) as
// separate entries loaded on first use. Bundling is what brings start-up within budget:
// the same OTel pipeline loaded from node_modules reads ~300 small files.
// import-in-the-middle stays external on purpose: its generated wrappers import the copy
// on disk, so a bundled copy would instrument nothing.
import { build } from 'esbuild';
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const otelSdkVersion = JSON.parse(readFileSync(`${root}node_modules/@opentelemetry/sdk-trace/package.json`, 'utf8')).version;
const catalogSrc = readFileSync(`${root}src/integrations/catalog.generated.ts`, 'utf8');
const instrumentations = [...catalogSrc.matchAll(/name: "([^"]+)", pkg: "([^"]+)"/g)].map((m) => ({ name: m[1], pkg: m[2] }));

// Two builds. The start-up path (boot, API, CLI, hooks, exit worker) is one build whose
// entries share chunks; what loads later (each instrumentation, the metrics and logs SDKs,
// b3) is a second build, so esbuild's chunking can never pull lazy code (the metrics SDK,
// 100 kB) into the start-up graph. The two builds each hold a copy of
// @opentelemetry/api, which keeps its state on globalThis under a versioned symbol, so the
// copies share one registry.
const startEntries = {
  boot: 'src/boot/boot.ts',
  index: 'src/index.ts',
  hooks: 'src/hooks/module-hooks.ts',
  cli: 'src/cli/main.ts',
  'exit-worker': 'src/export/exit-worker.ts',
};
const lazyEntries = {
  metrics: 'src/lazy/metrics.ts',
  logs: 'src/lazy/logs.ts',
  'propagator-b3': 'src/lazy/propagator-b3.ts',
  'instrumentation-base': 'src/lazy/instrumentation-base.ts',
};
for (const { name, pkg: p } of instrumentations) lazyEntries[`instrumentations/${name}`] = p;

// Built beside dist/ and swapped in whole, so a process starting meanwhile (a benchmark,
// a second terminal) never sees a half-written dist/.
const out = `dist.tmp-${process.pid}`;
// Node builds an ES-module facade for a builtin the first time it is `import`ed, reading
// every export, and some exports are lazy getters: the facade of node:http loads Node's
// whole bundled undici (~60 ms here). require() hands back the plain object and runs no
// getter, so in the bundle every builtin import becomes a require().
const builtinsAsRequire = {
  name: 'builtins-as-require',
  setup(b) {
    const names = new Set(builtinModules);
    b.onResolve({ filter: /^[a-z_:/0-9]+$/ }, (args) => {
      const bare = args.path.replace(/^node:/, '');
      if (!names.has(bare) || args.namespace === 'builtin-require') return undefined;
      return { path: `node:${bare}`, namespace: 'builtin-require' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

const common = {
  plugins: [builtinsAsRequire],
  absWorkingDir: root,
  outExtension: { '.js': '.mjs' },
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  mainFields: ['module', 'main'],
  external: ['import-in-the-middle', 'import-in-the-middle/*', 'cosmiconfig', '@grpc/grpc-js', '@opentelemetry/exporter-*-otlp-grpc'],
  // Bundled CommonJS dependencies call require(); in an ES module it has to be made.
  banner: { js: "import { createRequire as __budCreateRequire } from 'node:module'; const require = __budCreateRequire(import.meta.url);" },
  define: { __AGENT_VERSION__: JSON.stringify(pkg.version), __OTEL_SDK_VERSION__: JSON.stringify(otelSdkVersion) },
  legalComments: 'none',
  logLevel: 'warning',
  metafile: process.env.BUILD_META === '1',
};
const result = await build({ ...common, entryPoints: startEntries, outdir: out });
const lazyResult = await build({ ...common, entryPoints: lazyEntries, outdir: `${out}/lazy` });
const entryCount = Object.keys(startEntries).length + Object.keys(lazyEntries).length;
if (result.metafile) (await import('node:fs')).writeFileSync(`${root}dist-meta.json`, JSON.stringify({ start: result.metafile, lazy: lazyResult.metafile }));
// Type declarations of the public API.
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json', '--outDir', `${out}/types`], { cwd: root, stdio: 'inherit' });
rmSync(`${root}dist.old`, { recursive: true, force: true });
try {
  renameSync(`${root}dist`, `${root}dist.old`);
} catch { /* first build */ }
renameSync(`${root}${out}`, `${root}dist`);
rmSync(`${root}dist.old`, { recursive: true, force: true });
console.log(`built dist/ (${entryCount} entries)`);
