// One exit deadline, one line about what it cost: however the process ends (a signal the
// app handles or not, a second signal, a natural end during a flush), the agent holds the
// exit for shutdownTimeoutMs at most, a collector that refuses connections does not hold it,
// whatever was not delivered is said in one line on stderr, and nothing is printed when
// everything was. Regression tests for issue 14 (problems 2, 3, 4) and issue 15 (exit noise).
// The bounds are checked on what the agent did at exit (test/helpers/exit-trail.mjs: one
// deadline, the bound reached once or never), with the runs set up so that an exit held
// beyond its bound is held for minutes and killed; the times are benchmarks/exit-bounds.mjs's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { startCollector } from './helpers/faulty-collector.mjs';
import { closedPort } from './helpers/net.mjs';
import { warnings } from './helpers/fault-scenarios.mjs';
import { runApp, fixtures, waitForOutput } from './helpers/run.mjs';
import { TRAIL_ENV, FAR_BOUND, exitTrail, withoutDebug, assertExitBound } from './helpers/exit-trail.mjs';
import { HttpTransport } from '../src/export/transport.ts';

const BOUND = 1000;
const SPANS = 300;
const exitApp = `${fixtures}exit/app.mjs`;

/** A collector that accepts connections and never answers. */
async function hungCollector() {
  const server = createServer(() => {}).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => {
      server.close();
    },
  };
}

/**
 * Runs the exit fixture in `mode`, signalled once it is ready, with its exit trail on:
 * `stderr` is without the debug log, `trail` the exit steps of it.
 */
async function signalled(mode, endpoint, { signals = ['SIGTERM'], gapMs = 200, env = {} } = {}) {
  const r = await runApp({
    script: exitApp,
    args: [mode],
    env: {
      ...TRAIL_ENV,
      BUD_OBSERVE_ENDPOINT: endpoint,
      BUD_OBSERVE_SHUTDOWN_TIMEOUT: String(BOUND),
      SPANS: String(SPANS),
      ...env,
    },
    onSpawn: (child, out) => {
      waitForOutput(out, 'ready').then(
        () => {
          signals.forEach((s, i) => setTimeout(() => child.kill(s), i * gapMs));
        },
        () => child.kill('SIGKILL'),
      );
    },
  });
  return { ...r, stderr: withoutDebug(r.stderr), trail: exitTrail(r.stderr), lines: warnings(r.stderr) };
}

