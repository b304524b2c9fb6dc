// The package as a user gets it: `npm pack`, installed from the tarball into an empty app
// (its dependencies from the registry), preloaded by its package name. Catches what the
// in-repo tests cannot: a file missing from "files", an "exports" entry pointing nowhere,
// a dependency used but not declared, a bin that does not run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, root, fixtures, nodeBin } from './helpers/run.mjs';
import { packAndInstall, toolEnv } from './helpers/pack.mjs';

const SERVER = 2;
const CLIENT = 3;
const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'bud-pack-'));
const appDir = join(tmp, 'app');
before(() => {
  packAndInstall(tmp, 'app', { name: 'packed-app', version: '2.0.0', private: true });
  copyFileSync(`${fixtures}http/app.mjs`, join(appDir, 'app.mjs'));
  copyFileSync(`${fixtures}http/app.cjs`, join(appDir, 'app.cjs'));
}, { timeout: 360_000 });

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

for (const [script, preload] of [['app.mjs', ['--import', '@budobserve/agent/register']], ['app.cjs', ['--require', '@budobserve/agent/register']]]) {
  for (const protocol of ['http/protobuf', 'http/json']) {
    test(`installed package: ${preload[0]} @budobserve/agent/register ${script} over ${protocol}`, async () => {
      const server = await exportRun({ script, preload, env: { BUD_OBSERVE_PROTOCOL: protocol, BUD_OBSERVE_SERVICE_NAME: 'packed', BUD_OBSERVE_ENVIRONMENT: 'staging', ...ids } });
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
  writeFileSync(file, "import { defineConfig } from '@budobserve/agent';\n\nexport default defineConfig({ serviceName: 'from-file' as string, environment: 'file-env' });\n");
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
    const r = spawnSync(join(appDir, 'node_modules/.bin/budobserve'), ['init'], { cwd: appDir, env: toolEnv(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(file, 'utf8'), readFileSync(`${root}budobserve.config.example.ts`, 'utf8'));
    const report = doctorJson(join(appDir, 'node_modules/.bin/budobserve'), []);
    assert.equal(report.configFile, 'budobserve.config.ts');
    assert.deepEqual(report.problems, []);
  } finally {
    rmSync(file, { force: true });
  }
});

test('installed package: one copy of each OpenTelemetry package in the install tree', () => {
  const out = spawnSync('find', [join(appDir, 'node_modules'), '-path', '*/@opentelemetry/*/package.json', '-not', '-path', '*/@opentelemetry/*/*/*'], { encoding: 'utf8' }).stdout.trim().split('\n');
  const copies = new Map();
  for (const file of out) {
    const name = file.match(/(@opentelemetry\/[^/]+)\/package\.json$/)?.[1];
    if (name) copies.set(name, (copies.get(name) ?? 0) + 1);
  }
  assert.ok(copies.size > 50, `found ${copies.size} OpenTelemetry packages`);
  const dupes = [...copies].filter(([, n]) => n > 1);
  assert.deepEqual(dupes, [], 'no OpenTelemetry package installed twice');
});

test('installed package: the API (ESM and CommonJS) and @budobserve/agent/testing', async () => {
  writeFileSync(join(appDir, 'api.mjs'), "import * as bud from '@budobserve/agent';\nimport { withCapture } from '@budobserve/agent/testing';\nbud.info('from {where}', { where: 'esm' });\nconst json = await withCapture((c) => { bud.span('captured', () => {}); return c.spansAsJSON(); });\nconsole.log(json.map((s) => s.name).join());\n");
  writeFileSync(join(appDir, 'api.cjs'), "const bud = require('@budobserve/agent');\nbud.warn('from {where}', { where: 'cjs' });\nconsole.log(typeof bud.instrument);\n");
  const receiver = await startReceiver();
  try {
    for (const [script, preload, out] of [['api.mjs', ['--import', '@budobserve/agent/register'], 'captured\n'], ['api.cjs', ['--require', '@budobserve/agent/register'], 'function\n']]) {
      const r = await runApp({ script: join(appDir, script), cwd: appDir, preload, env: { BUD_OBSERVE_ENDPOINT: receiver.url } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, out);
    }
    const msgs = receiver.spans.map((s) => s.attributes['logfire.msg']);
    assert.ok(msgs.includes('from esm') && msgs.includes('from cjs') && msgs.includes('captured'), msgs.join());
  } finally {
    await receiver.close();
  }
});
