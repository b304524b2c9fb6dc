// The tail sampler's core, in process, with hand-made spans: what is held, when a trace is
// decided, what reaches the exporting processor (whole, in order, never twice), the budget
// and the longest hold, and the traceresponse header's format.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TailSamplingProcessor } from '../src/sampling/tail/processor.ts';
import { keptAtRate, traceDraw } from '../src/sampling/tail/settings.ts';
import { formatTraceresponse, parseTraceresponse } from '../src/sampling/tail/traceresponse.ts';
import { estimateBytes } from '../src/sampling/tail/size.ts';

let n = 0;
const hex = (v, len) => v.toString(16).padStart(len, '0');
const newTrace = () => randomBytes(16).toString('hex');

/**
 * A finished span as the SDK hands it over: `parent` is a span id in the same trace, or 'remote'.
 * @param {string} traceId
 * @param {string} name
 * @param {{ parent?: string, level?: number, error?: boolean, ms?: number, sampled?: boolean, attributes?: Record<string, unknown> }} [opts]
 * @returns {any}
 */
function span(traceId, name, { parent, level, error, ms = 1, sampled = true, attributes = {} } = {}) {
  const spanId = hex(++n, 16);
  return {
    name,
    spanContext: () => ({ traceId, spanId, traceFlags: sampled ? 1 : 0 }),
    parentSpanContext:
      parent === undefined
        ? undefined
        : {
            traceId,
            spanId: parent === 'remote' ? 'ffffffffffffffff' : parent,
            traceFlags: 1,
            isRemote: parent === 'remote',
          },
    attributes: { ...(level === undefined ? {} : { 'logfire.level_num': level }), ...attributes },
    status: { code: error ? 2 : 0 },
    duration: [Math.floor(ms / 1000), (ms % 1000) * 1e6],
    events: [],
    links: [],
    get id() {
      return spanId;
    },
  };
}

function sampler(rules = {}, limits = {}, deferRoots = false) {
  const out = [];
  const dropped = [];
  const early = [];
  const errors = [];
  const next = { onStart() {}, onEnd: (s) => out.push(s), forceFlush: async () => {}, shutdown: async () => {} };
  const p = new TailSamplingProcessor(next, {
    rules: { levelNum: 17, durationMs: undefined, backgroundRate: 0, decide: undefined, ...rules },
    limits: { maxSpans: 10_000, maxBytes: 4 << 20, maxHoldMs: 60_000, ...limits },
    onDropped: (k) => dropped.push(k),
    onDecideError: (e) => errors.push(e),
    onEarly: (c) => early.push(c),
    deferRoots,
  });
  return { p, out, dropped, early, errors, names: () => out.map((s) => s.name) };
}

// A root that does not qualify is decided in the microtask after it ends.
const settle = () => Promise.resolve();

/** A request: the root with `children` below it, ending children first. */
function request(p, traceId, children, rootOpts = {}) {
  const root = span(traceId, 'root', rootOpts);
  for (const c of children) p.onEnd(span(traceId, c.name, { parent: root.id, ...c }));
  p.onEnd(root);
  return root;
}

test('a healthy trace is held, then dropped when its local root ends, and counted', async () => {
  const s = sampler();
  const t = newTrace();
  const root = span(t, 'root');
  s.p.onEnd(span(t, 'a', { parent: root.id }));
  s.p.onEnd(span(t, 'b', { parent: root.id }));
  assert.equal(s.p.stats.heldSpans, 2);
  s.p.onEnd(root);
  assert.deepEqual(s.out, []);
  assert.deepEqual(s.dropped, [3]);
  assert.equal(s.p.stats.heldSpans, 0);
  assert.equal(s.p.stats.droppedTraces, 1);
});

test('an error keeps the whole trace at once: held spans first, in order, the rest as they end, nothing twice', () => {
  const s = sampler();
  const t = newTrace();
  const root = span(t, 'root');
  s.p.onEnd(span(t, 'a', { parent: root.id }));
  s.p.onEnd(span(t, 'b', { parent: root.id }));
  assert.deepEqual(s.names(), []);
  s.p.onEnd(span(t, 'failing', { parent: root.id, error: true }));
  assert.deepEqual(s.names(), ['a', 'b', 'failing']);
  s.p.onEnd(span(t, 'c', { parent: root.id }));
  s.p.onEnd(root);
  s.p.onEnd(span(t, 'late', { parent: root.id }));
  assert.deepEqual(s.names(), ['a', 'b', 'failing', 'c', 'root', 'late']);
  assert.deepEqual(s.dropped, []);
  assert.equal(new Set(s.out).size, s.out.length);
});

