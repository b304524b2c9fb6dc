// The agent's OTLP/protobuf trace encoder (src/export/otlp-encode/) against the SDK's
// ProtobufTraceSerializer (@opentelemetry/otlp-transformer): for SDK spans and for hand-made
// and random ReadableSpans, the same bytes, hence the same content, read three ways (the
// strict full decoder, the receiver's decoder, the raw bytes); and the content checked
// against the spans themselves, so that the two agreeing on something wrong would fail too.
// Then the agent's pipeline sends what the encoder writes, read back by the test receiver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { encodeTraceRequest } from '../src/export/otlp-encode/request.ts';
import { SettlingResource } from '../src/resource/settling-resource.ts';
import { BudTracerProvider } from '../src/tracing/provider.ts';
import { BudIdGenerator } from '../src/tracing/ids.ts';
import { DEFAULT_SPAN_LIMITS } from '../src/tracing/limits.ts';
import { AlwaysOnSampler } from '@opentelemetry/sdk-trace';
import { decodeTracesProtobuf, startReceiver } from './helpers/otlp-receiver.mjs';
import { decodeTraceRequest } from './helpers/otlp-trace-decode.mjs';
import { generator, handSpan, traceState } from './helpers/readable-spans.mjs';
import { fixtures, runApp } from './helpers/run.mjs';

/** Both encodings of `spans`, proven the same; returns the decoded request. */
function same(spans, label = '') {
  const sdk = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans));
  const own = Buffer.from(encodeTraceRequest(spans));
  const decoded = decodeTraceRequest(own);
  // Field by field first, for a readable difference; then the receiver's view; then bytes.
  assert.deepEqual(decoded, decodeTraceRequest(sdk), `${label}: decoded requests differ`);
  assert.deepEqual(decodeTracesProtobuf(own), decodeTracesProtobuf(sdk), `${label}: receiver's view differs`);
  assert.ok(own.equals(sdk), `${label}: same content but not the same bytes (${own.length} and ${sdk.length})`);
  return decoded;
}

/** Every span of a decoded request, with its resource and scope. */
const flat = (decoded) =>
  (decoded.resourceSpans ?? []).flatMap((rs) =>
    (rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).map((span) => ({ span, rs, ss }))),
  );
const attr = (list, key) => list.find((kv) => kv.key === key)?.value;
const nanos = ([s, n]) => BigInt(s) * 1_000_000_000n + BigInt(n);

function sdkTracer(resourceAttributes, scope = ['test-scope', '1.2.3'], schemaUrl) {
  const ended = [];
  const provider = new TracerProvider({
    resource: resourceFromAttributes(resourceAttributes),
    spanProcessors: [
      { onStart() {}, onEnd: (s) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} },
    ],
  });
  return { provider, tracer: provider.getTracer(scope[0], scope[1], schemaUrl ? { schemaUrl } : undefined), ended };
}

const ALL_KINDS = {
  str: 'plain',
  empty: '',
  unicode: 'héllo wörld – 中文 – 😀',
  lone: 'a\ud800b\udfffc',
  longAscii: 'x'.repeat(300),
  longUnicode: '€'.repeat(50), // 50 UTF-16 units, 150 bytes: the length needs 2 bytes, not 1
  huge: 'y'.repeat(20_000),
  int: 42,
  zero: 0,
  neg: -7,
  big: 2 ** 40,
  beyond53: 2 ** 60,
  min64: -(2 ** 63),
  max64: 2 ** 63, // not below 2^63: a double
  double: 3.25,
  nan: NaN,
  inf: Infinity,
  ninf: -Infinity,
  yes: true,
  no: false,
  strings: ['a', '', 'é'],
  ints: [1, -1, 2 ** 33],
  doubles: [0.5, NaN],
  bools: [true, false],
  withNull: ['a', null, 'b'],
  emptyArray: [],
};

