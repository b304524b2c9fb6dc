// src/tracing/clock.ts with src/primordials.ts: the span clock is taken at its first reading
// (node:perf_hooks costs a millisecond and more to load at every start), yet from perf_hooks'
// own performance and its prototype, so an app that replaced the clock before its first span,
// as fake-timer libraries do, still gets spans timed by the real one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { fixtures, runApp } from './helpers/run.mjs';

test('regression: a clock replaced before the first span does not time the agent spans', async () => {
  const receiver = await startReceiver();
  try {
    const r = await runApp({ script: `${fixtures}clock/fake-clock.mjs`, env: { BUD_OBSERVE_ENDPOINT: receiver.url } });
    assert.equal(r.code, 0, r.stderr);
    const startedAt = Number(r.stdout.trim());
    const spans = await receiver.waitFor((s) => s.some((x) => x.name === 'timed'));
    const span = spans.find((x) => x.name === 'timed');
    const durationMs = Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6;
    assert.ok(durationMs >= 19.9, `the real 20 ms and more, not ${durationMs} ms`);
    const startMs = Number(span.startTimeUnixNano / 1_000_000n);
    assert.ok(Math.abs(startMs - startedAt) < 1000, `started at the wall time (${startMs} against ${startedAt})`);
  } finally {
    await receiver.close();
  }
});
