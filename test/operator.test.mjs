// The agent as the OpenTelemetry Operator injects it (npm run build:operator): the folder is
// copied to a fresh path like the operator's volume, the apps have no agent in their
// node_modules, and the environment is exactly what the operator sets for a Node.js container
// (the leading space in NODE_OPTIONS included; the kubelet has expanded the $(VAR)s).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync, existsSync, readdirSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, root, nodeBin, waitForOutput, hasSyncLoadHooks } from './helpers/run.mjs';
import { requireService } from './helpers/services.mjs';
import { npm, toolEnv } from './helpers/pack.mjs';

const SERVER = 2;
let tmp;
let volume;

before(async () => {
  await requireService('postgres');
  await requireService('redis');
  const built = spawnSync(nodeBin, [`${root}scripts/build-operator.mjs`], {
    cwd: root,
    env: toolEnv(),
    encoding: 'utf8',
  });
  assert.equal(built.status, 0, built.stderr);
  tmp = mkdtempSync(join(tmpdir(), 'budobserve-operator-test-'));
  volume = join(tmp, 'otel-auto-instrumentation-nodejs');
  cpSync(`${root}dist-operator/autoinstrumentation`, volume, { recursive: true, verbatimSymlinks: true });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const POD = 'shop-7d9f8c6b5-x2k4q';
/** The operator's variables for container `app` of deployment `shop` in namespace `default`. */
const operatorEnv = (endpoint) => ({
  NODE_OPTIONS: ` --require ${volume}/autoinstrumentation.js`,
  OTEL_NODE_IP: '10.0.0.12',
  OTEL_POD_IP: '10.244.1.17',
  OTEL_SERVICE_NAME: 'shop',
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_RESOURCE_ATTRIBUTES_POD_NAME: POD,
  OTEL_RESOURCE_ATTRIBUTES_NODE_NAME: 'node-1',
  OTEL_PROPAGATORS: 'tracecontext,baggage',
  OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
  OTEL_TRACES_SAMPLER_ARG: '1',
  OTEL_RESOURCE_ATTRIBUTES: [
    'k8s.container.name=app',
    'k8s.deployment.name=shop',
    'k8s.namespace.name=default',
    'k8s.node.name=node-1',
    `k8s.pod.name=${POD}`,
    'k8s.replicaset.name=shop-7d9f8c6b5',
    `service.instance.id=default.${POD}.app`,
    'service.namespace=default',
    'service.version=1.4.2',
  ].join(','),
});

function size(p) {
  const s = lstatSync(p);
  return s.isDirectory() ? readdirSync(p).reduce((n, f) => n + size(join(p, f)), 0) : s.size;
}

test('the folder holds the agent with its runtime dependencies, and stays small', () => {
  assert.ok(existsSync(join(volume, 'autoinstrumentation.js')));
  assert.ok(existsSync(join(volume, 'node_modules/import-in-the-middle/package.json')));
  const mb = size(volume) / 1e6;
  assert.ok(mb < 10, `${mb.toFixed(1)} MB`);
});

for (const app of ['shop.cjs', 'shop.mjs']) {
  test(`${app}: one trace per request with the Express, pg and ioredis spans, the operator's resource, no warning`, async () => {
    const receiver = await startReceiver();
    try {
      const r = await runApp({ script: `${fixtures}operator/${app}`, preload: [], env: operatorEnv(receiver.url) });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '200 {"id":7,"seen":1}\n');
      assert.equal(r.stderr, '');
      const spans = await receiver.waitFor(
        (s) =>
          s.some((x) => x.kind === SERVER && x.attributes['http.route'] === '/orders/:id') &&
          s.some((x) => x.name === 'SELECT test') &&
          s.some((x) => x.name === 'incr'),
      );
      const server = spans.find((x) => x.kind === SERVER && x.attributes['http.route'] === '/orders/:id');
      const trace = spans.filter((s) => s.traceId === server.traceId);
      for (const name of ['SELECT test', 'incr', 'pg-pool.connect'])
        assert.ok(
          trace.some((s) => s.name === name),
          `${name} in ${trace.map((s) => s.name).join(', ')}`,
        );
      const res = server.resource;
      assert.equal(res['service.name'], 'shop');
      assert.equal(res['service.version'], '1.4.2');
      assert.equal(res['service.instance.id'], `default.${POD}.app`);
      for (const [k, v] of Object.entries({
        'k8s.namespace.name': 'default',
        'k8s.pod.name': POD,
        'k8s.node.name': 'node-1',
        'k8s.deployment.name': 'shop',
        'k8s.container.name': 'app',
      }))
        assert.equal(res[k], v, k);
      for (const k of [
        'host.name',
        'host.arch',
        'os.type',
        'process.pid',
        'process.runtime.version',
        'telemetry.distro.name',
      ])
        assert.ok(res[k] !== undefined, k);
    } finally {
      await receiver.close();
    }
  });
}

test("an app with its own older @opentelemetry/api: its manual span nests under the agent's server span", async () => {
  const dir = join(tmp, 'manual');
  cpSync(`${fixtures}operator/manual-api.mjs`, join(dir, 'app.mjs'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'manual', private: true, type: 'module' }));
  npm(['install', '@opentelemetry/api@1.4.1', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], dir);
  const receiver = await startReceiver();
  try {
    const r = await runApp({ script: join(dir, 'app.mjs'), cwd: dir, preload: [], env: operatorEnv(receiver.url) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '200 priced\n');
    const spans = await receiver.waitFor(
      (s) => s.some((x) => x.name === 'price order') && s.some((x) => x.kind === SERVER),
    );
    const manual = spans.find((x) => x.name === 'price order');
    const server = spans.find((x) => x.kind === SERVER);
    assert.equal(manual.traceId, server.traceId);
    assert.equal(manual.parentSpanId, server.spanId);
    assert.equal(manual.attributes['order.id'], 7);
  } finally {
    await receiver.close();
  }
});

test(
  "auto-trace by environment alone: the app's own function becomes a span",
  { skip: !hasSyncLoadHooks && 'this Node cannot run synchronous load hooks' },
  async () => {
    const receiver = await startReceiver();
    try {
      const dir = `${fixtures}operator/auto/`;
      const r = await runApp({
        script: `${dir}app.mjs`,
        cwd: dir,
        preload: [],
        env: { ...operatorEnv(receiver.url), BUD_OBSERVE_AUTOTRACE_MODULES: 'src/**' },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'total 21\n');
      const spans = await receiver.waitFor((s) => s.some((x) => x.name === 'Calling price'));
      assert.equal(spans.find((x) => x.name === 'Calling price').resource['service.instance.id'], `default.${POD}.app`);
    } finally {
      await receiver.close();
    }
  },
);

// The exit paths, each as plain Node ends it: the same output, code and signal, and every span delivered.
for (const mode of ['exit', 'throw', 'sigterm']) {
  test(`exit path '${mode}': the app ends as without the agent, its spans delivered`, async () => {
    const script = `${fixtures}exit/app.mjs`;
    const signalWhenReady =
      mode === 'sigterm'
        ? { onSpawn: (child, out) => void waitForOutput(out, 'ready').then(() => child.kill('SIGTERM')) }
        : {};
    const plain = await runApp({ script, args: [mode], preload: [], env: { SPANS: '20' }, ...signalWhenReady });
    const receiver = await startReceiver();
    try {
      const r = await runApp({
        script,
        args: [mode],
        preload: [],
        env: { ...operatorEnv(receiver.url), SPANS: '20' },
        ...signalWhenReady,
      });
      assert.deepEqual([r.code, r.signal, r.stdout], [plain.code, plain.signal, plain.stdout]);
      const work = receiver.spans.filter((x) => x.name.startsWith('work '));
      assert.equal(work.length, 20, receiver.spans.map((x) => x.name).join(', '));
    } finally {
      await receiver.close();
    }
  });
}

test('with no endpoint the injected agent prints spans on the console (stderr), as the installed one does', async () => {
  const { OTEL_EXPORTER_OTLP_ENDPOINT: _unset, ...env } = operatorEnv('');
  const r = await runApp({
    script: `${fixtures}exit/app.mjs`,
    args: ['natural'],
    preload: [],
    env: { ...env, SPANS: '2' },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'done\n');
  assert.match(r.stderr, /no OTLP endpoint is configured/);
  assert.match(r.stderr, /\bwork 0\b[^\n]*\n[^\n]*\bwork 1\b/);
});
