// Every way a process ends, against a healthy collector, one that refuses connections and
// one that never answers: the exit code (or signal) is the one the app has without the
// agent, a refusing collector adds under a second to the exit, a hanging one at most
// shutdownTimeoutMs + 1 s, and a healthy one gets every finished span. test/shutdown.test.mjs
// holds the detailed assertions per path; this file is the cross-product, with figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { startCollector } from './helpers/faulty-collector.mjs';
import { closedPort } from './helpers/net.mjs';
import { startApp } from './helpers/fault-scenarios.mjs';
import { load, fmt } from './helpers/load.mjs';
import { runApp, fixtures, waitForOutput } from './helpers/run.mjs';

const SPANS = 300;
const BOUND = 1000;
const exitApp = `${fixtures}exit/app.mjs`;
const handlerExit = `${fixtures}reliability/handler-exit.mjs`;

const paths = [
  { name: 'natural', script: exitApp, args: ['natural'] },
  { name: 'process.exit(3)', script: exitApp, args: ['exit'] },
  { name: 'process.exit(4) in a request handler', script: handlerExit, args: [], extra: 1 },
  { name: 'uncaught exception', script: exitApp, args: ['throw'] },
  { name: 'unhandled rejection', script: exitApp, args: ['reject'] },
  { name: 'SIGTERM', script: exitApp, args: ['sigterm'], signal: 'SIGTERM' },
  { name: 'SIGINT', script: exitApp, args: ['sigint'], signal: 'SIGINT' },
  { name: "SIGTERM, app's handler", script: exitApp, args: ['sigterm-handled'], signal: 'SIGTERM' },
  { name: "SIGTERM, app's graceful handler", script: exitApp, args: ['sigterm-graceful'], signal: 'SIGTERM' },
];

/** Runs one path; ms is from spawn (or from the signal, for signal paths) to exit. */
async function run(path, env, preload) {
  let t0 = performance.now();
  const r = await runApp({
    script: path.script,
    args: path.args,
    ...(preload === undefined ? {} : { preload }),
    env: { SPANS: String(SPANS), BUD_OBSERVE_SHUTDOWN_TIMEOUT: String(BOUND), OTEL_METRICS_EXPORTER: 'none', ...env },
    onSpawn: path.signal === undefined ? undefined : (child, out) => {
      waitForOutput(out, 'ready').then(() => { t0 = performance.now(); child.kill(path.signal); }, () => child.kill('SIGKILL'));
    },
  });
  return { ...r, ms: performance.now() - t0 };
}

const ending = (r) => (r.signal ?? r.code);

test('every exit path: same ending, bounded time, spans delivered', { timeout: 120_000 }, async (t) => {
  const hang = createServer(() => {}).listen(0, '127.0.0.1');
  await once(hang, 'listening');
  const refused = `http://127.0.0.1:${await closedPort()}`;
  const rows = [];
  try {
    // Timings are the faster of two runs: a loaded machine adds spikes, never removes time.
    const fastest = async (fn) => {
      const [a, b] = [await fn(), await fn()];
      assert.equal(ending(a), ending(b));
      return a.ms <= b.ms ? a : b;
    };
    for (const path of paths) {
      const plain = await fastest(() => run(path, {}, []));
      const collector = await startCollector();
      const healthy = await run(path, { BUD_OBSERVE_ENDPOINT: collector.url });
      const sent = SPANS + (path.extra ?? 0);
      const received = new Set(collector.accepted().filter((s) => s.name.startsWith('work ')).map((s) => s.name)).size;
      await collector.close();
      const refusing = await fastest(() => run(path, { BUD_OBSERVE_ENDPOINT: refused }));
      const hanging = await run(path, { BUD_OBSERVE_ENDPOINT: `http://127.0.0.1:${hang.address().port}` });
      rows.push({ path, plain, healthy, refusing, hanging, sent, received });
    }
  } finally {
    hang.close();
    hang.closeAllConnections?.();
  }

  t.diagnostic(`shutdownTimeoutMs = ${BOUND}; ms from start (or from the signal) to exit`);
  t.diagnostic('path                                   ending  work spans sent/received  plain ms  refused ms  hanging ms');
  for (const r of rows) {
    t.diagnostic(`${r.path.name.padEnd(38)} ${String(ending(r.plain)).padStart(7)}  ${`${r.sent}/${r.received}`.padStart(24)}  ${fmt(r.plain.ms, 0).padStart(8)}  ${fmt(r.refusing.ms, 0).padStart(10)}  ${fmt(r.hanging.ms, 0).padStart(10)}`);
  }

  for (const r of rows) {
    await t.test(r.path.name, () => {
      for (const [what, x] of [['healthy', r.healthy], ['refused', r.refusing], ['hanging', r.hanging]]) {
        assert.equal(ending(x), ending(r.plain), `${what}: ended as without the agent\n${x.stderr}`);
        assert.equal(x.stdout, r.plain.stdout, `${what}: the app's output is unchanged`);
      }
      assert.equal(r.received, r.sent, `healthy collector: every finished span delivered (${r.received} of ${r.sent})`);
      assert.ok(r.refusing.ms - r.plain.ms < 1000, `refused collector: ${fmt(r.refusing.ms, 0)} ms vs ${fmt(r.plain.ms, 0)} ms plain`);
      assert.ok(r.hanging.ms < BOUND + 1000 + r.plain.ms, `hanging collector: ${fmt(r.hanging.ms, 0)} ms`);
    });
  }
});

test('process.exit() in a request handler delivers the span ended just before it', async () => {
  const collector = await startCollector();
  try {
    const r = await runApp({ script: handlerExit, env: { BUD_OBSERVE_ENDPOINT: collector.url, SPANS: '0' } });
    assert.equal(r.code, 4, r.stderr);
    assert.equal(r.stdout, 'exiting from the handler\n');
    const names = collector.accepted().map((s) => s.name);
    assert.ok(names.includes('work last'), `delivered: ${names.join(', ')}`);
  } finally {
    await collector.close();
  }
});

// Regression: exports in flight used to hold the event loop, so a server that closed while
// the collector hung lived on for the whole export timeout (10 s) before 'beforeExit'.
for (const kind of ['hang', 'trickle', 'refused']) {
  test(`a server ending naturally with exports in flight to a ${kind} collector exits within the bound`, async (t) => {
    const collector = await startCollector();
    if (kind === 'refused') await collector.refuse();
    else collector.mode = { kind, ms: 200 };
    // Refused: a long bound, and time for the retries' backoff to grow to seconds, which the
    // exit must not wait out.
    const bound = kind === 'refused' ? 5000 : BOUND;
    const app = await startApp({ env: { BUD_OBSERVE_ENDPOINT: collector.url, BUD_OBSERVE_SHUTDOWN_TIMEOUT: String(bound), OTEL_BSP_SCHEDULE_DELAY: '50' } });
    try {
      await load({ port: app.port, total: 300, concurrency: 10 });
      await new Promise((r) => setTimeout(r, kind === 'refused' ? 1600 : 200)); // let an export start
      const exit = await app.quit();
      t.diagnostic(`${kind}: exit ${fmt(exit.exitMs, 0)} ms after the server closed`);
      assert.equal(exit.code, 0, app.out.stderr);
      assert.ok(exit.exitMs < bound + 1000, `exit took ${fmt(exit.exitMs, 0)} ms`);
      if (kind === 'refused') assert.ok(exit.exitMs < 1000, `a refusing collector does not hold the exit: ${fmt(exit.exitMs, 0)} ms`);
    } finally {
      await collector.close();
    }
  });
}
