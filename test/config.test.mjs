// Configuration: every source, every precedence rule, every file format, and clear
// messages for bad input. Read through `budobserve doctor --json`, which resolves the
// configuration with the agent's own code and names the source of every value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeProject } from './helpers/project.mjs';
import { doctor } from './helpers/doctor.mjs';

const tsConfig = (body) => `import { defineConfig } from '@budobserve/agent';\nexport default defineConfig(${body});\n`;

function withProject(files, fn, opts) {
  const p = makeProject(files, opts);
  try {
    return fn(p.dir);
  } finally {
    p.cleanup();
  }
}

test('defaults: service name and version come from package.json', () =>
  withProject({}, (dir) => {
    const r = doctor(dir);
    assert.equal(r.configFile, null);
    assert.equal(r.value('serviceName'), 'demo-app');
    assert.equal(r.source('serviceName'), 'package.json name');
    assert.equal(r.value('serviceVersion'), '1.2.3');
    assert.equal(r.value('export.protocol'), 'http/protobuf');
    assert.equal(r.source('export.protocol'), 'default');
    assert.equal(r.value('console.enabled'), true, 'no endpoint: console on');
  }));

test('without package.json the service name is unknown_service:node', () =>
  withProject(
    {},
    (dir) => {
      assert.equal(doctor(dir).value('serviceName'), 'unknown_service:node');
    },
    { pkg: null },
  ));

test('file < OTEL_* < BUD_OBSERVE_*, option by option', () =>
  withProject(
    {
      'budobserve.config.ts': tsConfig(
        `{ serviceName: 'from-file', environment: 'file-env', export: { protocol: 'http/json', endpoint: 'http://file:4318' } }`,
      ),
    },
    (dir) => {
      let r = doctor(dir);
      assert.equal(r.configFile, 'budobserve.config.ts');
      assert.equal(r.value('serviceName'), 'from-file');
      assert.equal(r.source('serviceName'), 'budobserve.config.ts (serviceName)');
      assert.equal(r.value('export.protocol'), 'http/json');
      assert.equal(r.value('console.enabled'), false, 'an endpoint turns the console off');

      r = doctor(dir, {
        OTEL_SERVICE_NAME: 'from-otel',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=otel-env',
      });
      assert.equal(r.value('serviceName'), 'from-otel');
      assert.equal(r.source('serviceName'), 'OTEL_SERVICE_NAME');
      assert.equal(r.value('export.protocol'), 'grpc');
      assert.equal(r.value('export.endpoint'), 'http://otel:4318');
      assert.equal(r.value('environment'), 'otel-env');
      assert.equal(r.source('environment'), 'OTEL_RESOURCE_ATTRIBUTES (deployment.environment.name)');

      r = doctor(dir, {
        OTEL_SERVICE_NAME: 'from-otel',
        BUD_OBSERVE_SERVICE_NAME: 'from-bud',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        BUD_OBSERVE_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
        BUD_OBSERVE_ENDPOINT: 'http://bud:4318',
        BUD_OBSERVE_ENVIRONMENT: 'bud-env',
      });
      assert.equal(r.value('serviceName'), 'from-bud');
      assert.equal(r.source('serviceName'), 'BUD_OBSERVE_SERVICE_NAME');
      assert.equal(r.value('export.protocol'), 'http/protobuf');
      assert.equal(r.value('export.endpoint'), 'http://bud:4318');
      assert.equal(r.value('environment'), 'bud-env');
    },
  ));

