// Bundles and runs the bundle fixture app (fixtures/bundle/app.mjs) the way users ship one:
// esbuild (CommonJS or ES-module output) or webpack 5, into a folder outside the project, so
// the bundle cannot reach node_modules; and reads what one run exported as a comparable
// shape. Shared by the bundle tests (zero-code recognition and the build plugins).
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { root, fixtures, runApp } from './run.mjs';
import { startReceiver } from './otlp-receiver.mjs';
import { startProviderServer } from '../../fixtures/integrations-llm/provider-server.mjs';

const require = createRequire(import.meta.url);
export const bundleApp = `${fixtures}bundle/app.mjs`;

/** A fresh folder outside the project for bundles. */
export function bundleDir(dir = tmpdir()) {
  mkdirSync(dir, { recursive: true });
  return mkdtempSync(join(dir, 'bud-bundle-'));
}

// esbuild's ES-module output needs a require() for the CommonJS libraries it wraps; users add
// this banner (esbuild's own documentation does).
const ESM_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** esbuild's bundle of the fixture app: format 'cjs' or 'esm'; returns the file. */
export async function esbuildBundle({ format, outDir, entry = bundleApp, ...options }) {
  const { build } = await import('esbuild');
  const outfile = join(outDir, format === 'esm' ? 'app.mjs' : 'app.cjs');
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format,
    outfile,
    external: ['pg-native'],
    logLevel: 'error',
    ...(format === 'esm' ? { banner: { js: ESM_BANNER } } : {}),
    ...options,
  });
  return outfile;
}

/** webpack 5's bundle of the fixture app (CommonJS output, target node); returns the file. */
export async function webpackBundle({ outDir, mode = 'development', entry = bundleApp, ...options }) {
  const webpack = require('webpack');
  const config = {
    mode,
    devtool: false,
    target: 'node22',
    entry,
    context: root,
    output: { path: outDir, filename: 'app.cjs' },
    externals: { 'pg-native': 'commonjs pg-native' },
    optimization: { moduleIds: 'named' },
    infrastructureLogging: { level: 'error' },
    ...options,
  };
  await new Promise((resolve, reject) =>
    webpack(config, (error, stats) => {
      if (error) reject(error);
      else if (stats.hasErrors()) reject(new Error(stats.toString({ all: false, errors: true })));
      else resolve();
    }),
  );
  return join(outDir, 'app.cjs');
}

/**
 * Runs one app (or bundle) with the loopback LLM provider; `agent: false` runs it plain.
 * Returns the run and, under the agent, the exported spans as sorted `kind name <- parent` lines.
 */
export async function runBundle(script, { agent = true, env = {}, cwd } = {}) {
  const receiver = await startReceiver();
  const provider = await startProviderServer();
  try {
    const run = await runApp({
      script,
      cwd: cwd ?? tmpdir(),
      ...(agent ? {} : { preload: [] }),
      env: {
        BUD_OBSERVE_ENDPOINT: receiver.url,
        LLM_BASE_URL: provider.url,
        BUD_OBSERVE_SERVICE_NAME: 'bundle',
        ...env,
      },
    });
    // The agent exports at exit: what the receiver holds once the app has exited is all there is.
    return { ...run, shape: agent ? spanShape(receiver.spans) : [], spans: receiver.spans };
  } finally {
    await provider.close();
    await receiver.close();
  }
}

/** Spans as `kind name <- parent name`, sorted: names, kinds and parent links, nothing that varies. */
export function spanShape(spans) {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  return spans.map((s) => `${s.kind} ${s.name} <- ${byId.get(s.parentSpanId)?.name ?? '(root)'}`).sort();
}