test('SDK spans: every attribute kind, events, links, remote parents and statuses encode as otlp-transformer does', () => {
  const { tracer, ended } = sdkTracer(
    { 'service.name': 'enc', 'process.pid': 4242 },
    ['scope-a', '1.0.0'],
    'https://s/1',
  );
  const remote = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: 1,
    isRemote: true,
    traceState: new TraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'),
  };
  const parentCtx = trace.setSpanContext(ROOT_CONTEXT, remote);
  const kinds = [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER];
  for (const kind of kinds) {
    const span = tracer.startSpan(
      kind === SpanKind.SERVER ? '' : `span ${kind}`,
      {
        kind,
        attributes: ALL_KINDS,
        links: [
          { context: remote, attributes: { 'link.n': 1, 'link.s': 'ü' } },
          { context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 0 } },
        ],
      },
      kind === SpanKind.SERVER ? parentCtx : ROOT_CONTEXT,
    );
    span.addEvent('exception', { 'exception.message': 'boom ✗', 'exception.type': 'Error', n: 2 ** 35 });
    span.addEvent('', [1_700_000_000, 5]);
    if (kind === SpanKind.CLIENT) span.setStatus({ code: SpanStatusCode.ERROR, message: 'it failed – ✗' });
    if (kind === SpanKind.PRODUCER) span.setStatus({ code: SpanStatusCode.OK });
    if (kind === SpanKind.CONSUMER) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }
  const decoded = same(ended, 'SDK spans');
  const spans = flat(decoded);
  assert.equal(spans.length, 5);
  // What the spans hold, read back: the encoders agreeing is not enough.
  for (const [i, { span, rs, ss }] of spans.entries()) {
    const source = ended[i];
    assert.equal(span.traceId, source.spanContext().traceId);
    assert.equal(span.spanId, source.spanContext().spanId);
    assert.equal(span.name, source.name);
    assert.equal(span.kind, BigInt(source.kind + 1));
    assert.equal(span.startTimeUnixNano, nanos(source.startTime));
    assert.equal(span.endTimeUnixNano, nanos(source.endTime));
    assert.equal(attr(rs.resource.attributes, 'service.name').string, 'enc');
    assert.equal(rs.resource.droppedAttributesCount, 0n);
    assert.deepEqual(ss.scope, { name: 'scope-a', version: '1.0.0' });
    assert.equal(ss.schemaUrl, 'https://s/1');
    const a = span.attributes;
    assert.deepEqual(
      a.map((kv) => kv.key),
      Object.keys(ALL_KINDS),
    );
    assert.equal(attr(a, 'unicode').string, ALL_KINDS.unicode);
    assert.equal(attr(a, 'lone').string, 'a\ufffdb\ufffdc', 'lone surrogates as U+FFFD, as TextEncoder writes them');
    assert.equal(attr(a, 'longUnicode').string, ALL_KINDS.longUnicode);
    assert.equal(attr(a, 'huge').string.length, 20_000);
    assert.deepEqual(attr(a, 'empty'), { string: '' });
    assert.deepEqual(attr(a, 'neg'), { int: -7n });
    assert.deepEqual(attr(a, 'beyond53'), { int: 2n ** 60n });
    assert.deepEqual(attr(a, 'min64'), { int: -(2n ** 63n) });
    assert.deepEqual(attr(a, 'max64'), { double: 2 ** 63 });
    assert.deepEqual(attr(a, 'nan'), { double: NaN });
    assert.deepEqual(attr(a, 'ninf'), { double: -Infinity });
    assert.deepEqual(attr(a, 'no'), { bool: false });
    assert.deepEqual(attr(a, 'ints'), { array: { values: [{ int: 1n }, { int: -1n }, { int: 2n ** 33n }] } });
    assert.deepEqual(attr(a, 'withNull'), { array: { values: [{ string: 'a' }, {}, { string: 'b' }] } });
    assert.deepEqual(attr(a, 'emptyArray'), { array: {} });
    assert.equal(span.events.length, 2);
    assert.equal(attr(span.events[0].attributes, 'n').int, 2n ** 35n);
    assert.deepEqual(span.events[1], {
      timeUnixNano: 1_700_000_000_000_000_005n,
      name: '',
      droppedAttributesCount: 0n,
    });
    assert.equal(span.links[0].traceState, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
    assert.equal(span.links[0].flags, 0x301, 'sampled, has is_remote, is remote');
    assert.equal(span.links[1].flags, 0x100, 'not sampled, has is_remote, local');
  }
  const server = spans[1].span;
  assert.equal(server.parentSpanId, remote.spanId);
  assert.equal(server.traceState, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', "the parent's trace state, inherited");
  assert.equal(server.flags, 0x301, 'remote parent');
  assert.equal(spans[0].span.flags, 0x101, 'root: sampled, has is_remote, not remote');
  assert.deepEqual(spans[0].span.status, { code: 0n });
  assert.deepEqual(spans[2].span.status, { message: 'it failed – ✗', code: 2n });
  assert.deepEqual(spans[3].span.status, { code: 1n });
  assert.deepEqual(spans[4].span.status, { code: 2n });
});