test("regression 14.2: an app's own SIGTERM handler keeps the one exit bound", async () => {
  const hung = await hungCollector();
  const refused = `http://127.0.0.1:${await closedPort()}`;
  try {
    // The app's handler stops its work and lets the process end by itself (graceful shutdown).
    const h = await signalled('sigterm-graceful', hung.url);
    const r = await signalled('sigterm-graceful', refused, { env: { BUD_OBSERVE_SHUTDOWN_TIMEOUT: FAR_BOUND } });
    for (const x of [h, r]) {
      assert.equal(x.code, 0, x.stderr);
      assert.equal(x.stdout, 'ready\napp handler ran\n');
    }
    // The bug: the signal's flush ran a full bound, then 'beforeExit' a second one (2 bounds).
    assertExitBound(h.trail, true, 'hung collector');
    assertExitBound(r.trail, false, 'a refusing collector does not hold the exit');
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
test('regression 14.2: the logs pipeline keeps the one exit bound too', async () => {
  const hung = await hungCollector();
  const refused = `http://127.0.0.1:${await closedPort()}`;
  try {
    for (const [kind, url, bound] of [
      ['hung', hung.url, String(BOUND)],
      ['refused', refused, FAR_BOUND],
    ]) {
      // With the bug, the logs exports held the exit for their export timeout (10 minutes here).
      const r = await runApp({
        script: `${fixtures}logs/app.mjs`,
        env: { ...TRAIL_ENV, BUD_OBSERVE_ENDPOINT: url, BUD_OBSERVE_SHUTDOWN_TIMEOUT: bound },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.signal, null, `${kind}: ended by itself, not killed`);
      assertExitBound(exitTrail(r.stderr), kind === 'hung', `${kind} collector`);
      const stderr = withoutDebug(r.stderr);
      assert.equal(stderr.split('\n').filter(Boolean).length, 1, `one line:\n${stderr}`);
      assert.match(stderr, /1 spans .*; logs neither/);
    }
  } finally {
    hung.close();
  }
});

test("a second signal shares the first one's bound, and the process dies of the first", async () => {
  const hung = await hungCollector();
  try {
    const r = await signalled('sigterm', hung.url, { signals: ['SIGTERM', 'SIGINT', 'SIGTERM'] });
    assert.equal(r.signal, 'SIGTERM', r.stderr);
    assertExitBound(r.trail, true, 'one bound for the three signals');
    assert.equal(r.lines.length, 1, `one line, not one per signal:\n${r.stderr}`);
  } finally {
    hung.close();
  }
});

test("regression 14.3: a signal exit with no handler of the app's reports the spans it lost, in one line", async (t) => {
  const hung = await hungCollector();
  const refused = `http://127.0.0.1:${await closedPort()}`;
  try {
    for (const [mode, signal] of [
      ['sigterm', 'SIGTERM'],
      ['sigint', 'SIGINT'],
    ]) {
      for (const [kind, url] of [
        ['hung', hung.url],
        ['refused', refused],
      ]) {
        // The fixture keeps an interval alive, as a server would.
        const r = await signalled(mode, url, { signals: [signal] });
        t.diagnostic(`${signal}, ${kind} collector: ${r.lines[0] ?? '(nothing on stderr)'}`);
        assert.equal(r.signal, signal, r.stderr);
        assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, `exactly one line on stderr:\n${r.stderr}`);
        assert.match(
          r.lines[0] ?? '',
          kind === 'hung'
            ? /\[BUDOBSERVE_SHUTDOWN_TIMEOUT\].* 300 spans were not confirmed/
            : /\[BUDOBSERVE_EXPORT_FAILED\].* 300 spans could not be delivered .*ECONNREFUSED/,
        );
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
    const transport = new HttpTransport({
      url: `${collector.url}/v1/traces`,
      headers: { authorization: `Bearer ${secret}` },
      contentType: 'application/x-protobuf',
      timeoutMs: 5000,
      compression: 'none',
    });
    // The transport's http module, counted: each attempt is one http.request() call.
    const http = process.getBuiltinModule('node:http');
    const request = http.request;
    let attempts = 0;
    http.request = (...args) => {
      attempts++;
      return request.apply(http, args);
    };
    const error = await transport
      .send(new Uint8Array([1, 2, 3]))
      .then(
        () => undefined,
        (e) => e,
      )
      .finally(() => {
        http.request = request;
      });
    assert.ok(error instanceof Error, 'the send fails');
    assert.equal(error.code, 'ERR_INVALID_CHAR');
    assert.match(error.message, /ERR_INVALID_CHAR/);
    assert.ok(!error.message.includes('tok') && !error.message.includes('Injected'), error.message);
    assert.equal(error.retry?.retryable, false, 'final, not retried');
    // The bug: retried with backoff like a network error until the export timeout (5 s here).
    assert.equal(attempts, 1, 'one attempt, no retry');
    assert.equal(collector.requests.length, 0);
  } finally {
    await collector.close();
  }
});

test('regression 14.4: a header value with CR/LF costs no retries and no exit bound, and is never printed', async (t) => {
  const collector = await startCollector();
  try {
    for (const mode of ['natural', 'exit']) {
      // The bug spent the whole bound retrying: here ten minutes, and the run would be killed.
      const r = await runApp({
        script: exitApp,
        args: [mode],
        env: {
          ...TRAIL_ENV,
          BUD_OBSERVE_SHUTDOWN_TIMEOUT: FAR_BOUND,
          BUD_OBSERVE_ENDPOINT: collector.url,
          BUD_OBSERVE_HEADERS: 'x-h=bad\r\nX-Injected: 1',
          SPANS: '20',
          OTEL_METRICS_EXPORTER: 'none',
        },
      });
      const lines = warnings(r.stderr);
      t.diagnostic(`${mode}: ${lines.join(' | ')}`);
      assert.equal(r.code, mode === 'exit' ? 3 : 0, r.stderr);
      assert.ok(!r.stderr.includes('Injected'), 'the value is never printed, not even in the debug log');
      assert.doesNotMatch(r.stderr, /exit bound was reached/);
      assertExitBound(exitTrail(r.stderr), false, `${mode}: no retries until the bound`);
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
