// A bounded soak: the fixture server under steady loopback load, exporting every span and
// metric to a collector, for SOAK_SECONDS (40 in CI; set it higher for a real soak). The app
// writes its memory after a full GC twice a second on stderr (SOAK=1); after the warm-up,
// the heap must stay flat: a robust (Theil–Sen) slope under 1 MiB per minute. A real soak:
//   SOAK_SECONDS=1800 npx node --test test/reliability-soak.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector } from './helpers/faulty-collector.mjs';
import { startApp } from './helpers/fault-scenarios.mjs';
import { load, theilSen, fmt } from './helpers/load.mjs';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 40);
const WARMUP_SECONDS = Math.max(Math.min(15, SECONDS / 2), SECONDS / 5);
const MAX_HEAP_SLOPE = 1; // MiB per minute
// RSS grows in steps for minutes as the allocator and the code space settle: it is only
// judged in a long soak, and only for gross growth.
const MAX_RSS_SLOPE = 16; // MiB per minute
const JUDGE_RSS = SECONDS >= 120;
const MiB = 2 ** 20;

test(`soak: ${SECONDS} s under load, memory flat`, { timeout: (SECONDS + 60) * 1000 }, async (t) => {
  const collector = await startCollector();
  const app = await startApp({
    nodeArgs: ['--expose-gc'],
    env: {
      SOAK: '1',
      SAMPLE_MS: '500',
      BUD_OBSERVE_ENDPOINT: collector.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
    },
  });
  let served = 0;
  let errors = 0;
  try {
    const end = Date.now() + SECONDS * 1000;
    // Paced, not flat out: steady traffic for the whole run without starving the other
    // test files that share the machine. Bounded by count and by time.
    while (Date.now() < end && served < SECONDS * 2000) {
      const r = await load({ port: app.port, total: 200, concurrency: 4, budgetMs: end - Date.now() });
      served += r.latencies.length;
      errors += r.errors;
      await new Promise((res) => setTimeout(res, 100));
    }
  } finally {
    await app.quit();
    await collector.close();
  }
  const samples = app.out.stderr
    .split('\n')
    .filter((l) => l.startsWith('{"soak"'))
    .map((l) => JSON.parse(l).soak);
  const t0 = samples[0]?.t ?? 0;
  const points = samples.map((s) => ({ s: (s.t - t0) / 1000, heap: s.heapUsed / MiB, rss: s.rss / MiB }));
  const steady = points.filter((p) => p.s >= WARMUP_SECONDS);
  const heapSlope = theilSen(steady.map((p) => [p.s / 60, p.heap]));
  const rssSlope = theilSen(steady.map((p) => [p.s / 60, p.rss]));
  const delivered = collector.accepted().length;
  t.diagnostic(
    `${served} requests, ${errors} errors, ${delivered} spans delivered; ${points.length} samples (${steady.length} after a ${fmt(WARMUP_SECONDS, 0)} s warm-up)`,
  );
  const every = Math.ceil(points.length / 60);
  t.diagnostic(
    `samples (s: heap MiB / rss MiB)${every > 1 ? `, one in ${every}` : ''}: ${points
      .filter((_, i) => i % every === 0)
      .map((p) => `${fmt(p.s, 0)}: ${fmt(p.heap)}/${fmt(p.rss, 0)}`)
      .join(', ')}`,
  );
  t.diagnostic(
    `heap slope ${fmt(heapSlope, 3)} MiB/min (bound ${MAX_HEAP_SLOPE}), rss slope ${fmt(rssSlope, 3)} MiB/min (${JUDGE_RSS ? `bound ${MAX_RSS_SLOPE}` : 'reported only under 120 s'})`,
  );
  assert.equal(errors, 0);
  assert.ok(steady.length >= 20, `enough samples: ${steady.length}`);
  assert.ok(delivered >= served * 0.99, `spans delivered: ${delivered} of ${served}`);
  assert.deepEqual(
    app.out.stderr.split('\n').filter((l) => l.includes('BUDOBSERVE_')),
    [],
    'no warning',
  );
  assert.ok(heapSlope < MAX_HEAP_SLOPE, `heap grows ${fmt(heapSlope, 3)} MiB/min`);
  if (JUDGE_RSS) assert.ok(rssSlope < MAX_RSS_SLOPE, `rss grows ${fmt(rssSlope, 3)} MiB/min`);
});