test('the level threshold: a warn log-span keeps its trace at warn, an info one does not', async () => {
  const s = sampler({ levelNum: 13 });
  const kept = newTrace();
  request(s.p, kept, [{ name: 'log warn', level: 13 }]);
  request(s.p, newTrace(), [{ name: 'log info', level: 9 }]);
  await settle();
  assert.deepEqual(s.names(), ['log warn', 'root']);
  assert.deepEqual(s.dropped, [2]);
});

test('an ERROR status counts as error: kept at warn, not at fatal', async () => {
  const warnLevel = sampler({ levelNum: 13 });
  request(warnLevel.p, newTrace(), [{ name: 'x', error: true }]);
  assert.equal(warnLevel.out.length, 2);
  const fatal = sampler({ levelNum: 21 });
  request(fatal.p, newTrace(), [{ name: 'x', error: true }]);
  await settle();
  assert.equal(fatal.out.length, 0);
  assert.deepEqual(fatal.dropped, [2]);
});

test('the duration threshold applies to local roots (a remote parent makes one), not to children', () => {
  const s = sampler({ durationMs: 200 });
  request(s.p, newTrace(), [{ name: 'slow child', ms: 500 }], { ms: 10 });
  assert.deepEqual(s.out, []);
  request(s.p, newTrace(), [{ name: 'child' }], { ms: 250, parent: 'remote' });
  assert.deepEqual(s.names(), ['child', 'root']);
});

test('a span of a trace that head sampling did not record is ignored', () => {
  const s = sampler();
  const t = newTrace();
  s.p.onEnd(span(t, 'x', { sampled: false, error: true }));
  assert.deepEqual(s.out, []);
  assert.deepEqual(s.dropped, []);
  assert.equal(s.p.stats.heldSpans, 0);
});

test('the background rate is drawn from the trace id: the same traces every time, about the rate', async () => {
  const ids = Array.from({ length: 4000 }, newTrace);
  const run = async () => {
    const s = sampler({ backgroundRate: 0.1 });
    for (const id of ids) request(s.p, id, [{ name: 'a' }]);
    await settle();
    return new Set(s.out.map((x) => x.spanContext().traceId));
  };
  const a = await run();
  const b = await run();
  assert.deepEqual([...a], [...b]);
  assert.ok(a.size > 300 && a.size < 500, `${a.size} of 4000 kept`);
  for (const id of a) assert.ok(traceDraw(id) < 0.1 && keptAtRate(id, 0.1));
});

test('decide() gives the probability of keeping; one that throws counts as 0 and is reported', async () => {
  const s = sampler({
    decide: (x) =>
      x.name === 'keep me'
        ? 1
        : x.name === 'boom'
          ? (() => {
              throw new Error('boom');
            })()
          : 0,
  });
  request(s.p, newTrace(), [{ name: 'keep me' }]);
  request(s.p, newTrace(), [{ name: 'boom' }]);
  await settle();
  assert.deepEqual(s.names(), ['keep me', 'root']);
  assert.equal(s.errors.length, 1);
});

test('a span that qualifies after its trace was dropped is still exported, with what follows', async () => {
  const s = sampler();
  const t = newTrace();
  const root = request(s.p, t, [{ name: 'a' }]);
  await settle();
  s.p.onEnd(span(t, 'late ok', { parent: root.id }));
  s.p.onEnd(span(t, 'late failure', { parent: root.id, error: true }));
  s.p.onEnd(span(t, 'after', { parent: root.id }));
  assert.deepEqual(s.names(), ['late failure', 'after']);
  assert.deepEqual(s.dropped, [2, 1]);
});

test("with deferRoots (auto-tracing), a span ending right after its root (the gate releasing a call's children) still joins the trace", async () => {
  const s = sampler({}, {}, true);
  const t = newTrace();
  const root = span(t, 'Calling main');
  s.p.onEnd(root);
  s.p.onEnd(span(t, 'Calling step', { parent: root.id }));
  s.p.onEnd(span(t, 'Calling failing', { parent: root.id, error: true }));
  await settle();
  assert.deepEqual(s.names(), ['Calling main', 'Calling step', 'Calling failing']);
  request(s.p, newTrace(), [{ name: 'healthy' }]);
  assert.equal(s.p.stats.heldSpans, 2, 'held until the microtask');
  await settle();
  assert.equal(s.out.length, 3);
  assert.equal(s.p.stats.heldSpans, 0);
  // Without it, the root decides at once and a span after it finds the trace dropped.
  const now = sampler();
  const t2 = newTrace();
  const r2 = span(t2, 'root');
  now.p.onEnd(r2);
  assert.deepEqual(now.dropped, [1]);
});

