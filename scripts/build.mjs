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

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const otelSdkVersion = JSON.parse(readFileSync(`${root}node_modules/@opentelemetry/sdk-trace/package.json`, 'utf8')).version;
const catalogSrc = readFileSync(`${root}src/integrations/catalog.generated.ts`, 'utf8');
const instrumentations = [...catalogSrc.matchAll(/name: "([^"]+)", pkg: "([^"]+)"/g)].map((m) => ({ name: m[1], pkg: m[2] }));

const entryPoints = {
  boot: 'src/boot/boot.ts',
  index: 'src/index.ts',
  hooks: 'src/hooks/module-hooks.ts',
  cli: 'src/cli/main.ts',
  'exit-worker': 'src/export/exit-worker.ts',
  'lazy/metrics': 'src/lazy/metrics.ts',
  'lazy/logs': 'src/lazy/logs.ts',
  'lazy/propagator-b3': 'src/lazy/propagator-b3.ts',
  'lazy/instrumentation-base': 'src/lazy/instrumentation-base.ts',
};
for (const { name, pkg: p } of instrumentations) entryPoints[`lazy/instrumentations/${name}`] = p;

// Built beside dist/ and swapped in whole, so a process starting meanwhile (a benchmark,
// a second terminal) never sees a half-written dist/.
const out = `dist.tmp-${process.pid}`;
await build({
  absWorkingDir: root,
  entryPoints,
  outdir: out,
  outExtension: { '.js': '.mjs' },
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  mainFields: ['module', 'main'],
  external: ['import-in-the-middle', 'import-in-the-middle/*', 'require-in-the-middle', 'cosmiconfig', '@grpc/grpc-js', '@opentelemetry/exporter-*-otlp-grpc'],
  // Bundled CommonJS dependencies call require(); in an ES module it has to be made.
  banner: { js: "import { createRequire as __budCreateRequire } from 'node:module'; const require = __budCreateRequire(import.meta.url);" },
  define: { __AGENT_VERSION__: JSON.stringify(pkg.version), __OTEL_SDK_VERSION__: JSON.stringify(otelSdkVersion) },
  legalComments: 'none',
  logLevel: 'warning',
  metafile: false,
});
// Type declarations of the public API.
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json', '--outDir', `${out}/types`], { cwd: root, stdio: 'inherit' });
rmSync(`${root}dist.old`, { recursive: true, force: true });
try {
  renameSync(`${root}dist`, `${root}dist.old`);
} catch { /* first build */ }
renameSync(`${root}${out}`, `${root}dist`);
rmSync(`${root}dist.old`, { recursive: true, force: true });
console.log(`built dist/ (${Object.keys(entryPoints).length} entries)`);
