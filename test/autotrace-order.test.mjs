// Auto-traced async functions settle on exactly the microtask the originals do (issue 16,
// point 1): the interleaving fixture (fixtures/autotrace-order/, 41 scenarios of async
// shapes among .then() chains, queueMicrotask and EventEmitter listeners) prints the same
// log plain and under the agent with every module auto-traced, both with every call a span
// and with every call below the threshold. And the call's context is active in its whole
// body (before and after each await, in catch and finally blocks, in for-await loops) and
// never in its caller's code after the call returned: read from the exported spans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, hasSyncLoadHooks, nodeVersion } from './helpers/run.mjs';

const dir = `${fixtures}autotrace-order/`;
const skip = hasSyncLoadHooks
  ? false
  : `Node ${nodeVersion} cannot run synchronous load hooks (nodejs/node#59929): the agent warns and does not rewrite there`;

async function traced(minDuration) {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: `${dir}app.mjs`,
      cwd: dir,
      env: {
        BUD_OBSERVE_ENDPOINT: receiver.url,
        BUD_OBSERVE_AUTOTRACE_MODULES: '**',
        BUD_OBSERVE_AUTOTRACE_MIN_DURATION: minDuration,
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_BSP_MAX_QUEUE_SIZE: '100000',
      },
    });
    return { r, spans: receiver.spans };
  } finally {
    await receiver.close();
  }
}

const plainRun = runApp({ script: `${dir}app.mjs`, cwd: dir, preload: [] });

test('every async shape prints the same interleaving plain and traced, every call a span', { skip }, async (t) => {
  const plain = await plainRun;
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /^41 scenarios$/m);
  const { r, spans } = await traced('0');
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /BUDOBSERVE_/);
  // Line by line first: a failure names the shape.
  const lines = r.stdout.split('\n');
  plain.stdout.split('\n').forEach((line, i) => assert.equal(lines[i], line, `scenario ${i + 1} differs`));
  assert.equal(r.stdout, plain.stdout);

  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const parentName = (s) => byId.get(s.parentSpanId)?.name;
  const named = (n) => spans.filter((s) => s.name === `Calling ${n}`);
  const children = (s, n) => spans.filter((c) => c.parentSpanId === s.spanId && c.name === `Calling ${n}`);

  // The caller's code after the call returned (the first await gave it back) never runs in
  // the call's context.
  const probes = named('probe');
  assert.equal(probes.length, 82);
  for (const p of probes)
    assert.equal(parentName(p), 'Calling scenario', 'probe() in the caller is not under the call it made');
  const ticks = spans.filter((s) => s.name === 'Calling scenario.<anonymous>');
  assert.ok(ticks.length >= 41 * 30, `the .then() callbacks (${ticks.length})`);
  for (const s of ticks)
    assert.equal(parentName(s), 'Calling scenario', 'a callback registered by the caller runs in its context');

  // here() calls inside a shape are that shape's children: before, between and after its
  // awaits, in catch and finally blocks, in loops.
  const expected = {
    zeroAwaits: 1,
    oneAwait: 2,
    threeAwaits: 4,
    rejectsLate: 1,
    rejectsEarly: 1,
    tryCatchFinally: 5,
    finallyOverrides: 1,
    awaitsThenable: 1,
    nested: 2,
    arrowBlock: 1,
    'Store.open': 1,
    'Store.#flush': 1,
    'Store.create': 1,
    all: 2,
    race: 1,
    rethrows: 1,
    forAwaitGenerator: 3,
    forAwaitArray: 3,
    forAwaitEmpty: 1,
    forAwaitBreak: 3,
    emitsAfterAwaits: 1,
    awaitsEvent: 1,
    inExpressions: 1,
    usesArguments: 1,
    loopAwaits: 1,
    'obj.method': 1,
    legacyLoad: 1,
    legacyArrow: 1,
    'LegacyService.get': 1,
  };
  for (const [name, n] of Object.entries(expected)) {
    const calls = named(name);
    assert.ok(calls.length > 0, `${name} was traced`);
    for (const c of calls) assert.equal(children(c, 'here').length, n, `${name}: here() calls under its span`);
  }
  const recursive = named('recursive');
  assert.equal(recursive.length, 4);
  assert.equal(
    recursive.filter((s) => parentName(s) === 'Calling recursive').length,
    3,
    'each level under the one that awaited it',
  );
  assert.equal(
    spans.filter((s) => s.name === 'Calling here').every((s) => parentName(s) !== 'Calling scenario'),
    true,
  );

  // Calls made after awaits are children of the call that made them.
  const nested = named('nested')[0];
  assert.deepEqual(
    spans
      .filter((s) => s.parentSpanId === nested.spanId && s.name !== 'Calling here')
      .map((s) => s.name)
      .sort(),
    ['Calling oneAwait', 'Calling threeAwaits', 'Calling zeroAwaits'],
  );
  assert.equal(children(named('Store.create')[0], 'Store.open').length, 1);
  assert.equal(children(named('all')[0], 'threeAwaits').length, 1);
  // An awaited thenable's then() runs in a microtask the await queues: still the call's.
  const thenable = spans.filter((s) => s.name.startsWith('Calling awaitsThenable.'));
  assert.equal(thenable.length, 1, thenable.map((s) => s.name).join());
  assert.equal(parentName(thenable[0]), 'Calling awaitsThenable');
  assert.equal(children(thenable[0], 'here').length, 1);

  // Timed to the end of the call: a returned promise ends the call when it settles, and a
  // rejection marks the span failed.
  const returnsRejected = named('returnsRejected')[0];
  assert.equal(returnsRejected.status.code, 2);
  assert.equal(returnsRejected.events[0]?.attributes['exception.message'], 'returned rejection');
  assert.equal(named('rejectsLate')[0].status.code, 2);
  assert.equal(named('throwsValue')[0].status.message, '42');
  assert.equal(named('zeroAwaits')[0].status.code, 0);
  t.diagnostic(`${spans.length} spans`);
});

