// Memory of tail sampling under 1,000 concurrent open traces (run preloaded, with
// --expose-gc): 1,000 local roots stay open, each with SPANS_PER_TRACE finished children of
// ten attributes held under it; prints the heap growth in bytes. Nothing of the app's keeps
// the spans, so the growth is what the agent holds.
import { context, trace } from '@opentelemetry/api';
import * as bud from '@budobserve/agent';
import { ATTRS } from './workload.mjs';

const perTrace = Number(process.env.SPANS_PER_TRACE ?? 10);
const tracer = trace.getTracer('bench');
const attrs = ATTRS;
const heap = () => {
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};
// Warm up the pipeline (and decide these traces) before measuring.
for (let i = 0; i < 200; i++) tracer.startSpan('warm-up').end();
const before = heap();
for (let t = 0; t < 1000; t++) {
  const ctx = trace.setSpan(context.active(), tracer.startSpan('GET /stream/{id}', { attributes: attrs }));
  for (let c = 0; c < perTrace; c++) tracer.startSpan('SELECT users', { attributes: attrs }, ctx).end();
}
const grown = heap() - before;
process.stdout.write(`${grown}\n`);
await bud.shutdown();
