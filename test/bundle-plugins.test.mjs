// The build plugins (@budobserve/agent/esbuild, /webpack, /rollup) on the bundle fixture app
// (fixtures/bundle/app.mjs: Express 5, Fastify 5, pg, ioredis, fetch, openai against the loopback
// LLM provider): each bundler builds it minified with the plugin into a folder outside the
// project, where no node_modules can be reached. Each bundle then
// (a) runs without the agent exactly as the unbundled app does (output, exit code);
// (b) under `node --import register.mjs` exports the same span shape (kind, name, parent, scope)
//     and writes the same stderr as the unbundled app under the agent, measured in the same run
//     (minified with library function names kept, as the README says; see esbuildBundle);
// (c) holds a footer naming each instrumented package with its version and entry file, and no
//     require of the agent; and, with a test-only hook object preloaded at the contract's key,
//     calls it once per CommonJS file of those packages, and uses what it returns.
// Also: an instrumented package with no CommonJS build is bundled as it is, with a warning
// naming it, and a package the user keeps external stays external.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { build as esbuild, transform } from 'esbuild';
import webpack from 'webpack';
import { rollup } from 'rollup';
import commonjs from '@rollup/plugin-commonjs';
import nodeResolve from '@rollup/plugin-node-resolve';
import json from '@rollup/plugin-json';
import { budobserve as esbuildPlugin } from '@budobserve/agent/esbuild';
import { BudObserveWebpackPlugin } from '@budobserve/agent/webpack';
import { budobserve as rollupPlugin } from '@budobserve/agent/rollup';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, root, fixtures } from './helpers/run.mjs';
import { requireService } from './helpers/services.mjs';
import { startProviderServer } from '../fixtures/integrations-llm/provider-server.mjs';

const app = `${fixtures}bundle/app.mjs`;
const tmp = mkdtempSync(join(tmpdir(), 'bud-bundle-plugins-'));
const KIND = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";
// The instrumented packages the app reaches, each with its version and entry file as the
// installed package.json and Node's require resolution say.
const PACKAGES = ['express', 'fastify', 'pg', 'pg-pool', 'ioredis', 'openai'].map((name) => {
  const dir = join(root, 'node_modules', name);
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const main = relative(dir, createRequire(join(dir, 'package.json')).resolve(name))
    .split('\\')
    .join('/');
  return { name, version, main };
});

let provider;
let plain;
let traced;

before(async () => {
  await requireService('postgres');
  await requireService('redis');
  provider = await startProviderServer();
  plain = await runApp({ script: app, preload: [], cwd: tmp, env: { LLM_BASE_URL: provider.url } });
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /^200 \{"id":2,/);
  traced = await spanShape(app);
});

after(async () => {
  await provider?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs `script` under the agent: its spans as sorted `KIND name <- parent [scope]` lines, and its stderr. */
async function spanShape(script) {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script,
      cwd: tmp,
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_SERVICE_NAME: 'bundle-test', LLM_BASE_URL: provider.url },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, plain.stdout);
    // The root (the app's request to itself) ends last: once it is in, the trace is.
    const spans = await receiver.waitFor((s) => s.some((x) => x.parentSpanId === '' && KIND[x.kind] === 'CLIENT'));
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    return {
      spans: spans
        .map((s) => `${KIND[s.kind]} ${s.name} <- ${byId.get(s.parentSpanId)?.name ?? '(root)'} [${s.scope}]`)
        .sort(),
      stderr: r.stderr,
    };
  } finally {
    await receiver.close();
  }
}

