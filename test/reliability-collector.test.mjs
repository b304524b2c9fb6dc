// A sick collector is invisible to the app. The fixture server runs under a bounded loopback
// load while the collector refuses connections, hangs, answers 429/503 with Retry-After,
// 400, slowly, resets connections or trickles its answer: every request is answered, memory
// stays within the queue bound, every span is accounted for (delivered, or counted as
// dropped in a warning), the exit keeps its one deadline, retries follow OTLP's rules, and
// delivery resumes once the collector is back. What it costs the app's latency is measured
// by benchmarks/collector-faults.mjs (npm run bench:faults), beside a healthy run, as ratios;
// the latencies printed here are for reading, not asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector } from './helpers/faulty-collector.mjs';
import {
  runSideBySide,
  startApp,
  QUEUE,
  BATCH,
  EXTRA_SPANS,
  WARMUP,
  reportedDrops,
  lostAtExit,
  droppedMetric,
  warnings,
} from './helpers/fault-scenarios.mjs';
import { load, median, fmt } from './helpers/load.mjs';
import { runApp, fixtures } from './helpers/run.mjs';
import { exitTrail, deadlinesSet, boundTimersFired } from './helpers/exit-trail.mjs';

const REQUESTS = 2000;
const CONCURRENCY = 20;
const MAX_HEAP_GROWTH = 8 * 2 ** 20;
const SICK = [
  'refused',
  'hang',
  '429 Retry-After: 1',
  '503 Retry-After: 1',
  '400 Bad Request',
  'slow (2 s)',
  'reset',
  'trickle',
];

const uniqueIds = (spans) => new Set(spans.map((s) => s.spanId));

