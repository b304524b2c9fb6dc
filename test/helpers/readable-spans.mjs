// ReadableSpans for encoder tests, in two kinds: hand-made objects implementing the SDK's
// ReadableSpan interface (as any span implementation may, with values the SDK itself would
// clean away: kvlists, nested arrays, bytes, undefined and bigint values, odd ids and times),
// and random ones from a seeded generator, to compare two encoders on what nobody thought of.

/** A ReadableSpan with defaults for everything `over` does not give. */
export function handSpan(over = {}) {
  const ctx = {
    traceId: over.traceId ?? '0af7651916cd43dd8448eb211c80319c',
    spanId: over.spanId ?? 'b7ad6b7169203331',
    traceFlags: over.traceFlags ?? 1,
    ...(over.traceState === undefined ? {} : { traceState: over.traceState }),
  };
  const span = {
    name: 'hand-made',
    kind: 0,
    parentSpanContext: undefined,
    startTime: [1_700_000_000, 123_456_789],
    endTime: [1_700_000_001, 987_654_321],
    status: { code: 0 },
    attributes: {},
    links: [],
    events: [],
    duration: [1, 0],
    ended: true,
    resource: { attributes: { 'service.name': 'hand' } },
    instrumentationScope: { name: 'hand-scope' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    ...over,
  };
  for (const k of ['traceId', 'spanId', 'traceFlags', 'traceState']) delete span[k];
  span.spanContext = () => ctx;
  return span;
}

/** A trace state as the SDK's TraceState looks to an encoder. */
export const traceState = (s) => ({ serialize: () => s });

/** Mulberry32: a small seeded generator, so a failure names the seed that reproduces it. */
export function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Every kind of UTF-16 unit a string may hold: ASCII, 2-, 3- and 4-byte UTF-8, a NUL, and
// lone high and low surrogates.
const UNITS = ['a', 'Z', '0', ' ', '/', 'é', 'ß', '€', '中', '😀', '\u0000', '\ud800', '\udfff', '\u007f', '\u0080'];
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  127,
  128,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  2 ** 32 - 1,
  2 ** 32,
  -(2 ** 32),
  2 ** 53 - 1,
  -(2 ** 53),
  2 ** 63,
  -(2 ** 63),
  2 ** 63 - 1024,
  2 ** 64,
  1.5,
  -0.1,
  NaN,
  Infinity,
  -Infinity,
  Number.MIN_VALUE,
  Number.MAX_VALUE,
];

export function generator(seed) {
  const r = random(seed);
  const int = (n) => Math.floor(r() * n);
  const pick = (a) => a[int(a.length)];
  const string = () => {
    const len = r() < 0.05 ? 100 + int(20_000) : r() < 0.2 ? 30 + int(120) : int(45);
    const ascii = r() < 0.7;
    let s = '';
    for (let i = 0; i < len; i++) s += ascii ? String.fromCharCode(32 + int(95)) : pick(UNITS);
    return s;
  };
  const hex = (n) => {
    if (r() < 0.05) return pick(['', 'abc', 'ZZ', '0AF7651916CD43DD8448EB211C80319C']);
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[int(16)];
    return s;
  };
  const value = (depth) => {
    const k = int(depth > 2 ? 5 : 9);
    if (k === 0) return string();
    if (k === 1) return r() < 0.5;
    if (k === 2) return r() < 0.5 ? pick(NUMBERS) : (r() - 0.5) * 2 ** int(70);
    if (k === 3) return int(1000);
    if (k === 4) return pick([undefined, null, 10n, () => 1, Symbol('s')]);
    if (k === 5) return new Uint8Array(Array.from({ length: int(300) }, () => int(256)));
    if (k === 6) return Array.from({ length: int(6) }, () => value(depth + 1));
    return attributes(depth + 1, 5);
  };
  const attributes = (depth = 0, max = 12) => {
    const out = {};
    for (let i = int(max); i > 0; i--) out[r() < 0.1 ? '' : r() < 0.8 ? `k.${int(30)}` : string()] = value(depth);
    return out;
  };
  const time = () =>
    r() < 0.05
      ? pick([
          [0, 0],
          [2 ** 32 + 5, 999_999_999],
          [1.5, 0.5],
        ])
      : [1_600_000_000 + int(2 ** 28), int(1e9)];
  const maybeState = () => (r() < 0.2 ? traceState(r() < 0.5 ? 'vendor=abc,other=1' : string()) : undefined);
  const event = () => ({
    time: time(),
    name: string(),
    ...(r() < 0.7 ? { attributes: attributes() } : {}),
    ...(r() < 0.3 ? { droppedAttributesCount: int(500) } : {}),
  });
  const link = () => ({
    context: { traceId: hex(32), spanId: hex(16), traceFlags: int(256), isRemote: r() < 0.5, traceState: maybeState() },
    ...(r() < 0.7 ? { attributes: attributes() } : {}),
    ...(r() < 0.3 ? { droppedAttributesCount: int(500) } : {}),
  });
  const resources = Array.from({ length: 3 }, (_, i) => ({
    attributes: { 'service.name': `svc-${i}`, ...attributes() },
    ...(i === 1 ? { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' } : {}),
  }));
  const scopes = Array.from({ length: 4 }, (_, i) => ({
    name: i === 3 ? '' : `scope-${i}`,
    ...(i % 2 ? { version: `1.${i}.0` } : {}),
    ...(i === 2 ? { schemaUrl: 'https://opentelemetry.io/schemas/1.29.0', attributes: attributes() } : {}),
    ...(i === 1 ? { droppedAttributesCount: 3 } : {}),
  }));
  const span = () =>
    handSpan({
      traceId: hex(32),
      spanId: hex(16),
      traceFlags: int(256),
      traceState: maybeState(),
      name: string(),
      kind: r() < 0.1 ? undefined : int(5),
      parentSpanContext:
        r() < 0.4
          ? undefined
          : { traceId: hex(32), spanId: r() < 0.1 ? '' : hex(16), traceFlags: 1, isRemote: r() < 0.5 },
      startTime: time(),
      endTime: time(),
      status: pick([{ code: 0 }, { code: 1 }, { code: 2 }, { code: 2, message: string() }, { code: 1, message: '' }]),
      attributes: attributes(),
      events: Array.from({ length: r() < 0.7 ? 0 : int(5) }, event),
      links: Array.from({ length: r() < 0.7 ? 0 : int(4) }, link),
      droppedAttributesCount: r() < 0.8 ? 0 : int(2 ** 20),
      droppedEventsCount: r() < 0.8 ? 0 : int(200),
      droppedLinksCount: r() < 0.8 ? 0 : int(200),
      resource: pick(resources),
      instrumentationScope: pick(scopes),
    });
  return { batch: () => Array.from({ length: 1 + int(60) }, span) };
}
