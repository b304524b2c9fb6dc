// Every environment variable the README documents is one the agent reads: none is reported
// as unknown, and each standard OTEL_* variable changes what the README's configuration
// table says it changes. Read through `budobserve doctor --json` (the agent's own
// resolution, with the source of each value); the sampler, headers and resource are also
// checked on the spans a real agent run exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { makeProject } from './helpers/project.mjs';
import { doctor } from './helpers/doctor.mjs';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { closedPort } from './helpers/net.mjs';
import { runApp, fixtures, root } from './helpers/run.mjs';

const readme = readFileSync(`${root}README.md`, 'utf8');
const documented = (prefix) => [...new Set(readme.match(new RegExp(`\\b${prefix}_[A-Z0-9_]+`, 'g')))].sort();
const BUD = documented('BUD_OBSERVE');
const OTEL = documented('OTEL');
const app = `${fixtures}http/app.mjs`;

function inProject(fn) {
  const p = makeProject({});
  try {
    return fn(p.dir);
  } finally {
    p.cleanup();
  }
}

test('the README documents the variables this test reads', () => {
  assert.ok(
    BUD.length > 30 && BUD.includes('BUD_OBSERVE_COMPILE_CACHE') && BUD.includes('BUD_OBSERVE_TOKEN'),
    BUD.join(' '),
  );
  assert.ok(OTEL.length > 25 && OTEL.includes('OTEL_TRACES_SAMPLER_ARG'), OTEL.join(' '));
});

test('regression 15.3: every BUD_OBSERVE_* and OTEL_* variable the README documents is known to the env reader', async () => {
  const { knownVariables, readEnv } = await import('../src/config/env.ts');
  const known = knownVariables();
  for (const name of [...BUD, ...OTEL])
    assert.ok(known.has(name), `${name} is documented but the env reader does not know it`);
  assert.deepEqual(readEnv(Object.fromEntries(BUD.map((n) => [n, 'x']))).unknown, []);
  // And the real agent resolution, every documented variable set at once: none is unknown.
  const r = inProject((dir) => doctor(dir, Object.fromEntries([...BUD, ...OTEL].map((n) => [n, 'x']))));
  assert.deepEqual(
    r.problems.filter((p) => p.code === 'BUDOBSERVE_CONFIG_UNKNOWN_KEY'),
    [],
  );
});

test('regression 15.3: BUD_OBSERVE_COMPILE_CACHE=false is not an unknown variable', async () => {
  const r = await runApp({ script: app, env: { BUD_OBSERVE_COMPILE_CACHE: 'false', BUD_OBSERVE_CONSOLE: 'false' } });
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
});

