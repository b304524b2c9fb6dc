// One exit deadline, one line about what it cost: however the process ends (a signal the
// app handles or not, a second signal, a natural end during a flush), the agent holds the
// exit for shutdownTimeoutMs at most, a collector that refuses connections does not hold it,
// whatever was not delivered is said in one line on stderr, and nothing is printed when
// everything was. Regression tests for issue 14 (problems 2, 3, 4) and issue 15 (exit noise).
// Bounds are checked with wide margins; the bugs they catch cost a whole extra bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { startCollector } from './helpers/faulty-collector.mjs';
import { closedPort } from './helpers/net.mjs';
import { warnings } from './helpers/fault-scenarios.mjs';
import { runApp, fixtures, waitForOutput } from './helpers/run.mjs';
import { HttpTransport } from '../src/export/transport.ts';

const BOUND = 1000;
const SLACK = 700;
const SPANS = 300;
const exitApp = `${fixtures}exit/app.mjs`;

/** A collector that accepts connections and never answers. */
async function hungCollector() {
  const server = createServer(() => {}).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => { server.close(); } };
}

/** Runs the exit fixture in `mode`, signalled once it is ready; ms is from the (first) signal to exit. */
async function signalled(mode, endpoint, { signals = ['SIGTERM'], gapMs = 200, env = {} } = {}) {
  let t0 = performance.now();
  const r = await runApp({
    script: exitApp,
    args: [mode],
    env: { BUD_OBSERVE_ENDPOINT: endpoint, BUD_OBSERVE_SHUTDOWN_TIMEOUT: String(BOUND), SPANS: String(SPANS), ...env },
    onSpawn: (child, out) => {
      waitForOutput(out, 'ready').then(() => {
        t0 = performance.now();
        signals.forEach((s, i) => setTimeout(() => child.kill(s), i * gapMs));
      }, () => child.kill('SIGKILL'));
    },
  });
  return { ...r, ms: performance.now() - t0, lines: warnings(r.stderr) };
}

test("regression 14.2: an app's own SIGTERM handler keeps the one exit bound", async (t) => {
  const hung = await hungCollector();
  const refused = `http://127.0.0.1:${await closedPort()}`;
  try {
    // The app's handler stops its work and lets the process end by itself (graceful shutdown).
    const h = await signalled('sigterm-graceful', hung.url);
    const r = await signalled('sigterm-graceful', refused);
    t.diagnostic(`shutdownTimeoutMs ${BOUND}: hung collector ${Math.round(h.ms)} ms, refusing ${Math.round(r.ms)} ms from SIGTERM to exit`);
    for (const x of [h, r]) {
      assert.equal(x.code, 0, x.stderr);
      assert.equal(x.stdout, 'ready\napp handler ran\n');
    }
    // The bug: the signal's flush ran a full bound, then 'beforeExit' a second one (2 bounds).
    assert.ok(h.ms < BOUND + SLACK, `hung collector: ${Math.round(h.ms)} ms`);
    assert.ok(r.ms < SLACK, `a refusing collector does not hold the exit: ${Math.round(r.ms)} ms`);
    assert.equal(h.lines.length, 1, h.stderr);
    assert.match(h.lines[0], /\[BUDOBSERVE_SHUTDOWN_TIMEOUT\].* 300 spans were not confirmed by .* within 1000 ms/);
    assert.equal(r.lines.length, 1, r.stderr);
    assert.match(r.lines[0], /\[BUDOBSERVE_EXPORT_FAILED\].* 300 spans could not be delivered to .*ECONNREFUSED/);
  } finally {
    hung.close();
  }
  const collector = await startCollector();
  try {
    const ok = await signalled('sigterm-graceful', collector.url);
    assert.equal(ok.code, 0);
    assert.equal(ok.stderr, '', 'nothing printed when everything was delivered');
    assert.equal(new Set(collector.accepted().map((s) => s.name)).size, SPANS);
  } finally {
    await collector.close();
  }
});

// Found beside 14.2: the logs SDK's export timer holds the event loop, and the agent's
// abort never reached the logs exporter (behind the scrubbing wrapper), so with logs a hung
// collector held a natural exit 10 s and a refusing one 7 s, whatever the bound.
test('regression 14.2: the logs pipeline keeps the one exit bound too', async (t) => {
  const hung = await hungCollector();
  const refused = `http://127.0.0.1:${await closedPort()}`;
  try {
    for (const [kind, url] of [['hung', hung.url], ['refused', refused]]) {
      const t0 = performance.now();
      const r = await runApp({ script: `${fixtures}logs/app.mjs`, env: { BUD_OBSERVE_ENDPOINT: url, BUD_OBSERVE_SHUTDOWN_TIMEOUT: String(BOUND) } });
      const ms = performance.now() - t0;
      t.diagnostic(`logs, ${kind} collector: ${Math.round(ms)} ms`);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(ms < (kind === 'hung' ? BOUND : 0) + SLACK + 300, `${kind}: ${Math.round(ms)} ms`);
      assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, `one line:\n${r.stderr}`);
      assert.match(r.stderr, /1 spans .*; logs neither/);
    }
  } finally {
    hung.close();
  }
});

test('a second signal shares the first one\'s bound, and the process dies of the first', async () => {
  const hung = await hungCollector();
  try {
    const r = await signalled('sigterm', hung.url, { signals: ['SIGTERM', 'SIGINT', 'SIGTERM'] });
    assert.equal(r.signal, 'SIGTERM', r.stderr);
    assert.ok(r.ms < BOUND + SLACK, `${Math.round(r.ms)} ms`);
    assert.equal(r.lines.length, 1, `one line, not one per signal:\n${r.stderr}`);
  } finally {
    hung.close();
  }
});

