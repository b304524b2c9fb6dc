// What encoding a span batch as an OTLP/protobuf ExportTraceServiceRequest costs, per span:
// the SDK's ProtobufTraceSerializer (@opentelemetry/otlp-transformer) against the agent's own
// encoder (src/export/otlp-encode/), on the same 512 ended SDK spans. Two batches: the spans of
// benchmarks/processors (workload.mjs ATTRS, ten attributes), and a mix of HTTP server spans
// (one in four with an exception event and an error status) and PostgreSQL spans with their
// query text. Both encoders must produce the same bytes first, or nothing is measured.
// Batches of ~2.5 ms, interleaved between the two, many of them: a shared 2-core machine
// preempts long runs, and a slow batch then hits one contender only. Reported: the fastest
// batch (min) and the median, in µs per span, and the ratio agent / SDK of each.
//   node benchmarks/otlp-encode.mjs [--rounds N] [--batch-ms N]
// Runs the TypeScript sources directly (Node 22.18+ strips the types).
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { encodeTraceRequest } from '../src/export/otlp-encode/request.ts';
import { ATTRS } from './processors/workload.mjs';

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const ROUNDS = Number(arg('--rounds', 200));
const BATCH_MS = Number(arg('--batch-ms', 2.5));
const SPANS = 512;

const spans = [];
const provider = new TracerProvider({
  resource: resourceFromAttributes({
    'service.name': 'orders',
    'service.version': '1.4.2',
    'deployment.environment.name': 'production',
    'host.name': 'orders-7f9c6d5b8-x2k4q',
    'process.pid': 4242,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.name': 'opentelemetry',
  }),
  spanProcessors: [{ onStart() {}, onEnd: (s) => spans.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
});

function workloadBatch() {
  const tracer = provider.getTracer('bench');
  spans.length = 0;
  for (let i = 0; i < SPANS; i++) tracer.startSpan('GET /users/{id}', { attributes: ATTRS }).end();
  return spans.splice(0);
}

const SQL = 'SELECT id, name, price FROM items WHERE id = $1 AND tenant_id = $2 ORDER BY created_at DESC LIMIT 50';
function mixedBatch() {
  const http = provider.getTracer('@opentelemetry/instrumentation-http', '0.300.0');
  const pg = provider.getTracer('@opentelemetry/instrumentation-pg', '0.60.0');
  for (let i = 0; i < SPANS / 2; i++) {
    const server = http.startSpan('GET /api/orders/:id', {
      kind: 1,
      attributes: {
        'http.request.method': 'GET',
        'url.scheme': 'https',
        'url.path': `/api/orders/${i}`,
        'server.address': 'orders.internal',
        'server.port': 8443,
        'network.peer.address': '10.0.3.17',
        'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0',
        'http.route': '/api/orders/:id',
        'http.response.status_code': i % 4 === 0 ? 500 : 200,
      },
    });
    if (i % 4 === 0) {
      server.recordException(new TypeError("Cannot read properties of undefined (reading 'map')"));
      server.setStatus({ code: 2, message: "Cannot read properties of undefined (reading 'map')" });
    }
    pg.startSpan('SELECT items', {
      kind: 2,
      attributes: {
        'db.system.name': 'postgresql',
        'db.namespace': 'shop',
        'db.query.text': SQL,
        'db.query.summary': 'SELECT items',
        'server.address': 'db.internal',
        'server.port': 5432,
      },
    }).end();
    server.end();
  }
  return spans.splice(0);
}

const contenders = {
  'otlp-transformer': (batch) => ProtobufTraceSerializer.serializeRequest(batch),
  budobserve: (batch) => encodeTraceRequest(batch),
};

/** Runs `fn` `n` times on `batch`, returns µs per span. */
function timed(fn, batch, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(batch);
  return Number(process.hrtime.bigint() - t0) / 1000 / n / batch.length;
}

function measure(label, batch) {
  const sdk = Buffer.from(contenders['otlp-transformer'](batch));
  const own = Buffer.from(contenders.budobserve(batch));
  if (!sdk.equals(own)) throw new Error(`${label}: the two encoders disagree (${sdk.length} and ${own.length} bytes)`);
  const names = Object.keys(contenders);
  const reps = {};
  for (const name of names) {
    for (let i = 0; i < 50; i++) contenders[name](batch); // warm-up
    reps[name] = Math.max(1, Math.round((BATCH_MS * 1000) / (timed(contenders[name], batch, 5) * batch.length)));
  }
  const results = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) results[name].push(timed(contenders[name], batch, reps[name]));
  }
  const min = (a) => Math.min(...a);
  const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  console.log(`  ${label}: ${batch.length} spans, ${sdk.length} bytes, byte-identical`);
  for (const name of names)
    console.log(
      `    ${name.padEnd(17)} min ${min(results[name]).toFixed(3)} µs/span   median ${median(results[name]).toFixed(3)} µs/span`,
    );
  const ratio = (f) => (f(results.budobserve) / f(results['otlp-transformer'])).toFixed(2);
  console.log(`    budobserve / otlp-transformer: min ${ratio(min)}x, median ${ratio(median)}x`);
}

console.log(
  `OTLP/protobuf trace request encoding, µs per span (${ROUNDS} interleaved batches of ~${BATCH_MS} ms each, Node ${process.versions.node})`,
);
measure('processors workload (ATTRS)', workloadBatch());
measure('HTTP server + PostgreSQL mix', mixedBatch());
