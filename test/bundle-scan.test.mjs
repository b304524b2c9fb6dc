// The bundle scan and rewrite (src/bundle/scan.ts, rewrite.ts, module-path.ts) on real bundles
// of the fixture app: what they find, and the rewrite's promise that a bundle keeps every line
// where it was (its source map and stack traces stay true).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { parseModulePath } from '../src/bundle/module-path.ts';
import { mayBeBundle, scanBundle } from '../src/bundle/scan.ts';
import { rewriteBundle } from '../src/bundle/rewrite.ts';
import { bundleDir, esbuildBundle, webpackBundle } from './helpers/bundle.mjs';

test('module ids: package, file, nested installs, scopes, pnpm versions', () => {
  assert.deepEqual(parseModulePath('node_modules/pg/lib/index.js'), {
    pkg: 'pg',
    file: 'lib/index.js',
    version: undefined,
  });
  assert.deepEqual(parseModulePath('./node_modules/a/node_modules/@redis/client/dist/index.js'), {
    pkg: '@redis/client',
    file: 'dist/index.js',
    version: undefined,
  });
  assert.deepEqual(parseModulePath('node_modules/.pnpm/pg@8.16.3/node_modules/pg/lib/index.js'), {
    pkg: 'pg',
    file: 'lib/index.js',
    version: '8.16.3',
  });
  assert.equal(
    parseModulePath('node_modules/.pnpm/@redis+client@5.1.0_x@1/node_modules/@redis/client/dist/index.js')?.version,
    '5.1.0',
  );
  // pnpm's folder names another package: no version taken from it
  assert.equal(parseModulePath('node_modules/.pnpm/pg-pool@3.0.0/node_modules/pg/lib/index.js')?.version, undefined);
  assert.equal(parseModulePath('src/app.js'), undefined);
  assert.equal(parseModulePath('node_modules/pg'), undefined);
});

const bundles = {};
let dir;
before(async () => {
  dir = bundleDir();
  bundles.cjs = readFileSync(await esbuildBundle({ format: 'cjs', outDir: `${dir}/cjs` }), 'utf8');
  bundles.esm = readFileSync(await esbuildBundle({ format: 'esm', outDir: `${dir}/esm` }), 'utf8');
  bundles.webpack = readFileSync(await webpackBundle({ outDir: `${dir}/webpack` }), 'utf8');
  bundles.minified = readFileSync(await esbuildBundle({ format: 'cjs', outDir: `${dir}/min`, minify: true }), 'utf8');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const instrumented = new Set(['express', 'pg', 'pg-pool', 'ioredis', 'openai', 'fastify']);
const opts = { isInstrumented: (p) => instrumented.has(p), versionOf: () => undefined };

test('esbuild and webpack bundles: the libraries inside, by form', () => {
  for (const [name, form] of [
    ['cjs', 'commonjs'],
    ['esm', 'commonjs'],
    ['webpack', 'webpack'],
  ]) {
    const source = bundles[name];
    assert.ok(mayBeBundle(source), name);
    const scan = scanBundle(source);
    const pkgs = new Set(scan.modules.filter((m) => m.form === form).map((m) => m.pkg));
    for (const p of ['express', 'pg', 'pg-pool', 'ioredis', 'fastify']) assert.ok(pkgs.has(p), `${name}: ${p}`);
    // openai is an ES module: esbuild inlines it as regions, webpack wraps it like the rest
    const openai = scan.modules.filter((m) => m.pkg === 'openai').map((m) => m.form);
    assert.ok(openai.includes(name === 'webpack' ? 'webpack' : 'esm-region'), `${name}: openai ${openai}`);
  }
  // A minified esbuild bundle names no module: the build plugins are for those.
  assert.equal(scanBundle(bundles.minified), undefined);
});

test('the rewrite keeps every line where it was, and hooks each instrumented package once', () => {
  for (const name of ['cjs', 'esm', 'webpack']) {
    const source = bundles[name];
    const out = rewriteBundle(source, scanBundle(source), opts);
    assert.ok(out !== undefined, name);
    assert.equal(out.code.split('\n').length, source.split('\n').length, name);
    const hooked = out.hooked.map((h) => h.pkg).sort();
    assert.deepEqual(hooked, [...new Set(hooked)], name);
    assert.ok(hooked.includes('openai') && hooked.includes('pg'), `${name}: ${hooked}`);
    // every changed line is the old line with text inserted, nothing removed
    const before = source.split('\n');
    out.code.split('\n').forEach((line, i) => {
      if (line !== before[i]) assert.ok(line.length > before[i].length, `${name} line ${i + 1}`);
    });
  }
});

test('nothing instrumented in a bundle: no rewrite', () => {
  const source = bundles.cjs;
  assert.equal(
    rewriteBundle(source, scanBundle(source), { isInstrumented: () => false, versionOf: () => undefined }),
    undefined,
  );
});