test('OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES', () =>
  withProject({}, (dir) => {
    assert.equal(
      doctor(dir, { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' }).value('serviceName'),
      'from-attrs',
    );
    assert.equal(
      doctor(dir, { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs', OTEL_SERVICE_NAME: 'direct' }).value(
        'serviceName',
      ),
      'direct',
    );
  }));

test('sampler: OTEL_TRACES_SAMPLER_ARG counts only for ratio samplers; BUD_OBSERVE_SAMPLE_RATE wins', () =>
  withProject({}, (dir) => {
    assert.equal(
      doctor(dir, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).value(
        'sampling.headSampleRate',
      ),
      0.25,
    );
    assert.equal(
      doctor(dir, { OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: '0.25' }).value(
        'sampling.headSampleRate',
      ),
      1,
    );
    assert.equal(
      doctor(dir, {
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        BUD_OBSERVE_SAMPLE_RATE: '0.5',
      }).value('sampling.headSampleRate'),
      0.5,
    );
  }));

test('instrumentation lists: OTEL_NODE_* and BUD_OBSERVE_* names, defaults keep fs/dns/net off', () =>
  withProject({}, (dir) => {
    const names = (env) => doctor(dir, env).instrumentations.map((i) => i.name);
    const def = names({});
    assert.ok(def.includes('http') && def.includes('express') && def.includes('pg'));
    for (const off of ['fs', 'dns', 'net']) assert.ok(!def.includes(off), `${off} off by default`);
    assert.deepEqual(names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,fs' }), ['fs', 'http']);
    assert.deepEqual(names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,fs', BUD_OBSERVE_INSTRUMENTATIONS: 'pg' }), [
      'pg',
    ]);
    assert.ok(!names({ BUD_OBSERVE_DISABLED_INSTRUMENTATIONS: 'http,express' }).includes('http'));
  }));

test('auto-trace settings parse durations and globs', () =>
  withProject({ 'src/services/user.js': '', 'src/other.js': '', 'node_modules/x/index.js': '' }, (dir) => {
    const cases = { '5ms': 5, '0.5s': 500, '250us': 0.25, 7: 7 };
    for (const [raw, ms] of Object.entries(cases))
      assert.equal(doctor(dir, { BUD_OBSERVE_AUTOTRACE_MIN_DURATION: raw }).value('autoTrace.minDuration'), ms, raw);
    const r = doctor(dir, { BUD_OBSERVE_AUTOTRACE_MODULES: 'src/**', BUD_OBSERVE_AUTOTRACE_EXCLUDE: 'src/other.js' });
    assert.deepEqual(r.value('autoTrace.modules'), ['src/**']);
    assert.deepEqual(r.autoTrace.matched, ['src/services/user.js']);
  }));

const formats = {
  'budobserve.config.ts': tsConfig(`{ serviceName: 'fmt' as string }`),
  'budobserve.config.mts': tsConfig(`{ serviceName: 'fmt' }`),
  'budobserve.config.cts': `const { defineConfig } = require('@budobserve/agent');\nmodule.exports = defineConfig({ serviceName: 'fmt' as string });\n`,
  'budobserve.config.js': `export default { serviceName: 'fmt' };\n`,
  'budobserve.config.mjs': `export default { serviceName: 'fmt' };\n`,
  'budobserve.config.cjs': `module.exports = { serviceName: 'fmt' };\n`,
  'budobserve.config.json': `{ "serviceName": "fmt" }`,
  'budobserve.config.yaml': `serviceName: fmt\n`,
  'budobserve.config.yml': `serviceName: fmt\n`,
  '.budobserverc': `serviceName: fmt\n`,
  '.budobserverc.json': `{ "serviceName": "fmt" }`,
  '.budobserverc.yaml': `serviceName: fmt\n`,
  '.budobserverc.cjs': `module.exports = { serviceName: 'fmt' };\n`,
};
for (const [name, text] of Object.entries(formats)) {
  test(`config file format ${name}`, () =>
    withProject({ [name]: text }, (dir) => {
      const r = doctor(dir);
      assert.equal(r.value('serviceName'), 'fmt', JSON.stringify(r.problems));
      assert.equal(r.configFile, name);
    }));
}

test('a "budobserve" key in package.json', () =>
  withProject(
    {},
    (dir) => {
      const r = doctor(dir);
      assert.equal(r.value('serviceName'), 'pkg-key');
      assert.equal(r.source('serviceName'), 'package.json#budobserve (serviceName)');
    },
    { pkg: { name: 'demo', budobserve: { serviceName: 'pkg-key' } } },
  ));

test('BUD_OBSERVE_CONFIG names the file explicitly', () =>
  withProject(
    { 'budobserve.config.json': '{"serviceName":"searched"}', 'conf/other.json': '{"serviceName":"explicit"}' },
    (dir) => {
      assert.equal(doctor(dir, { BUD_OBSERVE_CONFIG: 'conf/other.json' }).value('serviceName'), 'explicit');
    },
  ));

test('the file is found from a subfolder of the project', () =>
  withProject({ 'budobserve.config.json': '{"serviceName":"up"}', 'src/deep/.keep': '' }, (dir) => {
    assert.equal(doctor(`${dir}/src/deep`).value('serviceName'), 'up');
  }));

test('unknown keys and variables get a did-you-mean', () =>
  withProject(
    {
      'budobserve.config.json': JSON.stringify({
        servicName: 'x',
        export: { endpiont: 'http://a' },
        instrumentations: { expres: {} },
      }),
    },
    (dir) => {
      const msgs = doctor(dir, { BUD_OBSERVE_ENDPIONT: 'http://x' }).problems.map((p) => `${p.code} ${p.message}`);
      assert.ok(
        msgs.some((m) =>
          m.includes(
            "BUDOBSERVE_CONFIG_UNKNOWN_KEY budobserve.config.json: unknown key 'servicName' (did you mean 'serviceName'?)",
          ),
        ),
        msgs.join('\n'),
      );
      assert.ok(
        msgs.some((m) => m.includes("unknown key 'export.endpiont' (did you mean 'endpoint'?)")),
        msgs.join('\n'),
      );
      assert.ok(
        msgs.some((m) => m.includes("unknown key 'instrumentations.expres' (did you mean 'express'?)")),
        msgs.join('\n'),
      );
      assert.ok(
        msgs.some((m) =>
          m.includes("unknown environment variable BUD_OBSERVE_ENDPIONT (did you mean 'BUD_OBSERVE_ENDPOINT'?)"),
        ),
        msgs.join('\n'),
      );
    },
  ));

test('bad values name the source, the value and what was expected, then fall back', () =>
  withProject(
    {
      'budobserve.config.json': JSON.stringify({
        sampling: { headSampleRate: 0.3 },
        export: { protocol: 'carrier-pigeon', timeoutMs: 'soon' },
      }),
    },
    (dir) => {
      const r = doctor(dir, {
        BUD_OBSERVE_SAMPLE_RATE: '1.5',
        BUD_OBSERVE_AUTOTRACE_MIN_DURATION: 'fast',
        BUD_OBSERVE_ENDPOINT: 'not a url',
      });
      const msgs = r.problems.map((p) => p.message).join('\n');
      assert.match(
        msgs,
        /BUD_OBSERVE_SAMPLE_RATE = "1\.5" is invalid: expected a number from 0 to 1; using 0\.3 from budobserve\.config\.json \(sampling\.headSampleRate\)/,
      );
      assert.match(
        msgs,
        /budobserve\.config\.json \(export\.protocol\) = "carrier-pigeon" is invalid: expected one of 'http\/protobuf', 'http\/json', 'grpc'; using "http\/protobuf" from default/,
      );
      assert.match(msgs, /export\.timeoutMs\) = "soon" is invalid: expected an integer/);
      assert.match(msgs, /BUD_OBSERVE_AUTOTRACE_MIN_DURATION = "fast" is invalid: expected a duration/);
      assert.match(msgs, /BUD_OBSERVE_ENDPOINT = "not a url" is invalid: expected an http/);
      assert.equal(r.value('sampling.headSampleRate'), 0.3);
      assert.ok(r.problems.every((p) => p.code === 'BUDOBSERVE_CONFIG_INVALID'));
    },
  ));

test('a config file with a syntax error: reported, env and defaults still apply', () =>
  withProject({ 'budobserve.config.ts': 'export default { serviceName: ,, }\n' }, (dir) => {
    const r = doctor(dir, { BUD_OBSERVE_ENVIRONMENT: 'still-here' });
    assert.equal(r.problems[0]?.code, 'BUDOBSERVE_CONFIG_LOAD_FAILED');
    assert.match(
      r.problems[0].message,
      /could not load .*budobserve\.config\.ts:1:31: SyntaxError: .*; going on with environment variables and defaults/,
    );
    assert.equal(r.value('environment'), 'still-here');
    assert.equal(r.value('serviceName'), 'demo-app');
  }));

test('TypeScript Node cannot strip (enum) fails to load with a clear message', () =>
  withProject(
    { 'budobserve.config.ts': 'enum Mode { A }\nexport default { serviceName: String(Mode.A) };\n' },
    (dir) => {
      const r = doctor(dir);
      assert.equal(r.problems[0]?.code, 'BUDOBSERVE_CONFIG_LOAD_FAILED');
      assert.match(r.problems[0].message, /budobserve\.config\.ts/);
    },
  ));

test('a config file that throws: reported, the rest still applies', () =>
  withProject({ 'budobserve.config.mjs': "throw new Error('config exploded');\n" }, (dir) => {
    const r = doctor(dir);
    assert.match(r.problems[0]?.message ?? '', /config exploded/);
  }));

test('secrets never appear in doctor output', () =>
  withProject({}, (dir) => {
    const r = doctor(dir, {
      BUD_OBSERVE_TOKEN: 'tok-very-secret',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=hdr-very-secret',
    });
    const text = JSON.stringify(r);
    assert.ok(!text.includes('tok-very-secret'));
    assert.ok(!text.includes('hdr-very-secret'));
    assert.equal(r.value('export.token'), '[hidden]');
    assert.deepEqual(r.value('export.headers'), { 'x-api-key': '[hidden]' });
  }));
