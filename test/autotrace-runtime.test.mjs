// The auto-trace runtime on functions written in the rewrite's output shape: exact
// min-duration (the first slow call exported, no fast call), a library span under a dropped
// call re-parented to the nearest kept one, failures recorded, one trace id throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures } from './helpers/run.mjs';

test('min-duration is exact and the trace stays connected', async (t) => {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const r = await runApp({
    script: `${fixtures}autotrace-runtime/app.mjs`,
    env: {
      BUD_OBSERVE_ENDPOINT: receiver.url,
      BUD_OBSERVE_AUTOTRACE_MODULES: 'none-selected/**',
      BUD_OBSERVE_AUTOTRACE_MIN_DURATION: '100ms',
    },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'done\nslow failure\nreparented\n');
  // (Node 22.18 says it cannot rewrite modules; these functions are written rewritten.)
  assert.doesNotMatch(r.stderr, /BUDOBSERVE_(?!AUTOTRACE_FAILED)/, 'no agent warning');
  const spans = receiver.spans;
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const named = (n) => spans.filter((s) => s.name === n);

  assert.equal(named('Calling fastWrapper').length, 0, 'the fast wrapper is not exported');
  const busy = named('Calling busy');
  assert.equal(busy.length, 2, 'exactly the two slow busy() calls, the first one included; none of the four fast ones');
  const handler = named('Calling slowHandler')[0];
  assert.ok(handler, 'the async handler (slow because of what it awaits)');
  assert.equal(handler.attributes['code.function.name'], 'slowHandler');
  assert.equal(handler.attributes['code.file.path'], 'app.mjs');
  assert.equal(handler.attributes['code.line.number'], 30);
  assert.equal(busy[0].parentSpanId, handler.spanId);

  const client = spans.find((s) => s.kind === 3);
  assert.equal(
    client.parentSpanId,
    handler.spanId,
    'the HTTP client span started in the dropped fastWrapper() hangs under slowHandler',
  );
  const server = spans.find((s) => s.kind === 2);
  assert.equal(server.parentSpanId, client.spanId);
  assert.equal(new Set([handler, client, server, busy[0]].map((s) => s.traceId)).size, 1, 'one trace id throughout');
  for (const s of spans) if (s.parentSpanId) assert.ok(byId.has(s.parentSpanId), `${s.name} has an exported parent`);

  const failing = named('Calling failing')[0];
  assert.equal(failing.status.code, 2);
  assert.equal(failing.events[0]?.attributes['exception.message'], 'slow failure');
  assert.equal(busy[1].parentSpanId, failing.spanId);

  // Async calls left running by fast (dropped) synchronous calls end under the nearest kept
  // call: re-parented by the gate (an auto-trace span, read through Object.create) or named
  // so directly; never under spin(), which reused the dropped parent's pool slot.
  const reparenting = named('Calling reparenting')[0];
  assert.equal(named('Calling spin')[0].parentSpanId, reparenting.spanId);
  for (const label of ['withId', 'quiet']) {
    const child = named(`Calling laterChild.${label}`)[0];
    assert.ok(child, `laterChild.${label} exported`);
    assert.equal(child.parentSpanId, reparenting.spanId, `laterChild.${label} under reparenting`);
  }
});

test('min-duration 0: every call is a span', async (t) => {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const r = await runApp({
    script: `${fixtures}autotrace-runtime/app.mjs`,
    env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_AUTOTRACE_MODULES: 'none-selected/**' },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(receiver.spans.filter((s) => s.name === 'Calling busy').length, 6);
  assert.equal(receiver.spans.filter((s) => s.name === 'Calling fastWrapper').length, 1);
  const client = receiver.spans.find((s) => s.kind === 3);
  assert.equal(receiver.spans.find((s) => s.spanId === client.parentSpanId)?.name, 'Calling fastWrapper');
});