test('a sick collector is invisible to the app', { timeout: 180_000 }, async (t) => {
  // Each sick run beside a healthy one, loaded at the same time: the healthy one is the base
  // its memory is compared with (and its latency, printed). NODE_DEBUG: the exit trail.
  const runs = [];
  for (const c of SICK) {
    const [healthy, sick] = await runSideBySide(['healthy', c], {
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      env: { NODE_DEBUG: 'budobserve' },
    });
    sick.base = healthy;
    healthy.base = healthy;
    runs.push(healthy, sick);
  }
  const produced = WARMUP + REQUESTS + EXTRA_SPANS;

  t.diagnostic(
    `${REQUESTS} requests at concurrency ${CONCURRENCY} to each app of a pair; OTEL_BSP_MAX_QUEUE_SIZE=${QUEUE}, batch ${BATCH}; ${produced} spans per run`,
  );
  t.diagnostic(
    'condition           p50 ms  p99 ms  p50 ratio  p99 ratio  heap MiB  max pending  delivered  dropped(warned)  lost at exit  metric  exit ms (not asserted: bench:faults)',
  );
  for (const r of runs) {
    r.delivered = uniqueIds(r.collector.accepted()).size;
    r.warned = reportedDrops(r.stderr);
    r.lost = lostAtExit(r.stderr);
    r.metric = droppedMetric(r.collector);
    t.diagnostic(
      `${r.condition.padEnd(19)} ${fmt(r.p50).padStart(6)}  ${fmt(r.p99).padStart(6)}  ${fmt(r.p50 / r.base.p50).padStart(9)}  ${fmt(r.p99 / r.base.p99).padStart(9)}  ${fmt(r.heapAfter / 2 ** 20).padStart(8)}  ${String(r.maxPending).padStart(11)}  ${String(r.delivered).padStart(9)}  ${String(r.warned).padStart(15)}  ${String(r.lost).padStart(12)}  ${String(r.metric).padStart(6)}  ${fmt(r.exitMs, 0).padStart(7)}`,
    );
  }
  const sickRuns = runs.filter((r) => r.condition !== 'healthy');
  t.diagnostic(
    `median p50 ratio ${fmt(median(sickRuns.map((r) => r.p50 / r.base.p50)))}, median p99 ratio ${fmt(median(sickRuns.map((r) => r.p99 / r.base.p99)))}`,
  );

  for (const r of runs) {
    await t.test(`${r.condition}: app unaffected, memory bounded, every span accounted for`, () => {
      assert.equal(r.errors, 0, 'no request failed');
      assert.equal(r.completed, REQUESTS);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.signal, null, 'ended by itself after the server closed, not killed');
      assert.equal(r.stdout.trim().split('\n').length, 1, `only the app's own output: ${r.stdout}`);
      assert.ok(r.maxPending <= QUEUE + 2 * BATCH, `at most the queue and two batches held: ${r.maxPending}`);
      assert.ok(
        r.heapAfter - r.base.heapAfter < MAX_HEAP_GROWTH,
        `heap after load ${fmt(r.heapAfter / 2 ** 20)} MiB vs healthy ${fmt(r.base.heapAfter / 2 ** 20)} MiB`,
      );
      // The exit keeps its one bound (test/reliability-exit.test.mjs has it per exit path).
      const trail = exitTrail(r.stderr);
      assert.equal(deadlinesSet(trail), 1, trail.join('\n'));
      assert.ok(boundTimersFired(trail) <= 1, trail.join('\n'));
      // Each span is delivered once, or counted in a drop warning, or reported lost at exit.
      assert.equal(
        r.delivered + r.warned + r.lost,
        produced,
        `delivered ${r.delivered} + dropped ${r.warned} + lost at exit ${r.lost}`,
      );
      if (r.condition === 'healthy') {
        // A small queue under this load may overflow now and then; that is counted, nothing else.
        assert.deepEqual(
          warnings(r.stderr).filter((l) => !l.includes('BUDOBSERVE_SPANS_DROPPED')),
          [],
          r.stderr,
        );
        assert.ok(r.delivered >= produced * 0.9, `delivered ${r.delivered} of ${produced}`);
        return;
      }
      // Drops are reported while the app runs (SPANS_DROPPED) or, when the exit comes first,
      // in the one exit line, which also counts what the exit itself could not deliver.
      assert.ok(r.warned + r.lost > 0, 'losses are reported');
      const dropWarnings = warnings(r.stderr, 'BUDOBSERVE_SPANS_DROPPED');
      assert.ok(dropWarnings.length <= 3, `drop warnings are batched, not one per span:\n${dropWarnings.join('\n')}`);
      const atExit = warnings(r.stderr).filter((l) => /spans (?:were not confirmed|could not be delivered)/.test(l));
      assert.ok(atExit.length <= 1, `one exit line at most:\n${atExit.join('\n')}`);
      if (r.condition !== 'refused')
        assert.ok(r.metric > 0 && r.metric <= r.warned + r.lost, `budobserve.spans.dropped = ${r.metric}`);
    });
  }

  await t.test('400 is final: no span is sent twice', () => {
    const r = runs.find((x) => x.condition === '400 Bad Request');
    const sent = r.collector.sent();
    assert.ok(r.collector.traceRequests.length > 1);
    assert.equal(uniqueIds(sent).size, sent.length, 'no retry of a 400');
  });

  for (const name of ['429 Retry-After: 1', '503 Retry-After: 1']) {
    await t.test(`${name} is retried, no sooner than Retry-After`, () => {
      const r = runs.find((x) => x.condition === name);
      const byBatch = new Map();
      for (const s of r.collector.sent()) {
        const times = byBatch.get(s.spanId) ?? new Set();
        times.add(r.collector.requests[s.requestIndex].t);
        byBatch.set(s.spanId, times);
      }
      const gaps = [...byBatch.values()]
        .filter((ts) => ts.size > 1)
        .flatMap((ts) =>
          [...ts]
            .sort((a, b) => a - b)
            .slice(1)
            .map((x, i) => x - [...ts].sort((a, b) => a - b)[i]),
        );
      t.diagnostic(`${name}: ${gaps.length} retries, shortest gap ${Math.min(...gaps)} ms`);
      assert.ok(gaps.length > 0, 'retried');
      assert.ok(Math.min(...gaps) >= 990, `retry gaps ${gaps.join(', ')} ms`);
    });
  }
});

test('OTLP retry rules per status, on the exit path too', async (t) => {
  const rows = [];
  for (const [status, retryable] of [
    [429, true],
    [502, true],
    [503, true],
    [504, true],
    [400, false],
    [401, false],
    [404, false],
    [413, false],
    [500, false],
  ]) {
    const collector = await startCollector();
    let first = true;
    collector.mode = {
      kind: 'fn',
      fn: (req, res, entry) => {
        entry.status = req.url === '/v1/traces' && first ? status : 200;
        if (req.url === '/v1/traces') first = false;
        res.writeHead(entry.status, entry.status === 429 || entry.status === 503 ? { 'retry-after': '1' } : {}).end();
      },
    };
    try {
      const r = await runApp({
        script: `${fixtures}exit/app.mjs`,
        env: { BUD_OBSERVE_ENDPOINT: collector.url, SPANS: '20', OTEL_METRICS_EXPORTER: 'none' },
      });
      const reqs = collector.traceRequests;
      const delivered = uniqueIds(collector.accepted()).size;
      rows.push(
        `${status}: ${reqs.length} request(s), ${delivered} of 20 spans delivered${reqs.length > 1 ? `, retried after ${reqs[1].t - reqs[0].t} ms` : ''}`,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'done\n');
      if (retryable) {
        assert.equal(reqs.length, 2, `${status} retried once, then accepted`);
        assert.equal(delivered, 20);
        if (status === 429 || status === 503) assert.ok(reqs[1].t - reqs[0].t >= 990, 'Retry-After honoured');
      } else {
        assert.equal(reqs.length, 1, `${status} is not retried`);
        // Answered during the exit flush: the one exit line counts the spans and names the answer.
        assert.deepEqual(
          warnings(r.stderr).map((l) => l.replace(/^\(node:\d+\) /, '').replace(/127\.0\.0\.1:\d+/, 'collector')),
          [
            `[BUDOBSERVE_EXPORT_FAILED] BudObserveWarning: budobserve: 20 spans could not be delivered to http://collector/v1/traces at exit: collector answered HTTP ${status}`,
          ],
        );
      }
    } finally {
      await collector.close();
    }
  }
  t.diagnostic(rows.join('\n'));
});