// Minified as a user who wants the libraries' spans minifies (README, "Build plugins"): with
// the libraries' function names kept, since instrumentations read some (Express names a route's
// span by the router's function `handle`). esbuild's `keepNames` misses `handle` (a function
// declaration used before the line that declares it), so for esbuild that is minifying
// whitespace and syntax, not identifiers; terser has `keep_fnames`. `names: 'minified'` is
// plain `minify: true`, whose spans differ by those names and are not compared; 'none' is
// not minified at all.
function esbuildBundle(format, file, names = 'kept') {
  return async () => {
    const result = await esbuild({
      absWorkingDir: root,
      entryPoints: [app],
      outfile: file,
      bundle: true,
      platform: 'node',
      format,
      // `minify: true` wins over `minifyIdentifiers: false`: the other two are named instead.
      ...{ kept: { minifyWhitespace: true, minifySyntax: true }, minified: { minify: true }, none: {} }[names],
      external: ['pg-native'],
      banner: format === 'esm' ? { js: BANNER } : {},
      plugins: [esbuildPlugin()],
      logLevel: 'silent',
    });
    return result.warnings.map((w) => w.text);
  };
}

function webpackBundle(file) {
  return () =>
    new Promise((resolve, reject) => {
      const compiler = webpack({
        mode: 'production',
        target: 'node',
        context: root,
        entry: app,
        output: { path: dirname(file), filename: 'webpack.cjs' },
        externals: { 'pg-native': 'commonjs pg-native' },
        optimization: { minimizeOptions: { javascript: { keepFnames: true, keepClassnames: true } } },
        plugins: [new BudObserveWebpackPlugin()],
      });
      compiler.run((error, stats) => {
        compiler.close(() => {});
        if (error) return reject(error);
        const { errors, warnings } = stats.toJson({ all: false, errors: true, warnings: true });
        if (errors.length > 0) return reject(new Error(errors.map((e) => e.message).join('\n')));
        resolve(warnings.map((w) => w.message));
      });
    });
}

const minify = (format) => ({
  name: 'minify',
  async renderChunk(code) {
    return { code: (await transform(code, { minifyWhitespace: true, minifySyntax: true, format })).code, map: null };
  },
});

// `first`: where the plugin is listed, which must not matter (it places its resolver itself).
function rollupBundle(format, file, first) {
  return async () => {
    const warnings = [];
    const others = [nodeResolve({ preferBuiltins: true }), commonjs(), json()];
    const bundle = await rollup({
      input: app,
      external: ['pg-native'],
      plugins: first ? [rollupPlugin(), ...others] : [...others, rollupPlugin()],
      onwarn: (w) => warnings.push(w.message),
    });
    await bundle.write({
      file,
      format,
      inlineDynamicImports: true,
      plugins: [minify(format === 'es' ? 'esm' : 'cjs')],
    });
    await bundle.close();
    return warnings;
  };
}

const at = (file) => join(tmp, file);
const bundles = [
  { name: 'esbuild (esm)', file: at('esbuild.mjs'), build: esbuildBundle('esm', at('esbuild.mjs')) },
  { name: 'esbuild (cjs)', file: at('esbuild.cjs'), build: esbuildBundle('cjs', at('esbuild.cjs')) },
  {
    name: 'esbuild (esm, names minified)',
    file: at('esbuild-names.mjs'),
    build: esbuildBundle('esm', at('esbuild-names.mjs'), 'minified'),
    spans: false,
  },
  {
    name: 'esbuild (esm, not minified)',
    file: at('esbuild-plain.mjs'),
    build: esbuildBundle('esm', at('esbuild-plain.mjs'), 'none'),
    // The load-time rewrite (src/bundle/rewrite.ts) sees this bundle's wrappers too, and must
    // leave the packages the plugin marked to their marks: no second patch, no assumed versions.
  },
  { name: 'webpack', file: at('webpack.cjs'), build: webpackBundle(at('webpack.cjs')) },
  { name: 'rollup (es)', file: at('rollup.mjs'), build: rollupBundle('es', at('rollup.mjs'), true) },
  { name: 'rollup (cjs)', file: at('rollup.cjs'), build: rollupBundle('cjs', at('rollup.cjs'), false) },
];

// A hook at the contract's key that records each call and, for pg's entry, hands back a proxy
// that counts reads of Pool: the app reading pg.Pool through it shows the bundle uses the return.
const HOOK = join(tmp, 'test-hook.mjs');
writeFileSync(
  HOOK,
  `import { writeFileSync } from 'node:fs';
const calls = [];
let poolReads = 0;
globalThis[Symbol.for('budobserve.bundle.1')] = {
  module(exports, pkg, version, file, isMain) {
    calls.push([pkg, version, file, isMain]);
    if (pkg !== 'pg' || !isMain) return exports;
    return new Proxy(exports, { get: (t, k, r) => (k === 'Pool' && poolReads++, Reflect.get(t, k, r)) });
  },
};
process.on('exit', () => writeFileSync(process.env.HOOK_LOG, JSON.stringify({ calls, poolReads })));
`,
);