test('a client span marked kept downstream keeps its trace', () => {
  const s = sampler();
  request(s.p, newTrace(), [{ name: 'GET', attributes: { 'bud.sampling.kept_downstream': true } }]);
  assert.deepEqual(s.names(), ['GET', 'root']);
});

test('the span budget: past it the oldest undecided traces are decided early, and reported', async () => {
  const s = sampler({}, { maxSpans: 50 });
  const roots = [];
  for (let i = 0; i < 100; i++) {
    const t = newTrace();
    const root = span(t, 'never ends');
    roots.push([t, root]);
    for (let j = 0; j < 5; j++) s.p.onEnd(span(t, `w${j}`, { parent: root.id }));
  }
  const st = s.p.stats;
  assert.ok(st.peakSpans <= 50, `peak ${st.peakSpans}`);
  assert.ok(st.heldSpans <= 50);
  assert.equal(st.early.budget, 90);
  assert.deepEqual(s.out, []);
  await s.p.shutdown();
  assert.equal(s.early.length, 1);
  assert.equal(s.early[0].budget, 90);
  assert.equal(s.early[0].dropped, 90);
  assert.equal(s.early[0].spans, 450);
  // Shutdown decided the 10 still held like roots ending now (exit, not reported as early).
  assert.equal(s.p.stats.early.exit, 10);
  assert.equal(s.p.stats.heldSpans, 0);
  assert.equal(
    s.dropped.reduce((a, b) => a + b, 0),
    500,
  );
});

test('the byte budget bounds big spans too', () => {
  const s = sampler({}, { maxBytes: 100_000 });
  const big = 'x'.repeat(10_000);
  for (let i = 0; i < 50; i++) {
    const t = newTrace();
    s.p.onEnd(span(t, 'big', { parent: 'aaaaaaaaaaaaaaaa', attributes: { 'db.query.text': big } }));
  }
  assert.ok(s.p.stats.peakBytes <= 100_000, `peak ${s.p.stats.peakBytes}`);
  assert.ok(s.p.stats.heldBytes <= 100_000);
  assert.ok(s.p.stats.early.budget >= 40);
});

test('a trace held longer than maxHold is decided early; the background rate still applies', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  try {
    const s = sampler({ backgroundRate: 1 }, { maxHoldMs: 1000 });
    const t = newTrace();
    s.p.onEnd(span(t, 'chunk 1', { parent: 'aaaaaaaaaaaaaaaa' }));
    mock.timers.tick(500);
    assert.deepEqual(s.out, []);
    mock.timers.tick(600);
    assert.deepEqual(s.names(), ['chunk 1']);
    assert.equal(s.p.stats.early.maxHold, 1);
    // Decided kept: later spans of the trace go straight out.
    s.p.onEnd(span(t, 'chunk 2', { parent: 'aaaaaaaaaaaaaaaa' }));
    assert.deepEqual(s.names(), ['chunk 1', 'chunk 2']);
  } finally {
    mock.timers.reset();
  }
});

test('releaseHeld (exit) decides every held trace like a root ending now', () => {
  const ids = Array.from({ length: 200 }, newTrace);
  const s = sampler({ backgroundRate: 0.5 });
  for (const t of ids) s.p.onEnd(span(t, 'open', { parent: 'aaaaaaaaaaaaaaaa' }));
  s.p.releaseHeld();
  assert.equal(s.p.stats.heldSpans, 0);
  const kept = new Set(s.out.map((x) => x.spanContext().traceId));
  assert.deepEqual([...kept].sort(), ids.filter((t) => keptAtRate(t, 0.5)).sort());
  assert.equal(
    s.dropped.reduce((a, b) => a + b, 0),
    200 - kept.size,
  );
});

test('the traceresponse header: format and parse', () => {
  const t = '0af7651916cd43dd8448eb211c80319c';
  assert.equal(formatTraceresponse(t, 'b7ad6b7169203331', true), `00-${t}-b7ad6b7169203331-01`);
  assert.deepEqual(parseTraceresponse(`00-${t}-b7ad6b7169203331-01`), {
    traceId: t,
    spanId: 'b7ad6b7169203331',
    sampled: true,
  });
  assert.equal(parseTraceresponse([`00-${t}-b7ad6b7169203331-00`]).sampled, false);
  assert.equal(parseTraceresponse('garbage'), undefined);
  assert.equal(parseTraceresponse(undefined), undefined);
});

test('the byte estimate grows with attributes and events', () => {
  const small = span(newTrace(), 'x');
  const large = span(newTrace(), 'x', { attributes: { k: 'v'.repeat(1000) } });
  assert.ok(estimateBytes(large) - estimateBytes(small) >= 1000);
});