test("the agent's own spans: their clock times, read as numbers, encode as otlp-transformer encodes the HrTimes", () => {
  const ended = [];
  const provider = new BudTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'own' }),
    sampler: new AlwaysOnSampler(),
    processor: { onStart() {}, onEnd: (s) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} },
    ids: new BudIdGenerator(),
    limits: DEFAULT_SPAN_LIMITS,
  });
  const tracer = provider.getTracer('own-scope', '1.0.0');
  for (let i = 0; i < 200; i++) {
    const span = tracer.startSpan(`span ${i}`, { attributes: { i } });
    // Durations from nothing to seconds, so that nanoseconds carry into seconds too.
    const until = performance.now() + (i % 50 === 0 ? 3 : 0);
    while (performance.now() < until);
    span.end();
  }
  // One span with a given start time, one ended with a given end time: the HrTime path.
  tracer.startSpan('given start', { startTime: Date.now() - 5 }).end();
  tracer.startSpan('given end').end(Date.now() + 5);
  // Ours first: the SDK's serializer reads startTime and endTime, which makes the HrTimes.
  const clockTimed = ended.filter((s) => s._clockTimes(new Float64Array(4))).length;
  assert.equal(clockTimed, 200);
  const own = Buffer.from(encodeTraceRequest(ended));
  const sdk = Buffer.from(ProtobufTraceSerializer.serializeRequest(ended));
  assert.deepEqual(decodeTraceRequest(own), decodeTraceRequest(sdk));
  assert.ok(own.equals(sdk));
  const spans = decodeTraceRequest(own).resourceSpans[0].scopeSpans[0].spans;
  assert.equal(spans.length, 202);
  for (const [i, s] of spans.entries()) {
    const { startTime, endTime } = ended[i];
    assert.equal(s.startTimeUnixNano, BigInt(startTime[0]) * 1_000_000_000n + BigInt(startTime[1]));
    assert.equal(s.endTimeUnixNano, BigInt(endTime[0]) * 1_000_000_000n + BigInt(endTime[1]));
  }
});

test('values no SDK span holds encode as otlp-transformer does: kvlists, nested arrays, bytes, undefined, bigint', () => {
  const span = handSpan({
    attributes: {
      kv: { a: 1, b: { c: ['x', [true, { d: null }]] }, '': '' },
      nested: [[1, [2, [3]]], [], ['é']],
      bytes: new Uint8Array([0, 1, 254, 255]),
      emptyBytes: new Uint8Array(0),
      buffer: Buffer.from('buf'),
      undef: undefined,
      nul: null,
      bigint: 10n,
      fn: () => 1,
      negZero: -0,
      fraction: 2 ** 53 + 0.5,
      holes: [1, , 3], // eslint-disable-line no-sparse-arrays
    },
    kind: undefined,
    traceState: traceState('k=v'),
    droppedAttributesCount: 2 ** 33,
    droppedEventsCount: 7,
    droppedLinksCount: 300,
    events: [{ time: [1, 2], name: 'e', attributes: { x: 'y' }, droppedAttributesCount: 3 }],
    links: [
      { context: { traceId: 'A'.repeat(32), spanId: 'F'.repeat(16), traceFlags: 0x80 }, droppedAttributesCount: 1 },
    ],
    instrumentationScope: { name: 'sc', version: '', attributes: { s: 1 }, droppedAttributesCount: 4, schemaUrl: 'u' },
    resource: { attributes: { r: [1, 2] }, schemaUrl: 'https://schema' },
  });
  const [{ span: s, rs, ss }] = flat(same([span], 'hand-made'));
  assert.deepEqual(attr(s.attributes, 'bytes'), { bytes: '0001feff' });
  assert.deepEqual(attr(s.attributes, 'buffer'), { bytes: Buffer.from('buf').toString('hex') });
  for (const k of ['undef', 'nul', 'bigint', 'fn']) assert.deepEqual(attr(s.attributes, k), {}, k);
  assert.deepEqual(attr(s.attributes, 'negZero'), { int: 0n });
  assert.deepEqual(attr(s.attributes, 'fraction'), { int: 2n ** 53n }, '2^53 + 0.5 is the integer 2^53 as a double');
  assert.deepEqual(attr(s.attributes, 'kv').kvlist.values[1].value.kvlist.values[0].value.array.values[1], {
    array: { values: [{ bool: true }, { kvlist: { values: [{ key: 'd', value: {} }] } }] },
  });
  assert.equal(s.kind, undefined, 'no kind: not written');
  assert.equal(s.droppedAttributesCount, 2n ** 33n);
  assert.equal(s.links[0].traceId, 'a'.repeat(32), 'upper-case hex ids');
  assert.equal(s.links[0].flags, 0x180);
  assert.deepEqual(ss.scope, {
    name: 'sc',
    attributes: [{ key: 's', value: { int: 1n } }],
    droppedAttributesCount: 4n,
  });
  assert.equal(ss.schemaUrl, 'u');
  assert.equal(rs.schemaUrl, 'https://schema');
});