const hookCalls = new Map();
// A footer's call as minifiers leave it: `<module>.exports=<hook>.module(<module>.exports,"pg","8.23.1","lib/index.js",!0)`.
const FOOTER_CALL = /\.exports,\s*"((?:@[\w.-]+\/)?[\w.-]+)",\s*"([^"]*)",\s*"([^"]*)",\s*(true|false|!0|!1)\)/g;

for (const b of bundles) {
  test(`${b.name}: builds with the plugin; footers name each package, its version and entry; no require of the agent`, async () => {
    const warnings = await b.build();
    assert.deepEqual(
      warnings.filter((w) => w.includes('@budobserve')),
      [],
    );
    const text = readFileSync(b.file, 'utf8');
    const footers = [...text.matchAll(FOOTER_CALL)].map(([, pkg, version, file, isMain]) => ({
      pkg,
      version,
      file,
      isMain: isMain === 'true' || isMain === '!0',
    }));
    assert.equal(footers.length, text.split('Symbol.for("budobserve.bundle.1")').length - 1, 'one call per footer');
    for (const p of PACKAGES) {
      const own = footers.filter((f) => f.pkg === p.name);
      assert.ok(own.length > 0, `${p.name} has footers`);
      assert.deepEqual(new Set(own.map((f) => f.version)), new Set([p.version]), `${p.name}'s version`);
      assert.deepEqual(
        own.filter((f) => f.isMain).map((f) => f.file),
        [p.main],
        `${p.name}: one entry footer`,
      );
    }
    // The ES-module builds of the dual packages are not bundled: their imports went to CommonJS.
    assert.ok(!footers.some((f) => f.file.endsWith('.mjs')));
    assert.doesNotMatch(text, /(?:\b(?:require|import)\s*\(\s*|\bfrom\s*)["'`]@budobserve\/agent/);
  });

  test(`${b.name}: runs without the agent as the unbundled app does`, async () => {
    const r = await runApp({ script: b.file, preload: [], cwd: tmp, env: { LLM_BASE_URL: provider.url } });
    assert.deepEqual(
      { code: r.code, stdout: r.stdout, stderr: r.stderr },
      {
        code: plain.code,
        stdout: plain.stdout,
        stderr: plain.stderr,
      },
    );
  });

  test(`${b.name}: each footer calls the hook once its module has run, and the bundle uses what it returns`, async () => {
    const log = join(tmp, `${b.name.replace(/\W+/g, '-')}.hook.json`);
    const r = await runApp({
      script: b.file,
      preload: ['--import', HOOK],
      cwd: tmp,
      env: { LLM_BASE_URL: provider.url, HOOK_LOG: log },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, plain.stdout);
    const { calls, poolReads } = JSON.parse(readFileSync(log, 'utf8'));
    assert.equal(poolReads, 1, "the app's pg.Pool came through the hook's proxy");
    for (const p of PACKAGES) {
      const own = calls.filter(([pkg]) => pkg === p.name);
      assert.deepEqual(
        own.filter(([, , , isMain]) => isMain),
        [[p.name, p.version, p.main, true]],
      );
      assert.ok(
        own.every(([, version]) => version === p.version),
        p.name,
      );
    }
    assert.ok(calls.some(([pkg, , file, isMain]) => pkg === 'pg' && file === 'lib/client.js' && !isMain));
    // Every bundler evaluates the same modules: the same calls, in any order.
    const set = calls.map((c) => c.join(' ')).sort();
    const first = hookCalls.values().next().value;
    if (first !== undefined) assert.deepEqual(set, first);
    hookCalls.set(b.name, set);
  });

  if (b.spans === false) continue;
  test(`${b.name}: under the agent, exports the spans the unbundled app exports`, b.spans ?? {}, async () => {
    assert.deepEqual(await spanShape(b.file), traced);
  });
}

// Two instrumented packages with no CommonJS build, made up in the temp folder: one an ES
// module by "type", one by syntax only (no "type", `export` in its main).
test('an instrumented package with no CommonJS build is bundled as it is, with a warning naming it', async () => {
  const dir = join(tmp, 'esm-only');
  const pkg = (name, json, code) => {
    mkdirSync(join(dir, 'node_modules', name), { recursive: true });
    writeFileSync(join(dir, 'node_modules', name, 'package.json'), JSON.stringify({ name, version: '9.9.9', ...json }));
    writeFileSync(join(dir, 'node_modules', name, 'index.js'), code);
  };
  pkg('koa', { type: 'module', exports: { import: './index.js' } }, "export default () => 'koa as ESM';\n");
  pkg('hono', { main: 'index.js' }, "export const hono = () => 'hono as ESM';\n");
  writeFileSync(
    join(dir, 'app.mjs'),
    "import koa from 'koa';\nimport { hono } from 'hono';\nconsole.log(koa(), hono());\n",
  );
  const outputs = {
    esbuild: async (file) => {
      const r = await esbuild({
        absWorkingDir: dir,
        entryPoints: ['app.mjs'],
        outfile: file,
        bundle: true,
        platform: 'node',
        format: 'esm',
        plugins: [esbuildPlugin()],
        logLevel: 'silent',
      });
      return r.warnings.map((w) => w.text);
    },
    rollup: async (file) => {
      const warnings = [];
      const bundle = await rollup({
        input: join(dir, 'app.mjs'),
        plugins: [rollupPlugin(), nodeResolve(), commonjs()],
        onwarn: (w) => warnings.push(w.message),
      });
      await bundle.write({ file, format: 'es' });
      return warnings;
    },
    webpack: (file) =>
      new Promise((resolve, reject) => {
        const compiler = webpack({
          mode: 'production',
          target: 'node',
          context: dir,
          entry: './app.mjs',
          output: { path: dirname(file), filename: 'webpack.cjs' },
          plugins: [new BudObserveWebpackPlugin()],
        });
        compiler.run((error, stats) => {
          compiler.close(() => {});
          if (error || stats.hasErrors()) return reject(error ?? new Error(stats.toString('errors-only')));
          resolve(stats.toJson({ all: false, warnings: true }).warnings.map((w) => w.message));
        });
      }),
  };
  for (const [bundler, make] of Object.entries(outputs)) {
    const file = join(dir, 'out', bundler, bundler === 'webpack' ? 'webpack.cjs' : `${bundler}.mjs`);
    const warnings = (await make(file)).filter((w) => w.includes('@budobserve/agent'));
    assert.equal(warnings.length, 2, `${bundler}: ${warnings.join('\n')}`);
    for (const name of ['koa', 'hono'])
      assert.ok(
        warnings.some((w) => w.includes(`"${name}" has no CommonJS build`)),
        `${bundler} warns about ${name}`,
      );
    assert.doesNotMatch(readFileSync(file, 'utf8'), /budobserve\.bundle/, `${bundler}: no footer`);
    const r = await runApp({ script: file, preload: [], cwd: tmp });
    assert.deepEqual([r.code, r.stdout], [0, 'koa as ESM hono as ESM\n'], `${bundler}: ${r.stderr}`);
  }
});

test('esbuild: a package the user keeps external is neither redirected nor footered', async () => {
  const r = await esbuild({
    absWorkingDir: root,
    stdin: {
      contents: "import pg from 'pg';\nimport express from 'express';\nconsole.log(pg, express);\n",
      resolveDir: root,
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    external: ['pg', 'express/*'],
    plugins: [esbuildPlugin()],
    logLevel: 'silent',
  });
  const text = r.outputFiles[0].text;
  assert.match(text, /from "pg"/);
  assert.doesNotMatch(text, /"pg",\s*"/);
  assert.match(text, /"express",\s*"[^"]+",\s*"index\.js",\s*true/);
});
