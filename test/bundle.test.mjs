// Zero-code bundles (src/bundle/): an app bundled by esbuild (CommonJS and ES-module output, not
// minified) or webpack 5 (named module ids), run with the one flag, exports the same spans —
// names, kinds, parent links — as the same app unbundled; each bundle runs identically without
// the agent; versions come from the bundle's surroundings or from the one-warning policy; and a
// bundle the agent cannot read, or whose library patch fails, runs as it was.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root, hasSyncLoadHooks, runApp, nodeBin, cleanEnv } from './helpers/run.mjs';
import { requireService } from './helpers/services.mjs';
import { bundleApp, bundleDir, esbuildBundle, webpackBundle, runBundle } from './helpers/bundle.mjs';

const skip = hasSyncLoadHooks ? false : 'bundle recognition needs synchronous load hooks (Node 22.22.3+, 24.11.1+)';
const warnings = (stderr) => stderr.split('\n').filter((l) => l.includes('[BUDOBSERVE_'));

let unbundled;
let plain;
before(async () => {
  await requireService('postgres');
  await requireService('redis');
  unbundled = await runBundle(bundleApp);
  plain = await runBundle(bundleApp, { agent: false });
  assert.equal(unbundled.code, 0, unbundled.stderr);
  assert.equal(plain.stdout, unbundled.stdout);
  // The comparison means something only if the unbundled app is instrumented end to end.
  for (const name of ['GET /users/:id', 'request handler', 'pg.connect', 'SELECT test', 'get', 'chat gpt-4o-mini'])
    assert.ok(
      unbundled.shape.some((l) => l.includes(` ${name} <- `)),
      `unbundled exports ${name}`,
    );
});

const bundlers = [
  ['esbuild, CommonJS output', (outDir) => esbuildBundle({ format: 'cjs', outDir })],
  ['esbuild, ES-module output', (outDir) => esbuildBundle({ format: 'esm', outDir })],
  ['webpack 5, named module ids', (outDir) => webpackBundle({ outDir })],
];

