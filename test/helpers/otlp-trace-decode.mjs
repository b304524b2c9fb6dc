// A complete decoder of ExportTraceServiceRequest protobuf bytes into plain objects, every
// field of opentelemetry-proto's trace.proto, common.proto and resource.proto (v1) included,
// for tests that compare two encoders field by field. Strict where otlp-receiver.mjs is
// lenient: an unknown field, a wrong wire type, a truncated value or a non-minimal varint
// throws, so a malformed request cannot decode "equal". Repeated fields keep their order;
// int64 and fixed64 come back as BigInt, doubles as numbers (NaN included), bytes as hex.
// Written against the .proto files, independently of the encoders it checks.

/** @param {Uint8Array} buf */
function* fields(buf) {
  let i = 0;
  const varint = () => {
    let v = 0n;
    let shift = 0n;
    const start = i;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) break;
      if (shift > 63n) throw new Error('varint longer than 10 bytes');
    }
    if (i - start > 1 && buf[i - 1] === 0) throw new Error('non-minimal varint');
    return v;
  };
  while (i < buf.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) yield { field, wire, value: varint() };
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (i + n > buf.length) throw new Error('truncated fixed value');
      yield { field, wire, value: buf.subarray(i, i + n) };
      i += n;
    } else if (wire === 2) {
      const len = Number(varint());
      if (i + len > buf.length) throw new Error(`truncated field ${field}`);
      yield { field, wire, value: buf.subarray(i, i + len) };
      i += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const kinds = {
  string: [2, (v) => utf8.decode(v)],
  bytes: [2, (v) => Buffer.from(v).toString('hex')],
  uint: [0, (v) => v],
  int64: [0, (v) => BigInt.asIntN(64, v)],
  bool: [0, (v) => (v === 0n ? false : v === 1n ? true : Symbol('bad bool'))],
  fixed64: [1, (v) => Buffer.from(v).readBigUInt64LE(0)],
  fixed32: [5, (v) => Buffer.from(v).readUInt32LE(0)],
  double: [1, (v) => Buffer.from(v).readDoubleLE(0)],
};

/**
 * Decodes `buf` by `schema`: { field: [name, kind or sub-schema, 'repeated'?] }.
 * A oneof (AnyValue) is recorded by the name of the field present; presence of a scalar
 * field is kept, so "written as 0" and "not written" differ.
 */
function decode(buf, schema, type) {
  const out = {};
  for (const { field, wire, value } of fields(buf)) {
    const spec = schema[field];
    if (spec === undefined) throw new Error(`${type}: unknown field ${field}`);
    const [name, kind, repeated] = spec;
    let decoded;
    if (typeof kind === 'string') {
      const [w, fn] = kinds[kind];
      if (wire !== w) throw new Error(`${type}.${name}: wire type ${wire}, expected ${w}`);
      decoded = fn(value);
    } else {
      if (wire !== 2) throw new Error(`${type}.${name}: wire type ${wire}, expected 2`);
      decoded = decode(value, kind(), name);
    }
    if (repeated) (out[name] ??= []).push(decoded);
    else if (name in out) throw new Error(`${type}.${name}: written twice`);
    else out[name] = decoded;
  }
  return out;
}

const anyValue = () => ({
  1: ['string', 'string'],
  2: ['bool', 'bool'],
  3: ['int', 'int64'],
  4: ['double', 'double'],
  5: ['array', () => ({ 1: ['values', anyValue, true] })],
  6: ['kvlist', () => ({ 1: ['values', keyValue, true] })],
  7: ['bytes', 'bytes'],
});
const keyValue = () => ({ 1: ['key', 'string'], 2: ['value', anyValue] });
const resource = () => ({ 1: ['attributes', keyValue, true], 2: ['droppedAttributesCount', 'uint'] });
const scope = () => ({
  1: ['name', 'string'],
  2: ['version', 'string'],
  3: ['attributes', keyValue, true],
  4: ['droppedAttributesCount', 'uint'],
});
const event = () => ({
  1: ['timeUnixNano', 'fixed64'],
  2: ['name', 'string'],
  3: ['attributes', keyValue, true],
  4: ['droppedAttributesCount', 'uint'],
});
const link = () => ({
  1: ['traceId', 'bytes'],
  2: ['spanId', 'bytes'],
  3: ['traceState', 'string'],
  4: ['attributes', keyValue, true],
  5: ['droppedAttributesCount', 'uint'],
  6: ['flags', 'fixed32'],
});
const status = () => ({ 2: ['message', 'string'], 3: ['code', 'uint'] });
const span = () => ({
  1: ['traceId', 'bytes'],
  2: ['spanId', 'bytes'],
  3: ['traceState', 'string'],
  4: ['parentSpanId', 'bytes'],
  5: ['name', 'string'],
  6: ['kind', 'uint'],
  7: ['startTimeUnixNano', 'fixed64'],
  8: ['endTimeUnixNano', 'fixed64'],
  9: ['attributes', keyValue, true],
  10: ['droppedAttributesCount', 'uint'],
  11: ['events', event, true],
  12: ['droppedEventsCount', 'uint'],
  13: ['links', link, true],
  14: ['droppedLinksCount', 'uint'],
  15: ['status', status],
  16: ['flags', 'fixed32'],
});
const scopeSpans = () => ({ 1: ['scope', scope], 2: ['spans', span, true], 3: ['schemaUrl', 'string'] });
const resourceSpans = () => ({
  1: ['resource', resource],
  2: ['scopeSpans', scopeSpans, true],
  3: ['schemaUrl', 'string'],
});
const request = () => ({ 1: ['resourceSpans', resourceSpans, true] });

/**
 * @param {Uint8Array} buf the body of an OTLP/HTTP traces request
 * @returns {any} every field present, by the .proto's (camel-cased) names
 */
export function decodeTraceRequest(buf) {
  return decode(buf, request(), 'ExportTraceServiceRequest');
}