test('delivery resumes when a refusing collector comes back', async (t) => {
  const collector = await startCollector();
  await collector.refuse();
  const app = await startApp({
    env: { BUD_OBSERVE_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none' },
  });
  try {
    const tag = (prefix) => (i) => `/${prefix}-${i}`;
    await load({ port: app.port, path: tag('down'), total: 100, concurrency: 5 });
    await new Promise((r) => setTimeout(r, 300));
    await collector.accept();
    await load({ port: app.port, path: tag('up'), total: 100, concurrency: 5 });
    const deadline = Date.now() + 10_000;
    const paths = () =>
      new Set(collector.accepted().map((s) => s.attributes['url.path'] ?? s.attributes['http.target']));
    while (Date.now() < deadline && [...paths()].filter((p) => p?.startsWith('/up-')).length < 100)
      await new Promise((r) => setTimeout(r, 100));
    const got = [...paths()];
    t.diagnostic(
      `after recovery: ${got.filter((p) => p?.startsWith('/up-')).length} of 100 later spans, ${got.filter((p) => p?.startsWith('/down-')).length} of 100 spans from the outage (retried)`,
    );
    assert.equal(got.filter((p) => p?.startsWith('/up-')).length, 100, 'every span made after the recovery arrives');
  } finally {
    const exit = await app.quit();
    await collector.close();
    assert.equal(exit.code, 0, app.out.stderr);
  }
});

// Regression: "Retry-After: 0" (or a date in the past) was honoured literally, so a throttling
// collector got the same batch again at once, hundreds of times a second. Within a 4 s bound
// the backoff (0.5, 1, 2 s, each -20% at most) leaves room for 4 requests at most, and the
// first retry comes half a second in (the waits themselves: test/export-retry.test.mjs).
test('Retry-After: 0 does not turn retries into a request loop', async (t) => {
  const collector = await startCollector({ tracesOnly: true });
  collector.mode = { kind: 'status', status: 503, headers: { 'retry-after': '0' } };
  try {
    const r = await runApp({
      script: `${fixtures}exit/app.mjs`,
      env: {
        BUD_OBSERVE_ENDPOINT: collector.url,
        SPANS: '10',
        BUD_OBSERVE_SHUTDOWN_TIMEOUT: '4000',
        OTEL_METRICS_EXPORTER: 'none',
      },
    });
    const n = collector.traceRequests.length;
    t.diagnostic(`${n} requests in the 4 s exit bound`);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(n >= 2 && n <= 4, `${n} requests: retried with backoff`);
  } finally {
    await collector.close();
  }
});

/** A collector in an outage for `outageMs` from its first trace request: 503 with Retry-After, then 200. */
async function outageCollector(outageMs, retryAfter) {
  const collector = await startCollector();
  let first;
  collector.mode = {
    kind: 'fn',
    fn: (req, res, entry) => {
      first ??= req.url === '/v1/traces' ? Date.now() : undefined;
      const down = req.url === '/v1/traces' && Date.now() - first < outageMs;
      entry.status = down ? 503 : 200;
      res.writeHead(entry.status, down ? { 'retry-after': retryAfter() } : {}).end();
    },
  };
  return collector;
}

const loadPaths = (collector, prefix) =>
  new Set(
    collector
      .accepted()
      .map((s) => s.attributes['url.path'])
      .filter((p) => p?.startsWith(`/${prefix}-`)),
  );

async function until(fn, ms) {
  const deadline = Date.now() + ms;
  while (!fn() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

// Regression: retrying stopped at the export timeout (10 s by default, 500 ms here), so a
// collector asking to come back later than that lost the batches of the whole outage.
test('regression 14.8: a batch is retried through an outage longer than the export timeout, honouring Retry-After', async (t) => {
  const OUTAGE = 2500;
  const forms = {
    'delta-seconds': () => '1',
    // An HTTP-date has whole seconds: now + 2 s, cut to its second, is 1 to 2 s away.
    'HTTP-date': () => new Date(Date.now() + 2000).toUTCString(),
  };
  const runs = await Promise.all(
    Object.entries(forms).map(async ([form, retryAfter]) => {
      const collector = await outageCollector(OUTAGE, retryAfter);
      const app = await startApp({
        env: {
          BUD_OBSERVE_ENDPOINT: collector.url,
          BUD_OBSERVE_EXPORT_TIMEOUT: '500',
          OTEL_BSP_SCHEDULE_DELAY: '50',
          OTEL_METRICS_EXPORTER: 'none',
        },
      });
      try {
        await load({ port: app.port, path: (i) => `/out-${i}`, total: 100, concurrency: 5 });
        await until(() => loadPaths(collector, 'out').size === 100, OUTAGE + 6000);
        const stats = await app.stats();
        return { form, collector, stats, exit: await app.quit(), stderr: app.out.stderr };
      } finally {
        await collector.close();
      }
    }),
  );
  for (const r of runs) {
    const times = r.collector.traceRequests.map((q) => q.t);
    const gaps = times.slice(1).map((x, i) => x - times[i]);
    const rejected = r.collector.traceRequests.filter((q) => q.status === 503).length;
    t.diagnostic(
      `${r.form}: ${loadPaths(r.collector, 'out').size} of 100 delivered after a ${OUTAGE} ms outage; ${rejected} requests answered 503; dropped ${r.stats.dropped}`,
    );
    assert.equal(r.exit.code, 0, r.stderr);
    assert.equal(loadPaths(r.collector, 'out').size, 100, `${r.form}: every span of the outage arrives`);
    assert.equal(r.stats.dropped, 0);
    assert.deepEqual(warnings(r.stderr), [], r.stderr);
    // Two batches (export slots) retry side by side; each waits out its Retry-After.
    const perBatch = new Map();
    for (const s of r.collector.sent())
      perBatch.set(s.spanId, [...(perBatch.get(s.spanId) ?? []), r.collector.requests[s.requestIndex].t]);
    const retryGaps = [...perBatch.values()].flatMap((ts) =>
      [...new Set(ts)].sort((a, b) => a - b).map((x, i, a) => (i === 0 ? Infinity : x - a[i - 1])),
    );
    assert.ok(
      Math.min(...retryGaps) >= 900,
      `${r.form}: retried no sooner than Retry-After (gaps ${gaps.join(', ')} ms)`,
    );
  }
});

test('regression 14.8: when the queue needs the room, the oldest retrying batch gives way and the newest spans are kept', async (t) => {
  const QUEUE_SMALL = 32;
  const BATCH_SMALL = 8;
  const collector = await outageCollector(2000, () => '1');
  const app = await startApp({
    env: {
      BUD_OBSERVE_ENDPOINT: collector.url,
      OTEL_BSP_MAX_QUEUE_SIZE: String(QUEUE_SMALL),
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: String(BATCH_SMALL),
      OTEL_BSP_SCHEDULE_DELAY: '20',
      OTEL_METRICS_EXPORTER: 'none',
    },
  });
  try {
    // Paced, so the retrying batches are waiting (not mid-request) when the queue fills.
    for (let i = 0; i < 20; i++) {
      await load({ port: app.port, path: (j) => `/gw-${i * 10 + j}`, total: 10, concurrency: 2 });
      await new Promise((r) => setTimeout(r, 20));
    }
    // Until every span is delivered or counted as dropped (the /stats requests' own spans aside).
    let stats;
    for (const deadline = Date.now() + 8000; Date.now() < deadline;) {
      stats = await app.stats();
      if (loadPaths(collector, 'gw').size + stats.dropped >= 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const got = loadPaths(collector, 'gw');
    const newest = Array.from({ length: 20 }, (_, i) => `/gw-${180 + i}`).filter((p) => got.has(p)).length;
    t.diagnostic(
      `queue ${QUEUE_SMALL}, batch ${BATCH_SMALL}: ${got.size} of 200 delivered, the newest 20: ${newest}; dropped ${stats.dropped}; max pending ${stats.maxPending}`,
    );
    assert.equal(newest, 20, 'the newest spans are kept');
    assert.ok(stats.dropped > 0, 'the oldest gave way');
    assert.ok(
      stats.maxPending <= QUEUE_SMALL + 2 * BATCH_SMALL,
      `memory stays within the queue and two batches: ${stats.maxPending}`,
    );
    assert.equal(
      got.size + stats.dropped,
      200,
      `every span delivered or counted as dropped, once: ${got.size} + ${stats.dropped}`,
    );
  } finally {
    const exit = await app.quit();
    await collector.close();
    assert.equal(exit.code, 0, app.out.stderr);
    const drops = warnings(app.out.stderr, 'BUDOBSERVE_SPANS_DROPPED');
    assert.ok(
      drops.length >= 1 && drops.every((l) => /because the collector did not accept them/.test(l)),
      app.out.stderr,
    );
  }
});
