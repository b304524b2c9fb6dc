// An in-process OTLP/HTTP collector for tests: accepts /v1/traces, /v1/metrics and /v1/logs
// in protobuf or JSON, decodes traces into plain objects, and can be told to misbehave.
// The protobuf decoder below reads only the fields the tests look at; it is written against
// opentelemetry-proto's trace.proto, common.proto and resource.proto field numbers.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { once } from 'node:events';

function* fields(buf) {
  let i = 0;
  while (i < buf.length) {
    let key = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      key |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) break;
    }
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      let v = 0n;
      let s = 0n;
      for (;;) {
        const b = buf[i++];
        v |= BigInt(b & 0x7f) << s;
        s += 7n;
        if ((b & 0x80) === 0) break;
      }
      yield [field, wire, v];
    } else if (wire === 1) {
      yield [field, wire, buf.subarray(i, i + 8)];
      i += 8;
    } else if (wire === 2) {
      let len = 0;
      let s = 0;
      for (;;) {
        const b = buf[i++];
        len |= (b & 0x7f) << s;
        s += 7;
        if ((b & 0x80) === 0) break;
      }
      yield [field, wire, buf.subarray(i, i + len)];
      i += len;
    } else if (wire === 5) {
      yield [field, wire, buf.subarray(i, i + 4)];
      i += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

const str = (b) => Buffer.from(b).toString('utf8');
const hex = (b) => Buffer.from(b).toString('hex');
const u64 = (b) => Buffer.from(b).readBigUInt64LE(0);

function anyValue(buf) {
  for (const [f, , v] of fields(buf)) {
    if (f === 1) return str(v);
    if (f === 2) return v !== 0n;
    if (f === 3) return Number(BigInt.asIntN(64, v));
    if (f === 4) return Buffer.from(v).readDoubleLE(0);
    if (f === 5) return [...fields(v)].map(([, , x]) => anyValue(x));
    if (f === 6) return keyValues([...fields(v)].map(([, , x]) => x));
    if (f === 7) return Buffer.from(v);
  }
  return undefined;
}

function keyValues(list) {
  const out = {};
  for (const kv of list) {
    let key;
    let value;
    for (const [f, , v] of fields(kv)) {
      if (f === 1) key = str(v);
      if (f === 2) value = anyValue(v);
    }
    out[key] = value;
  }
  return out;
}

function decodeSpan(buf) {
  const span = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    attributes: {},
    events: [],
    links: [],
    status: { code: 0, message: '' },
  };
  const attrs = [];
  for (const [f, , v] of fields(buf)) {
    if (f === 1) span.traceId = hex(v);
    else if (f === 2) span.spanId = hex(v);
    else if (f === 4) span.parentSpanId = hex(v);
    else if (f === 5) span.name = str(v);
    else if (f === 6) span.kind = Number(v);
    else if (f === 7) span.startTimeUnixNano = u64(v);
    else if (f === 8) span.endTimeUnixNano = u64(v);
    else if (f === 9) attrs.push(v);
    else if (f === 11) {
      const ev = { name: '', attributes: {} };
      const evAttrs = [];
      for (const [ef, , ev2] of fields(v)) {
        if (ef === 2) ev.name = str(ev2);
        if (ef === 3) evAttrs.push(ev2);
      }
      ev.attributes = keyValues(evAttrs);
      span.events.push(ev);
    } else if (f === 13) {
      const link = { traceId: '', spanId: '', attributes: {} };
      const linkAttrs = [];
      for (const [lf, , lv] of fields(v)) {
        if (lf === 1) link.traceId = hex(lv);
        if (lf === 2) link.spanId = hex(lv);
        if (lf === 4) linkAttrs.push(lv);
      }
      link.attributes = keyValues(linkAttrs);
      span.links.push(link);
    } else if (f === 15) {
      for (const [sf, , sv] of fields(v)) {
        if (sf === 2) span.status.message = str(sv);
        if (sf === 3) span.status.code = Number(sv);
      }
    }
  }
  span.attributes = keyValues(attrs);
  return span;
}

export function decodeTracesProtobuf(buf) {
  const spans = [];
  for (const [f, , rs] of fields(buf)) {
    if (f !== 1) continue;
    let resource = {};
    const scopes = [];
    for (const [rf, , rv] of fields(rs)) {
      if (rf === 1) resource = keyValues([...fields(rv)].filter(([af]) => af === 1).map(([, , x]) => x));
      if (rf === 2) scopes.push(rv);
    }
    for (const ss of scopes) {
      let scope = '';
      for (const [sf, , sv] of fields(ss)) {
        if (sf === 1) for (const [nf, , nv] of fields(sv)) if (nf === 1) scope = str(nv);
        if (sf === 2) spans.push({ ...decodeSpan(sv), resource, scope });
      }
    }
  }
  return spans;
}

function jsonAny(v) {
  if (v === undefined || v === null) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(jsonAny);
  if ('kvlistValue' in v) return jsonAttrs(v.kvlistValue.values);
  return undefined;
}
const jsonAttrs = (list = []) => Object.fromEntries(list.map((kv) => [kv.key, jsonAny(kv.value)]));

export function decodeTracesJson(body) {
  const spans = [];
  for (const rs of JSON.parse(body).resourceSpans ?? []) {
    const resource = jsonAttrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          kind: s.kind,
          attributes: jsonAttrs(s.attributes),
          events: (s.events ?? []).map((e) => ({ name: e.name, attributes: jsonAttrs(e.attributes) })),
          links: (s.links ?? []).map((l) => ({
            traceId: l.traceId,
            spanId: l.spanId,
            attributes: jsonAttrs(l.attributes),
          })),
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
          resource,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
  return spans;
}

/**
 * Starts a collector on 127.0.0.1. `behaviour(req)` may return { status, headers, hang }
 * to misbehave; by default every request is answered 200.
 */
export async function startReceiver({ behaviour } = {}) {
  const received = { spans: [], requests: [] };
  const waiters = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const entry = {
        path: req.url,
        headers: req.headers,
        contentType: req.headers['content-type'],
        bytes: body.length,
        body,
      };
      received.requests.push(entry);
      const b = behaviour?.(req) ?? {};
      if (b.hang) return;
      if (req.url === '/v1/traces' && (b.status ?? 200) === 200) {
        try {
          const spans = req.headers['content-type']?.includes('json')
            ? decodeTracesJson(body.toString('utf8'))
            : decodeTracesProtobuf(body);
          received.spans.push(...spans);
        } catch (error) {
          entry.decodeError = error;
        }
      }
      res.writeHead(b.status ?? 200, {
        'content-type': req.headers['content-type'] ?? 'application/x-protobuf',
        ...b.headers,
      });
      res.end();
      for (const w of waiters) w();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    get spans() {
      return received.spans;
    },
    /** Resolves when `predicate(spans)` holds, or rejects after `ms`. */
    waitFor(predicate, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(received.spans)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(received.spans);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`timed out; got ${received.spans.length} spans: ${received.spans.map((s) => s.name).join(', ')}`),
          );
        }, ms);
        waiters.add(check);
        check();
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