test('many resources and scopes in one batch: grouped by resource, then scope, in order of first appearance', () => {
  const a = sdkTracer({ 'service.name': 'a' }, ['s1']);
  const b = sdkTracer({ 'service.name': 'b' }, ['s1']);
  const aOther = a.provider.getTracer('s2', '2.0');
  const tracers = [a.tracer, b.tracer, aOther];
  for (let i = 0; i < 12; i++) tracers[i % 3].startSpan(`n${i}`).end();
  const spans = [...a.ended, ...b.ended].sort((x, y) => Number(x.name.slice(1)) - Number(y.name.slice(1)));
  const decoded = same(spans, 'interleaved');
  assert.deepEqual(
    decoded.resourceSpans.map((rs) => attr(rs.resource.attributes, 'service.name').string),
    ['a', 'b'],
  );
  assert.deepEqual(
    decoded.resourceSpans[0].scopeSpans.map((ss) => [ss.scope.name, ss.spans.map((x) => x.name)]),
    [
      ['s1', ['n0', 'n3', 'n6', 'n9']],
      ['s2', ['n2', 'n5', 'n8', 'n11']],
    ],
  );
  // Hand-made: scopes alternating within each of two resources.
  const resources = [{ attributes: { r: 1 } }, { attributes: { r: 2 } }];
  const scopes = [{ name: 'x' }, { name: 'y', version: '1' }, { name: 'z' }];
  const hand = Array.from({ length: 30 }, (_, i) =>
    handSpan({ name: `h${i}`, resource: resources[i % 2], instrumentationScope: scopes[i % 3] }),
  );
  const d2 = same(hand, 'hand-made groups');
  assert.equal(d2.resourceSpans.length, 2);
  assert.deepEqual(
    d2.resourceSpans[0].scopeSpans.map((ss) => ss.scope.name),
    ['x', 'z', 'y'],
  );
});

test('sizes across every length boundary: tiny spans, spans over 16 KiB, a request over 4 MiB', () => {
  same([], 'empty batch');
  assert.equal(encodeTraceRequest([]).length, 0);
  // Under 128 bytes: the span's 2-byte length moves back to 1.
  same([handSpan({ name: '', resource: { attributes: {} }, instrumentationScope: { name: '' } })], 'tiny');
  for (const n of [41, 42, 43, 127, 128, 129, 16383, 16384, 40_000])
    for (const unit of ['a', 'é', '€', '😀'])
      same(
        [handSpan({ name: unit.repeat(n), attributes: { v: unit.repeat(n), [unit.repeat(n)]: n } })],
        `${unit}×${n}`,
      );
  // Over 2 MiB in one ScopeSpans (its 3-byte length becomes 4), and over the 4 MiB the writer
  // keeps for the next request.
  const big = Array.from({ length: 90 }, (_, i) =>
    handSpan({ name: `big${i}`, attributes: { blob: 'z'.repeat(60_000) } }),
  );
  same(big, 'over 4 MiB');
  same([handSpan()], 'after a huge request');
});

test('cached resource and scope bytes: reused when unchanged, encoded again when a resource settles', async () => {
  const settle = Promise.withResolvers();
  const resource = new SettlingResource({ 'service.name': 'early' }, settle.promise);
  const scope = { name: 'cached', version: '1' };
  const batch = () => [
    handSpan({ resource, instrumentationScope: scope }),
    handSpan({ resource, instrumentationScope: scope }),
  ];
  const first = same(batch(), 'before settling');
  // The second request writes the cached bytes: the same request again.
  assert.ok(Buffer.from(encodeTraceRequest(batch())).equals(Buffer.from(encodeTraceRequest(batch()))));
  assert.deepEqual(same(batch(), 'cached'), first);
  settle.resolve({ 'service.name': 'late', 'cloud.provider': 'aws' });
  await resource.ready;
  const after = same(batch(), 'after settling');
  assert.equal(attr(first.resourceSpans[0].resource.attributes, 'service.name').string, 'early');
  assert.equal(attr(after.resourceSpans[0].resource.attributes, 'cloud.provider').string, 'aws');
  // A scope object given a new version (nothing does this; the cache must still not lie).
  scope.version = '2';
  assert.equal(same(batch(), 'scope changed').resourceSpans[0].scopeSpans[0].scope.version, '2');
});