// Each documented OTEL_* variable: the value set, and what the README says it changes.
// `check(report)` reads the doctor report; the variable must be the source of `option` (as
// doctor names it: `source`, when that is more than the variable's name); `with` sets others.
function cases(port) {
  const base = `http://127.0.0.1:${port}`;
  const endpoint = (r, signal) => r.endpoints.find((e) => e.signal === signal);
  const perSignal = {};
  for (const [s, protocol] of [
    ['traces', 'http/json'],
    ['metrics', 'grpc'],
    ['logs', 'http/protobuf'],
  ]) {
    const S = s.toUpperCase();
    Object.assign(perSignal, {
      [`OTEL_EXPORTER_OTLP_${S}_ENDPOINT`]: {
        value: `${base}/own-${s}`,
        option: `export.${s}.endpoint`,
        check: (r) => assert.equal(endpoint(r, s).url, `${base}/own-${s}`, 'used as is'),
      },
      [`OTEL_EXPORTER_OTLP_${S}_PROTOCOL`]: {
        value: protocol,
        option: `export.${s}.protocol`,
        check: (r) => assert.equal(endpoint(r, s).protocol, protocol),
      },
      [`OTEL_EXPORTER_OTLP_${S}_HEADERS`]: {
        value: `x-${s}=1`,
        option: `export.${s}.headers`,
        check: (r) => assert.deepEqual(r.value(`export.${s}.headers`), { [`x-${s}`]: '[hidden]' }),
      },
      [`OTEL_EXPORTER_OTLP_${S}_TIMEOUT`]: {
        value: '4321',
        option: `export.${s}.timeoutMs`,
        check: (r) => assert.equal(r.value(`export.${s}.timeoutMs`), 4321),
      },
    });
  }
  return [
    {
      OTEL_SDK_DISABLED: { value: 'true', option: 'disabled', check: (r) => assert.equal(r.value('disabled'), true) },
      OTEL_SERVICE_NAME: {
        value: 'otel-svc',
        option: 'serviceName',
        check: (r) => assert.equal(r.value('serviceName'), 'otel-svc'),
      },
      OTEL_RESOURCE_ATTRIBUTES: {
        value: 'service.version=9.9.9,deployment.environment=stage,team=core',
        option: 'resourceAttributes',
        check: (r) => {
          assert.equal(r.value('resourceAttributes').team, 'core');
          assert.equal(r.value('serviceVersion'), '9.9.9');
          assert.equal(r.source('serviceVersion'), 'OTEL_RESOURCE_ATTRIBUTES (service.version)');
          assert.equal(r.value('environment'), 'stage');
        },
      },
      OTEL_EXPORTER_OTLP_ENDPOINT: {
        value: base,
        option: 'export.endpoint',
        check: (r) => assert.equal(r.value('export.endpoint'), base),
      },
      OTEL_EXPORTER_OTLP_PROTOCOL: {
        value: 'http/json',
        option: 'export.protocol',
        check: (r) => assert.equal(r.value('export.protocol'), 'http/json'),
      },
      OTEL_EXPORTER_OTLP_HEADERS: {
        value: 'x-all=1',
        option: 'export.headers',
        check: (r) => assert.deepEqual(r.value('export.headers'), { 'x-all': '[hidden]' }),
      },
      OTEL_EXPORTER_OTLP_TIMEOUT: {
        value: '1234',
        option: 'export.timeoutMs',
        check: (r) => assert.equal(r.value('export.timeoutMs'), 1234),
      },
      OTEL_EXPORTER_OTLP_COMPRESSION: {
        value: 'gzip',
        option: 'export.compression',
        check: (r) => assert.equal(r.value('export.compression'), 'gzip'),
      },
      ...perSignal,
      OTEL_TRACES_EXPORTER: {
        value: 'otlp,console',
        option: 'export.traces.exporter',
        check: (r) => {
          assert.deepEqual(r.value('export.traces.exporter'), ['otlp', 'console']);
          assert.equal(r.value('console.enabled'), true, 'console among the exporters turns the console view on');
        },
      },
      OTEL_METRICS_EXPORTER: {
        value: 'otlp',
        option: 'export.metrics.exporter',
        check: (r) => assert.ok(endpoint(r, 'metrics')),
      },
      OTEL_TRACES_SAMPLER: {
        value: 'traceidratio',
        option: 'sampling.sampler',
        check: (r) => assert.equal(r.value('sampling.sampler'), 'traceidratio'),
      },
      OTEL_TRACES_SAMPLER_ARG: {
        value: '0.25',
        option: 'sampling.headSampleRate',
        check: (r) => assert.equal(r.value('sampling.headSampleRate'), 0.25),
      },
      OTEL_PROPAGATORS: {
        value: 'b3,tracecontext',
        option: 'propagators',
        check: (r) => assert.deepEqual(r.value('propagators'), ['b3', 'tracecontext']),
      },
      OTEL_BSP_SCHEDULE_DELAY: {
        value: '250',
        option: 'batch.scheduleDelayMs',
        check: (r) => assert.equal(r.value('batch.scheduleDelayMs'), 250),
      },
      OTEL_BSP_MAX_QUEUE_SIZE: {
        value: '100',
        option: 'batch.maxQueueSize',
        check: (r) => assert.equal(r.value('batch.maxQueueSize'), 100),
      },
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: {
        value: '50',
        option: 'batch.maxExportBatchSize',
        check: (r) => assert.equal(r.value('batch.maxExportBatchSize'), 50),
      },
      OTEL_METRIC_EXPORT_INTERVAL: {
        value: '5000',
        option: 'metrics.exportIntervalMs',
        check: (r) => assert.equal(r.value('metrics.exportIntervalMs'), 5000),
      },
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: {
        value: 'http,pg,fs',
        option: 'instrumentations.enabled',
        check: (r) =>
          assert.ok(
            r.instrumentations.some((i) => i.name === 'fs'),
            'fs is off by default',
          ),
      },
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: {
        value: 'pg',
        option: 'instrumentations.disabled',
        check: (r) =>
          assert.deepEqual(
            r.instrumentations.map((i) => i.name),
            ['fs', 'http'],
          ),
      },
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: {
        value: 'true',
        option: 'capture.genAiContent',
        check: (r) => assert.equal(r.value('capture.genAiContent'), true),
      },
      OTEL_LOG_LEVEL: { value: 'debug', option: 'logLevel', check: (r) => assert.equal(r.value('logLevel'), 'debug') },
      OTEL_NODE_RESOURCE_DETECTORS: {
        value: 'os,gcp',
        option: 'resourceDetectors',
        check: (r) => {
          assert.deepEqual(r.value('resourceDetectors'), ['os', 'gcp']);
          assert.deepEqual(r.cloudDetectors, ['gcp']);
          assert.equal(r.resource.find((a) => a.attribute === 'os.type')?.source, 'os');
        },
      },
    },
    {
      // A second run: the keys of OTEL_RESOURCE_ATTRIBUTES that OTEL_SERVICE_NAME above outranks,
      // and an exporter list that turns a signal off (the first run sends logs somewhere).
      OTEL_LOGS_EXPORTER: {
        value: 'none',
        option: 'export.logs.exporter',
        with: { OTEL_EXPORTER_OTLP_ENDPOINT: base },
        check: (r) => {
          assert.ok(endpoint(r, 'traces'), 'an endpoint is set');
          assert.equal(endpoint(r, 'logs'), undefined, 'none: logs are not exported although an endpoint is set');
        },
      },
      OTEL_RESOURCE_ATTRIBUTES: {
        value: 'service.name=attr-svc,deployment.environment.name=prod,deployment.environment=old',
        option: 'serviceName',
        source: 'OTEL_RESOURCE_ATTRIBUTES (service.name)',
        check: (r) => {
          assert.equal(r.value('serviceName'), 'attr-svc');
          assert.equal(r.source('environment'), 'OTEL_RESOURCE_ATTRIBUTES (deployment.environment.name)');
          assert.equal(
            r.value('environment'),
            'prod',
            'deployment.environment.name wins over the older deployment.environment',
          );
        },
      },
    },
  ];
}

