// The package as a user gets it: `npm pack`, installed from the tarball into an empty app
// (its dependencies from the registry), preloaded by its package name. Catches what the
// in-repo tests cannot: a file missing from "files", an "exports" entry pointing nowhere,
// a dependency used but not declared, a bin that does not run, an install that grew.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { startGrpcReceiver } from './helpers/grpc-receiver.mjs';
import { measureInstall, MB } from './helpers/install-size.mjs';
import { runApp, root, fixtures, nodeBin } from './helpers/run.mjs';
import { packAndInstall, toolEnv } from './helpers/pack.mjs';

const SERVER = 2;
const CLIENT = 3;
const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'bud-pack-'));
const appDir = join(tmp, 'app');
before(
  () => {
    packAndInstall(tmp, 'app', { name: 'packed-app', version: '2.0.0', private: true });
    copyFileSync(`${fixtures}http/app.mjs`, join(appDir, 'app.mjs'));
    copyFileSync(`${fixtures}http/app.cjs`, join(appDir, 'app.cjs'));
  },
  { timeout: 360_000 },
);

after(() => rmSync(tmp, { recursive: true, force: true }));

const ids = {
  BUD_OBSERVE_PROJECT_ID: 'p-1',
  BUD_OBSERVE_ENDPOINT_ID: 'e-2',
  BUD_OBSERVE_MODEL_ID: 'm-3',
  BUD_OBSERVE_CLUSTER_ID: 'c-4',
};