test('regression 14.3: a signal exit with no handler of the app\'s reports the spans it lost, in one line', async (t) => {
  const hung = await hungCollector();
  const refused = `http://127.0.0.1:${await closedPort()}`;
  try {
    for (const [mode, signal] of [['sigterm', 'SIGTERM'], ['sigint', 'SIGINT']]) {
      for (const [kind, url] of [['hung', hung.url], ['refused', refused]]) {
        // The fixture keeps an interval alive, as a server would.
        const r = await signalled(mode, url, { signals: [signal] });
        t.diagnostic(`${signal}, ${kind} collector: ${Math.round(r.ms)} ms; ${r.lines[0] ?? '(nothing on stderr)'}`);
        assert.equal(r.signal, signal, r.stderr);
        assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, `exactly one line on stderr:\n${r.stderr}`);
        assert.match(r.lines[0] ?? '', kind === 'hung'
          ? /\[BUDOBSERVE_SHUTDOWN_TIMEOUT\].* 300 spans were not confirmed/
          : /\[BUDOBSERVE_EXPORT_FAILED\].* 300 spans could not be delivered .*ECONNREFUSED/);
      }
    }
  } finally {
    hung.close();
  }
});

test('regression 14.4 (transport): a request Node refuses to build is final, named by its code, never by the value', async () => {
  const collector = await startCollector();
  try {
    const secret = 'tok\r\nX-Injected: 1';
    const transport = new HttpTransport({ url: `${collector.url}/v1/traces`, headers: { authorization: `Bearer ${secret}` }, contentType: 'application/x-protobuf', timeoutMs: 5000, compression: 'none' });
    const t0 = performance.now();
    const error = await transport.send(new Uint8Array([1, 2, 3])).then(() => undefined, (e) => e);
    const ms = performance.now() - t0;
    assert.ok(error instanceof Error, 'the send fails');
    assert.equal(error.code, 'ERR_INVALID_CHAR');
    assert.match(error.message, /ERR_INVALID_CHAR/);
    assert.ok(!error.message.includes('tok') && !error.message.includes('Injected'), error.message);
    assert.equal(error.retry?.retryable, false, 'final, not retried');
    // The bug: retried with backoff like a network error until the export timeout (5 s here).
    assert.ok(ms < 400, `failed at once: ${Math.round(ms)} ms`);
    assert.equal(collector.requests.length, 0);
  } finally {
    await collector.close();
  }
});

test('regression 14.4: a header value with CR/LF costs no retries and no exit bound, and is never printed', async (t) => {
  const collector = await startCollector();
  try {
    for (const mode of ['natural', 'exit']) {
      const t0 = performance.now();
      const r = await runApp({ script: exitApp, args: [mode], env: { BUD_OBSERVE_ENDPOINT: collector.url, BUD_OBSERVE_HEADERS: 'x-h=bad\r\nX-Injected: 1', SPANS: '20', OTEL_METRICS_EXPORTER: 'none' } });
      const ms = performance.now() - t0;
      const lines = warnings(r.stderr);
      t.diagnostic(`${mode}: ${Math.round(ms)} ms; ${lines.join(' | ')}`);
      assert.equal(r.code, mode === 'exit' ? 3 : 0, r.stderr);
      assert.ok(!r.stderr.includes('Injected'), 'the value is never printed');
      assert.doesNotMatch(r.stderr, /exit bound was reached/);
      // The bug: 3.1-3.5 s (the default 3000 ms bound, spent retrying).
      assert.ok(ms < 2000, `${Math.round(ms)} ms`);
      // Rejected by the configuration (the header is left out), or by Node at export time
      // (one final failure, named by Node's code): either way one line about it.
      const transport = lines.filter((l) => l.includes('[BUDOBSERVE_EXPORT_FAILED]'));
      if (transport.length > 0) assert.match(transport[0], /20 spans could not be delivered .*ERR_INVALID_CHAR/);
      // One line in both modes: a warning Node has not printed yet when the app exits in its
      // first tick (process.exit()) is written at exit (errors.ts, markExiting).
      assert.ok(lines.length === 1 && /BUDOBSERVE_(EXPORT_FAILED|CONFIG_INVALID)/.test(lines[0]), r.stderr);
    }
  } finally {
    await collector.close();
  }
});

test('regression 15.5: SIGTERM during the exit flush posts metrics once and prints nothing when all is delivered', async () => {
  for (const slowMs of [100, 1500]) {
    const collector = await startCollector();
    collector.mode = { kind: 'slow', ms: slowMs };
    try {
      // The http fixture ends by itself; SIGTERM comes while its exit flush is in flight.
      const r = await runApp({
        script: `${fixtures}http/app.mjs`,
        env: { BUD_OBSERVE_ENDPOINT: collector.url, BUD_OBSERVE_SHUTDOWN_TIMEOUT: String(BOUND) },
        onSpawn: (child) => {
          const poll = setInterval(() => {
            if (!collector.requests.some((q) => q.path === '/v1/metrics')) return;
            clearInterval(poll);
            child.kill('SIGTERM');
          }, 2);
          child.on('exit', () => clearInterval(poll));
        },
      });
      const posts = collector.requests.filter((q) => q.path === '/v1/metrics');
      assert.equal(r.signal, 'SIGTERM', r.stderr);
      // The bug: the signal's shutdown() made the metric reader collect and post again.
      assert.equal(posts.length, 1, `metrics posted ${posts.length} times`);
      assert.doesNotMatch(r.stderr, /BUDOBSERVE_INTERNAL|MeterProvider/);
      if (slowMs < BOUND) assert.equal(r.stderr, '', 'nothing went wrong, nothing printed');
      else assert.equal(warnings(r.stderr).length, 1, r.stderr);
    } finally {
      await collector.close();
    }
  }
});