test('every OTEL_* variable the README documents changes what the docs say (15.4)', async () => {
  const runs = cases(await closedPort());
  const covered = new Set(runs.flatMap((c) => Object.keys(c)));
  assert.deepEqual(
    OTEL.filter((v) => !covered.has(v)),
    [],
    'every documented OTEL_* variable has a case here',
  );
  inProject((dir) => {
    for (const run of runs) {
      const r = doctor(dir, Object.assign({}, ...Object.entries(run).map(([k, c]) => ({ ...c.with, [k]: c.value }))));
      assert.deepEqual(r.problems, []);
      for (const [name, c] of Object.entries(run)) {
        assert.equal(r.source(c.option), c.source ?? name, `${name} is the source of ${c.option}`);
        c.check(r);
      }
    }
  });
});

test('regression 15.4: OTEL_TRACES_SAMPLER_ARG alone applies to the default ratio sampler', () =>
  inProject((dir) => {
    const r = doctor(dir, { OTEL_TRACES_SAMPLER_ARG: '0.1' });
    assert.equal(r.value('sampling.sampler'), 'parentbased_traceidratio');
    assert.equal(r.value('sampling.headSampleRate'), 0.1);
    assert.equal(r.source('sampling.headSampleRate'), 'OTEL_TRACES_SAMPLER_ARG');
    // Not for a sampler that takes no ratio, as OTel specifies.
    assert.equal(
      doctor(dir, { OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_TRACES_SAMPLER_ARG: '0.1' }).value(
        'sampling.headSampleRate',
      ),
      1,
    );
  }));

test('regression 15.4: OTEL_TRACES_SAMPLER_ARG=0 alone records no trace; without it the same run exports its spans', async () => {
  const receiver = await startReceiver();
  try {
    const control = await runApp({ script: app, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
    assert.equal(control.code, 0, control.stderr);
    await receiver.waitFor((s) => s.length >= 2);
    receiver.received.spans.length = 0;
    const r = await runApp({
      script: app,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER_ARG: '0' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    // The process has exited, so its exit flush is over: whatever it sent has arrived.
    assert.equal(receiver.spans.length, 0);
  } finally {
    await receiver.close();
  }
});

test('OTEL_* variables reach the exported spans: endpoint, protocol, headers, service name, resource attributes', async () => {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: app,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=k%20v',
        OTEL_SERVICE_NAME: 'otel-named',
        OTEL_RESOURCE_ATTRIBUTES: 'team=core,deployment.environment.name=ci',
      },
    });
    assert.equal(r.code, 0, r.stderr);
    const [span] = await receiver.waitFor((s) => s.length >= 2);
    const req = receiver.received.requests.find((q) => q.path === '/v1/traces');
    assert.equal(req.contentType, 'application/json');
    assert.equal(req.headers['x-api-key'], 'k v', 'percent-decoded');
    assert.equal(span.resource['service.name'], 'otel-named');
    assert.equal(span.resource.team, 'core');
    assert.equal(span.resource['deployment.environment.name'], 'ci');
  } finally {
    await receiver.close();
  }
});
