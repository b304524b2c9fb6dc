// Where scrubbing should run: in a span processor's onEnd (inside the app's span.end()) or
// where batches are exported (a timer, after the request). Measures, per span, the
// scrubber alone and span.start+end with scrubbing in onEnd against without, for a typical
// HTTP server span (15 attributes) with no secret and with two (Authorization, ?token=).
//   node benchmarks/scrubbing.mjs [--spans N] [--rounds N]
// Runs the TypeScript sources directly (Node 22.18+ strips the types).
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { Scrubber, scrubbingSpans } from '../src/processors/scrubbing.ts';

const arg = (name, dflt) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
const N = arg('--spans', 100_000);
const ROUNDS = arg('--rounds', 7);

const clean = {
  'http.request.method': 'GET', 'url.scheme': 'https', 'url.path': '/api/orders/42', 'url.query': 'page=2&sort=desc',
  'server.address': 'orders.internal', 'server.port': 8443, 'network.peer.address': '10.0.3.17', 'network.peer.port': 51234,
  'network.protocol.version': '1.1', 'client.address': '10.0.3.17', 'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0',
  'http.route': '/api/orders/:id', 'http.response.status_code': 200, 'http.request.header.accept': ['application/json'],
  'bud.request.id': '7f3c2a9e-5b1d-4c8e-9a2f-0d6b8e1f4a73',
};
const secret = { ...clean, 'url.query': 'page=2&token=eyJhbGciOiJIUzI1NiJ9.abc', 'http.request.header.authorization': ['Bearer eyJhbGciOiJIUzI1NiJ9.abc'] };
delete secret['bud.request.id']; // still 15 attributes

const scrubber = new Scrubber({ token: 'bud_tok_0123456789abcdef' });
const sink = { export: (spans, done) => { kept += spans.length; done({ code: 0 }); }, shutdown: async () => {}, forceFlush: async () => {} };
let kept = 0;
const onEndScrub = { onStart() {}, onEnd(s) { kept += scrubber.scrubSpan(s) === s ? 1 : 2; }, forceFlush: async () => {}, shutdown: async () => {} };
const onEndNoop = { onStart() {}, onEnd() { kept++; }, forceFlush: async () => {}, shutdown: async () => {} };
const tracer = (processor) => new TracerProvider({ spanProcessors: [processor] }).getTracer('bench');

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
function time(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / N; // ns per span
}

function endedSpans(attributes) {
  const t = tracer(onEndNoop);
  return Array.from({ length: 512 }, () => { const s = t.startSpan('GET /api/orders/:id', { attributes }); s.end(); return s; });
}

const cases = { 'no secret': clean, 'two secrets': secret };
const rows = [];
for (const [label, attributes] of Object.entries(cases)) {
  const batch = endedSpans(attributes);
  const exporter = scrubbingSpans(sink, scrubber);
  const withScrub = tracer(onEndScrub);
  const without = tracer(onEndNoop);
  const r = { scrub: [], exportBatch: [], hotWith: [], hotWithout: [] };
  for (let round = 0; round < ROUNDS + 1; round++) {
    const sample = {
      scrub: time(() => { for (let i = 0; i < N; i++) scrubber.scrubSpan(batch[i & 511]); }),
      exportBatch: time(() => { for (let i = 0; i < N; i += 512) exporter.export(batch, () => {}); }),
      hotWith: time(() => { for (let i = 0; i < N; i++) withScrub.startSpan('GET /api/orders/:id', { attributes }).end(); }),
      hotWithout: time(() => { for (let i = 0; i < N; i++) without.startSpan('GET /api/orders/:id', { attributes }).end(); }),
    };
    if (round > 0) for (const k of Object.keys(r)) r[k].push(sample[k]); // round 0 warms up
  }
  rows.push([label, Object.fromEntries(Object.entries(r).map(([k, v]) => [k, median(v)]))]);
}

const f = (ns) => `${(ns / 1000).toFixed(3)} µs`;
console.log(`Scrubbing, per span (median of ${ROUNDS} rounds of ${N} spans, Node ${process.versions.node})`);
for (const [label, m] of rows) {
  console.log(`  ${label.padEnd(12)} scrubSpan alone ${f(m.scrub)}; export batch of 512 ${f(m.exportBatch)}/span`);
  console.log(`  ${''.padEnd(12)} span start+end: ${f(m.hotWithout)} without, ${f(m.hotWith)} scrubbing in onEnd (+${f(m.hotWith - m.hotWithout)} on the app's path, +0 at export time)`);
}
if (kept < 0) console.log(kept); // keeps the work observable
