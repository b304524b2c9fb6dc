// The agent on Node 22, the older supported line: the current 22 release and 22.18.0, the
// oldest one supported. Node strips TypeScript config files itself from 22.18; before
// 22.22.3 import-in-the-middle cannot hook in-thread and the agent falls back to its
// off-thread loader (module.register), which must work as well, with --import and --require.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { makeProject } from './helpers/project.mjs';
import { doctor } from './helpers/doctor.mjs';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, register, registerCjs } from './helpers/run.mjs';
import { ensureNode } from './helpers/node-versions.mjs';

const SERVER = 2;
const CLIENT = 3;
const versions = [
  { version: '22.23.3', dir: 'node22' },
  { version: '22.18.0', dir: 'node22.18' },
];

before(() => {
  for (const v of versions) v.node = ensureNode(v.version, v.dir);
}, { timeout: 600_000 });

const tsConfig = `import { defineConfig } from '@budobserve/agent';

const environment: string = 'ts-env';
export default defineConfig({
  serviceName: 'ts-service',
  environment,
  export: { protocol: 'http/json' } as const,
});
`;

for (const v of versions) {
  test(`Node ${v.version}: budobserve.config.ts loads with no TypeScript install, env overrides it`, (t) => {
    const p = makeProject({ 'budobserve.config.ts': tsConfig });
    t.after(p.cleanup);
    let r = doctor(p.dir, {}, v.node);
    assert.equal(r.node, v.version, 'ran on the Node under test');
    assert.deepEqual(r.problems, []);
    assert.equal(r.configFile, 'budobserve.config.ts');
    assert.equal(r.value('serviceName'), 'ts-service');
    assert.equal(r.value('environment'), 'ts-env');
    assert.equal(r.value('export.protocol'), 'http/json');
    r = doctor(p.dir, { BUD_OBSERVE_SERVICE_NAME: 'env-service', BUD_OBSERVE_PROTOCOL: 'http/protobuf' }, v.node);
    assert.equal(r.value('serviceName'), 'env-service');
    assert.equal(r.value('export.protocol'), 'http/protobuf');
    assert.equal(r.value('environment'), 'ts-env');
  });

  for (const [app, preload] of [['http/app.mjs', ['--import', register]], ['http/app.cjs', ['--require', registerCjs]]]) {
    test(`Node ${v.version}: ${app} with ${preload[0]} exports server and client spans, one agent, no warning`, async () => {
      const receiver = await startReceiver();
      try {
        const r = await runApp({ script: `${fixtures}${app}`, preload, node: v.node, env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_SERVICE_NAME: 'node22', NODE_DEBUG: 'budobserve' } });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, '200 hello /greet?name=bud\n');
        const warnings = r.stderr.split('\n').filter((l) => l.includes('BUDOBSERVE_'));
        assert.deepEqual(warnings, [], r.stderr);
        // Node runs --require preloads in its module-hooks thread too: the agent belongs in the app's thread only.
        assert.equal(r.stderr.split('\n').filter((l) => l.includes('started at')).length, 1, r.stderr);
        const spans = await receiver.waitFor((s) => s.some((x) => x.kind === SERVER) && s.some((x) => x.kind === CLIENT));
        const server = spans.find((s) => s.kind === SERVER);
        const client = spans.find((s) => s.kind === CLIENT);
        assert.equal(server.parentSpanId, client.spanId);
        assert.equal(server.resource['service.name'], 'node22');
        assert.equal(server.resource['process.runtime.version'], v.version, 'ran on the Node under test');
      } finally {
        await receiver.close();
      }
    });
  }
}