for (const [label, make] of bundlers) {
  test(`${label}: the same spans as unbundled, under the one flag`, { skip }, async () => {
    const dir = bundleDir();
    try {
      const bundle = await make(dir);
      const without = await runBundle(bundle, { agent: false });
      assert.equal(without.code, plain.code, without.stderr);
      assert.equal(without.stdout, plain.stdout);
      assert.equal(without.stderr, '');

      const run = await runBundle(bundle);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, plain.stdout);
      assert.deepEqual(run.shape, unbundled.shape);
      // Outside the project no package.json names the versions: one warning says what was assumed.
      const w = warnings(run.stderr);
      assert.equal(w.length, 1, run.stderr);
      assert.match(w[0], /BUDOBSERVE_BUNDLE_VERSION_ASSUMED.*express 4\.0\.0.*pg 8\.0\.3/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a bundle beside the node_modules it was built from: versions from there, no warning', { skip }, async () => {
  const dir = bundleDir(join(root, '.cache'));
  try {
    const bundle = await esbuildBundle({ format: 'cjs', outDir: dir });
    const run = await runBundle(bundle);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(warnings(run.stderr), []);
    assert.deepEqual(run.shape, unbundled.shape);
    const pg = run.spans.find((s) => s.name === 'SELECT test');
    assert.ok(pg !== undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'a bundle whose library patch throws: one warning naming it, the bundle runs as without the agent',
  { skip },
  async () => {
    const dir = bundleDir();
    try {
      // esbuild's helper shape, and a "pg" whose exports throw on every read: the pg
      // instrumentation's patch fails inside the agent, never in the app.
      const file = join(dir, 'hostile.cjs');
      writeFileSync(
        file,
        [
          '"use strict";',
          'var __getOwnPropNames = Object.getOwnPropertyNames;',
          'var __commonJS = (cb, mod) => function __require() {',
          '  return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;',
          '};',
          'var require_pg = __commonJS({',
          '  "node_modules/pg/lib/index.js"(exports, module) {',
          '    module.exports = new Proxy({}, { get() { throw new Error("hostile getter"); } });',
          '  }',
          '});',
          'var pg = require_pg();',
          'console.log(typeof pg);',
          '',
        ].join('\n'),
      );
      const without = await runApp({ script: file, preload: [] });
      const run = await runApp({ script: file });
      assert.equal(run.code, without.code);
      assert.equal(run.stdout, without.stdout);
      assert.equal(run.stdout, 'object\n');
      const w = warnings(run.stderr);
      assert.equal(w.filter((l) => l.includes('BUDOBSERVE_BUNDLE_FAILED')).length, 1, run.stderr);
      assert.match(
        w.find((l) => l.includes('BUDOBSERVE_BUNDLE_FAILED')),
        /pg\/lib\/index\.js/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'bundles of a shape the agent does not know load exactly as they are, with one warning naming them',
  { skip },
  async () => {
    const dir = bundleDir();
    try {
      const cases = {
        // an ES-module region of an instrumented package with no blank line after it
        'region.mjs':
          'var first = 1;\n// node_modules/openai/client.mjs\nvar OpenAI = class {};\n// app.mjs\nconsole.log(typeof OpenAI);\n',
        // a helper of another shape
        'helper.cjs':
          'var __commonJS = function (cb) { return function () { return cb; }; };\nvar r = __commonJS({ "node_modules/pg/lib/index.js"() {} });\nconsole.log(typeof r());\n',
      };
      for (const [name, text] of Object.entries(cases)) {
        const file = join(dir, name);
        writeFileSync(file, text);
        const without = await runApp({ script: file, preload: [] });
        const run = await runApp({ script: file, env: { NODE_DEBUG: 'budobserve' } });
        assert.equal(run.code, without.code, `${name}: ${run.stderr}`);
        assert.equal(run.stdout, without.stdout, name);
        const w = warnings(run.stderr);
        assert.equal(w.length, 1, `${name}: ${run.stderr}`);
        assert.match(
          w[0],
          new RegExp(`BUDOBSERVE_BUNDLE_FAILED.*${name.replace('.', '\\.')} shows (pg|openai), but in a shape`),
          name,
        );
        assert.doesNotMatch(run.stderr, /bundled \S+ patched/, name);
      }
      // Not a bundle at all, only its markers inside a string: no rewrite and no warning.
      const file = join(dir, 'strings.cjs');
      writeFileSync(
        file,
        'const s = "__commonJS({ \\"node_modules/pg/lib/index.js\\"(exports, module) {";\nconsole.log(s.length);\n',
      );
      const run = await runApp({ script: file, env: { NODE_DEBUG: 'budobserve' } });
      assert.equal(run.stdout, (await runApp({ script: file, preload: [] })).stdout);
      assert.deepEqual(warnings(run.stderr), []);
      assert.doesNotMatch(run.stderr, /bundle file:/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('budobserve doctor <bundle>: the libraries inside, with versions and where they come from', async () => {
  const dir = bundleDir(join(root, '.cache'));
  try {
    const bundle = await esbuildBundle({ format: 'cjs', outDir: join(dir, 'plain') });
    const minified = await esbuildBundle({ format: 'cjs', outDir: join(dir, 'min'), minify: true });
    const r = spawnSync(nodeBin, [`${root}dist/cli.mjs`, 'doctor', '--json', bundle, minified], {
      cwd: dir,
      encoding: 'utf8',
      env: cleanEnv(),
    });
    assert.equal(r.status, 0, r.stderr);
    const [plainBundle, minifiedBundle] = JSON.parse(r.stdout).bundles;
    const pg = plainBundle.recognised.find((l) => l.pkg === 'pg');
    assert.equal(pg.version, JSON.parse(readFileSync(join(root, 'node_modules/pg/package.json'), 'utf8')).version);
    assert.equal(pg.versionFrom, 'package.json beside the bundle');
    assert.match(pg.via, /esbuild CommonJS/);
    assert.match(plainBundle.recognised.find((l) => l.pkg === 'openai').via, /ES-module region/);
    assert.deepEqual(plainBundle.unreachable, []);
    assert.equal(minifiedBundle.opaque, true);
    assert.deepEqual(minifiedBundle.recognised, []);
    const text = spawnSync(nodeBin, [`${root}dist/cli.mjs`, 'doctor', minified], {
      cwd: dir,
      encoding: 'utf8',
      env: cleanEnv(),
    });
    assert.match(text.stdout, /shows no module boundaries.*\n.*@budobserve\/agent\/esbuild/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