test('the same interleaving with every call below the threshold (nothing exported)', { skip }, async () => {
  const plain = await plainRun;
  const { r, spans } = await traced('60s');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, plain.stdout);
  assert.equal(spans.filter((s) => s.name.startsWith('Calling ')).length, 0);
});

test(
  'what a traced call starts runs in its context; spans started around its callees are their parents',
  { skip },
  async () => {
    const receiver = await startReceiver();
    let r;
    try {
      r = await runApp({
        script: `${dir}contexts.mjs`,
        cwd: dir,
        env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_AUTOTRACE_MODULES: '**', OTEL_METRICS_EXPORTER: 'none' },
      });
    } finally {
      await receiver.close();
    }
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'contexts done\n');
    const spans = receiver.spans;
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (s) => byId.get(s.parentSpanId);
    // here() in a timer callback is under the callback's span, whose parent is the context
    // the timer was started in.
    const timerParent = (fn) =>
      spans.filter((s) => s.name === `Calling ${fn}.<anonymous>`).map((s) => parentOf(s)?.name);
    assert.deepEqual(
      timerParent('timerBeforeAwait'),
      ['Calling timerBeforeAwait'],
      "started before the first await: the call's context",
    );
    // After the body resumed, a frame waits on the synchronous stack where entering a context
    // copies it (Node 24+), so a callback left running without a later await gets the
    // caller's context there (documented in the README).
    assert.deepEqual(timerParent('timerAfterResume'), [
      Number(nodeVersion.split('.')[0]) >= 24 ? 'Calling main' : 'Calling timerAfterResume',
    ]);
    for (const [fn, manual] of [
      ['withManualSpan', 'manual'],
      ['asyncWithManualSpan', 'manual async'],
    ]) {
      const outer = spans.find((s) => s.name === `Calling ${fn}`);
      const m = spans.find((s) => s.name === manual);
      assert.equal(m.parentSpanId, outer.spanId, `${manual} under ${fn}`);
      // The callback given to startActiveSpan is traced too: inside the span, and its callee inside it.
      const callback = spans.find((s) => s.name === `Calling ${fn}.<anonymous>`);
      assert.equal(callback.parentSpanId, m.spanId, `the callback runs in ${manual}`);
      assert.ok(
        spans.some((s) => s.name === 'Calling inner' && s.parentSpanId === callback.spanId),
        'and its callee under it',
      );
      assert.ok(
        spans.some((s) => s.name === 'Calling sibling' && s.parentSpanId === outer.spanId),
        "a callee after it is the call's again",
      );
    }
  },
);