async function exportRun({ preload, script, env }) {
  const receiver = await startReceiver();
  try {
    const r = await runApp({ script, preload, cwd: appDir, env: { BUD_OBSERVE_ENDPOINT: receiver.url, ...env } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '200 hello /greet?name=bud\n');
    assert.equal(r.stderr, '');
    const spans = await receiver.waitFor((s) => s.some((x) => x.kind === SERVER) && s.some((x) => x.kind === CLIENT));
    return spans.find((s) => s.kind === SERVER);
  } finally {
    await receiver.close();
  }
}

for (const [script, preload] of [
  ['app.mjs', ['--import', '@budobserve/agent/register']],
  ['app.cjs', ['--require', '@budobserve/agent/register']],
]) {
  for (const protocol of ['http/protobuf', 'http/json']) {
    test(`installed package: ${preload[0]} @budobserve/agent/register ${script} over ${protocol}`, async () => {
      const server = await exportRun({
        script,
        preload,
        env: {
          BUD_OBSERVE_PROTOCOL: protocol,
          BUD_OBSERVE_SERVICE_NAME: 'packed',
          BUD_OBSERVE_ENVIRONMENT: 'staging',
          ...ids,
        },
      });
      const res = server.resource;
      assert.equal(res['service.name'], 'packed');
      assert.equal(res['deployment.environment.name'], 'staging');
      assert.equal(res['bud.project.id'], 'p-1');
      assert.equal(res['bud.endpoint.id'], 'e-2');
      assert.equal(res['bud.model.id'], 'm-3');
      assert.equal(res['bud.cluster.id'], 'c-4');
    });
  }
}

test('installed package: budobserve.config.ts with defineConfig is honoured, env overrides it', async () => {
  const file = join(appDir, 'budobserve.config.ts');
  writeFileSync(
    file,
    "import { defineConfig } from '@budobserve/agent';\n\nexport default defineConfig({ serviceName: 'from-file' as string, environment: 'file-env' });\n",
  );
  try {
    const preload = ['--import', '@budobserve/agent/register'];
    let server = await exportRun({ script: 'app.mjs', preload, env: {} });
    assert.equal(server.resource['service.name'], 'from-file');
    assert.equal(server.resource['deployment.environment.name'], 'file-env');
    server = await exportRun({ script: 'app.mjs', preload, env: { BUD_OBSERVE_SERVICE_NAME: 'from-env' } });
    assert.equal(server.resource['service.name'], 'from-env');
    assert.equal(server.resource['deployment.environment.name'], 'file-env');
  } finally {
    unlinkSync(file);
  }
});

function doctorJson(command, args) {
  const r = spawnSync(command, [...args, 'doctor', '--json'], { cwd: appDir, env: toolEnv(), encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stderr}${r.error ?? ''}`);
  return JSON.parse(r.stdout);
}

test('installed package: budobserve doctor --json, by path and through node_modules/.bin', () => {
  for (const report of [
    doctorJson(nodeBin, [join(appDir, 'node_modules/@budobserve/agent/dist/cli.mjs')]),
    doctorJson(join(appDir, 'node_modules/.bin/budobserve'), []),
  ]) {
    assert.equal(report.version, version);
    assert.equal(report.configFile, null);
    assert.deepEqual(report.problems, []);
    assert.equal(report.values.find((v) => v.option === 'serviceName')?.value, 'packed-app');
    assert.ok(report.instrumentations.some((i) => i.name === 'http'));
  }
});

test('installed package: budobserve init writes a config file that then loads', () => {
  const file = join(appDir, 'budobserve.config.ts');
  try {
    const r = spawnSync(join(appDir, 'node_modules/.bin/budobserve'), ['init'], {
      cwd: appDir,
      env: toolEnv(),
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(file, 'utf8'), readFileSync(`${root}budobserve.config.example.ts`, 'utf8'));
    const report = doctorJson(join(appDir, 'node_modules/.bin/budobserve'), []);
    assert.equal(report.configFile, 'budobserve.config.ts');
    assert.deepEqual(report.problems, []);
  } finally {
    rmSync(file, { force: true });
  }
});

test('installed package: the API (ESM and CommonJS) and @budobserve/agent/testing', async () => {
  writeFileSync(
    join(appDir, 'api.mjs'),
    "import * as bud from '@budobserve/agent';\nimport { withCapture } from '@budobserve/agent/testing';\nbud.info('from {where}', { where: 'esm' });\nconst json = await withCapture((c) => { bud.span('captured', () => {}); return c.spansAsJSON(); });\nconsole.log(json.map((s) => s.name).join());\n",
  );
  writeFileSync(
    join(appDir, 'api.cjs'),
    "const bud = require('@budobserve/agent');\nbud.warn('from {where}', { where: 'cjs' });\nconsole.log(typeof bud.instrument);\n",
  );
  const receiver = await startReceiver();
  try {
    for (const [script, preload, out] of [
      ['api.mjs', ['--import', '@budobserve/agent/register'], 'captured\n'],
      ['api.cjs', ['--require', '@budobserve/agent/register'], 'function\n'],
    ]) {
      const r = await runApp({
        script: join(appDir, script),
        cwd: appDir,
        preload,
        env: { BUD_OBSERVE_ENDPOINT: receiver.url },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, out);
    }
    const msgs = receiver.spans.map((s) => s.attributes['logfire.msg']);
    assert.ok(msgs.includes('from esm') && msgs.includes('from cjs') && msgs.includes('captured'), msgs.join());
  } finally {
    await receiver.close();
  }
});

// The install-size target of README's comparison table (issue 15: the install was 198
// packages, 78 MB, while the process loads only dist/ and a few small packages).
test('installed package: at most 10 packages and 15 MB on disk, no OpenTelemetry package (they are bundled)', (t) => {
  const { packages, bytes } = measureInstall(join(appDir, 'node_modules'));
  t.diagnostic(`installed: ${packages.length} packages, ${(bytes / MB).toFixed(1)} MB on disk: ${packages.join(', ')}`);
  assert.ok(packages.length <= 10, `${packages.length} packages: ${packages.join(', ')}`);
  assert.ok(bytes <= 15 * MB, `${(bytes / MB).toFixed(1)} MB`);
  assert.deepEqual(
    packages.filter((p) => p.startsWith('@opentelemetry/') || p.startsWith('@grpc/')),
    [],
  );
});

test('installed package: no install script (npm reports those under allowScripts)', () => {
  const { scripts = {} } = JSON.parse(
    readFileSync(join(appDir, 'node_modules/@budobserve/agent/package.json'), 'utf8'),
  );
  for (const name of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(scripts[name], undefined, name);
});

function distFiles(dir = join(appDir, 'node_modules/@budobserve/agent/dist')) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.[cm]js$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

// Packages dist/ names at run time but that neither the agent installs nor needs to: the
// app's own, loaded in a try/catch by the instrumentation that wants them, or code paths an
// exporter never reaches.
const NOT_INSTALLED = {
  '@opentelemetry/winston-transport': 'the winston instrumentation sends log records through it when the app has it',
  '@grpc/proto-loader': "grpc-js's channelz and ORCA servers only",
};

test('installed package: every package dist/ requires at run time is a declared dependency', () => {
  const { dependencies } = JSON.parse(
    readFileSync(join(appDir, 'node_modules/@budobserve/agent/package.json'), 'utf8'),
  );
  const builtins = new Set(builtinModules);
  // require("x") and every require made with createRequire (requireHere, requireExternal,
  // __require…), resolveExternal("x"), module.register("x/…"), import("x"), and an import
  // or export statement's from "x".
  const call =
    /(?:\b(?:\w*[rR]equire\w*|resolveExternal\d*|register|import)\s*\(|^[ \t]*(?:import|export)\b[^\n]*?\bfrom)\s*(["'])([^"'\s]+)\1/gm;
  const named = new Map();
  for (const file of distFiles()) {
    for (const [, , spec] of readFileSync(file, 'utf8').matchAll(call)) {
      if (spec.startsWith('.') || spec.startsWith('node:') || spec.includes('%') || spec.includes('$')) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (builtins.has(name) || !/^(@[a-z0-9._-]+\/)?[a-z0-9._-]+$/.test(name)) continue;
      named.set(name, file.slice(file.indexOf('/dist/') + 1));
    }
  }
  const undeclared = [...named].filter(([name]) => !(name in dependencies) && !(name in NOT_INSTALLED));
  assert.deepEqual(undeclared, [], 'required by dist/ but not in "dependencies"');
  assert.ok(named.has('import-in-the-middle'), [...named.keys()].join());
  for (const name of Object.keys(dependencies))
    assert.ok(named.has(name), `"${name}" is a dependency that dist/ never requires`);
});

test('installed package: every lazily loaded bundle loads from the installed package alone', () => {
  const dir = join(appDir, 'node_modules/@budobserve/agent/dist/lazy');
  const files = readdirSync(dir).filter((f) => f.endsWith('.cjs'));
  assert.ok(
    files.includes('exporter-grpc.cjs') && files.includes('autotrace-rewrite.cjs') && files.length > 40,
    files.join(),
  );
  const script = `const failed = [];\nfor (const f of ${JSON.stringify(files)}) { try { require(${JSON.stringify(dir)} + '/' + f); } catch (e) { failed.push(f + ': ' + e.message.split('\\n')[0]); } }\nconsole.log(JSON.stringify(failed));\n`;
  const r = spawnSync(nodeBin, ['-e', script], { cwd: appDir, env: toolEnv(), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), []);
});

test('installed package: exports over OTLP/gRPC with the bundled gRPC client', async () => {
  const receiver = await startGrpcReceiver();
  try {
    const r = await runApp({
      script: 'app.mjs',
      preload: ['--import', '@budobserve/agent/register'],
      cwd: appDir,
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_PROTOCOL: 'grpc', BUD_OBSERVE_TOKEN: 'tok' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.ok(receiver.received.spans.some((s) => s.kind === SERVER));
    assert.equal(receiver.received.calls.find((c) => c.signal === 'trace')?.metadata.authorization, 'Bearer tok');
    assert.ok(receiver.received.calls.some((c) => c.signal === 'metrics'));
  } finally {
    await receiver.close();
  }
});

// The public types name OpenTelemetry types, whose packages are bundled and not installed:
// dist/types carries their declarations (scripts/vendor-types.mjs). Checked with
// skipLibCheck off, so an import in the declarations that resolves nowhere is an error; the
// lines marked @ts-expect-error fail if a type silently became `any`.
test('installed package: its type declarations typecheck without the OpenTelemetry packages installed', () => {
  const dir = join(appDir, 'typed');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'app.mts'),
    [
      "import { defineConfig, span, metricCounter, type BudObserveConfig } from '@budobserve/agent';",
      "import { withCapture } from '@budobserve/agent/testing';",
      "const config: BudObserveConfig = defineConfig({ serviceName: 'typed', spanProcessors: [] });",
      "span('typed', (s) => { s.setAttribute('k', 1); });",
      '// @ts-expect-error a trace id is a string',
      "span('typed', (s) => { const id: number = s.span.spanContext().traceId; return id; });",
      "metricCounter('c').add(1, { route: '/x' });",
      'const names: string[] = await withCapture((c) => c.spans.map((x) => x.name));',
      '// @ts-expect-error a ReadableSpan has no such member',
      'await withCapture((c) => c.spans.map((x) => x.notAMember));',
      'console.log(config, names);',
      '',
    ].join('\n'),
  );
  for (const moduleResolution of ['nodenext', 'bundler']) {
    const module = moduleResolution === 'bundler' ? 'esnext' : 'nodenext';
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module,
          moduleResolution,
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(root, 'node_modules/@types')],
        },
        files: ['app.mts'],
      }),
    );
    const r = spawnSync(nodeBin, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], {
      cwd: dir,
      env: toolEnv(),
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `${moduleResolution}:\n${r.stdout}${r.stderr}`);
  }
});