test('a request is its own bytes: the next one does not overwrite it', () => {
  const one = encodeTraceRequest([handSpan({ name: 'one' })]);
  const copy = Buffer.from(one);
  encodeTraceRequest([handSpan({ name: 'two', attributes: { x: 'y'.repeat(1000) } })]);
  assert.ok(Buffer.from(one).equals(copy));
  // A request that fills most of the writer's buffer is handed out whole, the writer takes a
  // new one: the next large request must not land in it either.
  const big = encodeTraceRequest([handSpan({ name: 'big', attributes: { x: 'a'.repeat(40_000) } })]);
  const bigCopy = Buffer.from(big);
  encodeTraceRequest([handSpan({ name: 'next', attributes: { x: 'b'.repeat(40_000) } })]);
  assert.ok(Buffer.from(big).equals(bigCopy));
  assert.equal(Object.getPrototypeOf(big), Uint8Array.prototype, 'a plain Uint8Array, as otlp-transformer gives');
});

test('random ReadableSpans (seeded): byte-identical to otlp-transformer', () => {
  for (let seed = 1; seed <= 150; seed++) same(generator(seed).batch(), `seed ${seed}`);
});

test('the agent exports over OTLP/HTTP protobuf what the encoder writes, read back whole', async () => {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: `${fixtures}otlp-encode/app.mjs`,
      env: {
        BUD_OBSERVE_ENDPOINT: receiver.url,
        BUD_OBSERVE_SERVICE_NAME: 'encode-e2e',
        OTEL_METRICS_EXPORTER: 'none',
      },
    });
    assert.equal(r.code, 0, r.stderr);
    const spans = await receiver.waitFor((s) => s.some((x) => x.name === 'encode child'));
    const root = spans.find((s) => s.name === 'encode root');
    const child = spans.find((s) => s.name === 'encode child');
    assert.equal(child.parentSpanId, root.spanId);
    assert.equal(root.parentSpanId, '00f067aa0ba902b7', 'the remote parent');
    assert.equal(root.resource['service.name'], 'encode-e2e');
    const expected = { s: 'héllo 😀', lone: 'a\ufffdb', i: -5, big: 2 ** 40, d: 0.25, b: true, arr: ['x', 'y'] };
    for (const [k, v] of Object.entries(expected)) assert.deepEqual(root.attributes[k], v, k);
    assert.equal(root.events[0].name, 'step');
    assert.equal(root.events[0].attributes.n, 3);
    assert.equal(root.links[0].traceId, 'a'.repeat(32));
    assert.deepEqual(child.status, { code: 2, message: 'child failed' });
    for (const req of receiver.received.requests.filter((q) => q.path === '/v1/traces')) {
      assert.equal(req.decodeError, undefined);
      decodeTraceRequest(req.body); // strict: no unknown field, no malformed value
    }
  } finally {
    await receiver.close();
  }
});

test('the writer: a length that outgrows its room at the very end of the buffer, varints of any number', async () => {
  const { ProtoWriter } = await import('../src/export/otlp-encode/writer.ts');
  const w = new ProtoWriter();
  const room = w.buf.length;
  const at = w.begin(1);
  w.raw(new Uint8Array(room - 1).fill(7)); // the buffer now full to its last byte
  w.end(at, 1); // the length takes 3 bytes: the content moves 2 on, past the old end
  const out = w.take();
  assert.equal(out.length, room + 2);
  assert.deepEqual([...out.subarray(0, 3)], [0xff, 0xff, 0x03]);
  assert.ok(out.subarray(3).every((b) => b === 7));
  // Varints against BigInt arithmetic: negative ones as 64-bit two's complement.
  const varint = (v) => {
    let x = BigInt.asUintN(64, BigInt(v));
    const bytes = [];
    do {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      bytes.push(x > 0n ? b | 0x80 : b);
    } while (x > 0n);
    return bytes;
  };
  for (const v of [
    0,
    1,
    127,
    128,
    300,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 53 - 1,
    2 ** 62,
    -1,
    -128,
    -(2 ** 31),
    -(2 ** 53),
    -(2 ** 63),
  ]) {
    w.varint(v);
    assert.deepEqual([...w.take()], varint(v), String(v));
  }
});
