// Never harm the host: bad configuration, a broken config file, a collector that cannot be
// reached. The app's stdout and exit code are exactly what they are without the agent, and
// stderr carries one clear message per problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { makeProject } from './helpers/project.mjs';
import { closedPort } from './helpers/net.mjs';
import { runApp, fixtures } from './helpers/run.mjs';
import { TRAIL_ENV, FAR_BOUND, exitTrail, assertExitBound } from './helpers/exit-trail.mjs';

const app = `${fixtures}http/app.mjs`;
const plain = await runApp({ script: app, preload: [] });

const warnings = (stderr) => stderr.split('\n').filter((l) => l.includes('[BUDOBSERVE_'));

test('bad environment values: app unchanged, one message each', async () => {
  const r = await runApp({
    script: app,
    env: {
      BUD_OBSERVE_SAMPLE_RATE: 'lots',
      BUD_OBSERVE_PROTOCOL: 'smoke-signals',
      BUD_OBSERVE_CONSOLE: 'maybe',
      OTEL_BSP_MAX_QUEUE_SIZE: '-5',
      BUD_OBSERVE_CONSOLE_: 'x',
    },
  });
  assert.equal(r.code, plain.code);
  assert.equal(r.stdout, plain.stdout);
  const w = warnings(r.stderr);
  assert.equal(w.length, 5, r.stderr);
  assert.ok(
    w.some((l) =>
      l.includes('BUD_OBSERVE_SAMPLE_RATE = "lots" is invalid: expected a number from 0 to 1; using 1 from default'),
    ),
    r.stderr,
  );
  assert.ok(
    w.some((l) => l.includes('BUD_OBSERVE_CONSOLE = "maybe" is invalid: expected true or false')),
    r.stderr,
  );
  assert.ok(
    w.some((l) => l.includes('OTEL_BSP_MAX_QUEUE_SIZE = "-5" is invalid')),
    r.stderr,
  );
});

for (const [name, text] of [
  ['budobserve.config.ts', 'export default { serviceName: ,, }\n'],
  ['budobserve.config.json', '{ "serviceName": '],
  ['budobserve.config.mjs', 'throw new Error("boom in config")\n'],
  ['budobserve.config.mjs', 'export default await Promise.resolve({ serviceName: "tla" })\n'],
  ['budobserve.config.json', '["not", "an", "object"]'],
  ['budobserve.config.json', '{ "sampling": { "headSampleRate": "always" }, "instrumentations": { "enabled": 5 } }'],
]) {
  test(`broken config ${name} (${text.trim().slice(0, 40)}): app unchanged, stderr explains`, async () => {
    const p = makeProject({ [name]: text, 'app.mjs': `import '${app}';\n` });
    try {
      const r = await runApp({ script: `${p.dir}/app.mjs`, cwd: p.dir });
      assert.equal(r.code, plain.code, r.stderr);
      assert.equal(r.stdout, plain.stdout);
      const w = warnings(r.stderr);
      assert.ok(w.length >= 1 && w.length <= 2, r.stderr);
      assert.ok(
        w.every((l) => l.includes(name)),
        `every message names the file:\n${r.stderr}`,
      );
    } finally {
      p.cleanup();
    }
  });
}

// How long these exits take is in benchmarks/exit-bounds.mjs; here, what the agent did.
test('unreachable collector: app output and exit code unchanged, the exit does not wait for the bound, one warning', async () => {
  const port = await closedPort();
  // An exit that retried or waited for the bound would be killed (FAR_BOUND).
  const r = await runApp({
    script: app,
    env: { ...TRAIL_ENV, BUD_OBSERVE_ENDPOINT: `http://127.0.0.1:${port}`, BUD_OBSERVE_SHUTDOWN_TIMEOUT: FAR_BOUND },
  });
  assert.equal(r.code, plain.code, r.stderr);
  assert.equal(r.signal, null, 'ended by itself, not killed');
  assert.equal(r.stdout, plain.stdout);
  const w = warnings(r.stderr);
  assert.ok(w.length >= 1, r.stderr);
  // The failure, and the count of spans it cost (BUDOBSERVE_SPANS_DROPPED).
  assert.ok(
    w.every((l) => /BUDOBSERVE_(EXPORT_FAILED|SPANS_DROPPED)/.test(l)),
    r.stderr,
  );
  assert.equal(new Set(w.map((l) => l.replace(/^\(node:\d+\) /, ''))).size, w.length, 'no repeated warning');
  assertExitBound(exitTrail(r.stderr), false, 'the exit ends on the refusal');
});

test('a collector that never answers: exit is bounded by shutdownTimeoutMs', async () => {
  const hang = createServer(() => {}).listen(0, '127.0.0.1');
  await once(hang, 'listening');
  try {
    // Exports wait 10 minutes for an answer (TRAIL_ENV): only the exit bound ends this run.
    const r = await runApp({
      script: app,
      env: {
        ...TRAIL_ENV,
        BUD_OBSERVE_ENDPOINT: `http://127.0.0.1:${hang.address().port}`,
        BUD_OBSERVE_SHUTDOWN_TIMEOUT: '1000',
      },
    });
    assert.equal(r.code, plain.code, r.stderr);
    assert.equal(r.signal, null, 'ended by itself, not killed');
    assert.equal(r.stdout, plain.stdout);
    assertExitBound(exitTrail(r.stderr), true, 'a collector that never answers');
    const w = warnings(r.stderr);
    assert.equal(w.length, 1, r.stderr);
    assert.match(
      w[0],
      /\[BUDOBSERVE_SHUTDOWN_TIMEOUT\] .*budobserve: 2 spans were not confirmed by http:\/\/127\.0\.0\.1:\d+\/v1\/traces within 1000 ms \(shutdownTimeoutMs\) at exit/,
    );
  } finally {
    hang.close();
    hang.closeAllConnections?.();
  }
});

test('BUD_OBSERVE_DISABLED: nothing printed, nothing loaded', async () => {
  const r = await runApp({ script: app, env: { BUD_OBSERVE_DISABLED: 'true', BUD_OBSERVE_SAMPLE_RATE: 'bad' } });
  assert.equal(r.stdout, plain.stdout);
  assert.equal(r.stderr, '');
});

test('a throwing user span processor never reaches the app', async () => {
  const p = makeProject({
    'budobserve.config.mjs':
      'export default { spanProcessors: [{ onStart() { throw new Error("proc start") }, onEnd() { throw new Error("proc end") }, forceFlush: async () => { throw new Error("flush") }, shutdown: async () => {} }] };\n',
    'app.mjs': `import '${app}';\n`,
  });
  try {
    const r = await runApp({ script: `${p.dir}/app.mjs`, cwd: p.dir, env: { BUD_OBSERVE_CONSOLE: 'false' } });
    assert.equal(r.code, plain.code, r.stderr);
    assert.equal(r.stdout, plain.stdout);
    assert.match(r.stderr, /BUDOBSERVE_INTERNAL/);
  } finally {
    p.cleanup();
  }
});
