// Load cost of recognising the libraries inside a bundle (src/bundle/): the scan, the rewrite
// and the version lookups the load hook runs on a bundle, on the small Express + pg
// bundle (~1.3 MB) and a large one (~11 MB), both esbuild CommonJS output placed outside any
// project (so the version lookup walks every folder up to / and finds nothing, its worst case).
// Side by side in the same process, interleaved one at a time: reading the file (which the
// load hook does anyway) and V8 compiling it (which Node does to load it at all), the floors
// recognition is measured against. Minimum and median of many rounds.
//   node benchmarks/bundle-scan.mjs [--rounds N]
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = process.argv.indexOf('--rounds');
const rounds = at > 0 ? Number(process.argv[at + 1]) : 25;
const { rewriteLoadedBundle } = createRequire(import.meta.url)(`${root}dist/lazy/bundle.cjs`);
const instrumented = new Set((await import(`${root}src/integrations/catalog.ts`)).catalog.flatMap((e) => e.modules));
const isInstrumented = (pkg) => instrumented.has(pkg);

const dir = mkdtempSync(join(tmpdir(), 'bud-bundle-bench-'));
const external = ['pg-native', '@nestjs/microservices', '@nestjs/websockets', '@nestjs/platform-express'];
const bundles = {};
for (const name of ['small', 'large']) {
  const outfile = join(dir, `${name}.cjs`);
  await build({
    entryPoints: [`${root}benchmarks/bundle/${name}.mjs`],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile,
    external: [...external, '@nestjs/microservices/*', '@nestjs/websockets/*', 'class-transformer', 'class-validator'],
    logLevel: 'error',
  });
  bundles[name] = outfile;
}

const ms = (f) => {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
const stats = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return { min: s[0], median: s[s.length >> 1] };
};
const f = (n) => n.toFixed(2).padStart(7);

console.log('Bundle recognition, ms per load (min / median of %d interleaved rounds)', rounds);
for (const [name, file] of Object.entries(bundles)) {
  const url = pathToFileURL(file).href;
  const source = readFileSync(file, 'utf8');
  let hooked = 0;
  const runs = { read: [], compile: [], recognise: [] };
  for (let i = 0; i < rounds; i++) {
    runs.read.push(ms(() => readFileSync(file, 'utf8')));
    // A new source each time: V8 caches compilations of the same source and origin.
    const unique = `${source}\n//${i}`;
    runs.compile.push(ms(() => new vm.Script(unique, { filename: `${file}?${i}` })));
    runs.recognise.push(
      ms(() => {
        hooked = rewriteLoadedBundle(url, source, isInstrumented)?.length ?? 0;
      }),
    );
  }
  if (hooked === 0) throw new Error(`${name}: nothing recognised, no result`);
  const [r, c, g] = [stats(runs.read), stats(runs.compile), stats(runs.recognise)];
  console.log(
    `  ${name.padEnd(5)} ${(source.length / 1e6).toFixed(1)} MB  read ${f(r.min)} /${f(r.median)}   compile ${f(c.min)} /${f(c.median)}   recognise ${f(g.min)} /${f(g.median)}   = ${(g.median / c.median).toFixed(2)}x compile`,
  );
}
rmSync(dir, { recursive: true, force: true });
