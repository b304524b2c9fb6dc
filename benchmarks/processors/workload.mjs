// The workload both variants run: N spans with ten attributes through the global API, with a
// pause every thousand so the batch exporter gets its turns, then a flush. Prints the CPU
// time it took, in microseconds per span. TRACE_SIZE=k makes traces of k spans (a root and
// k - 1 children ended under it) instead of one, for the tail-sampling variants.
import { context, trace } from '@opentelemetry/api';

/** The ten attributes of every span of the benchmarks: a typical HTTP server span's. */
export const ATTRS = {
  'http.request.method': 'GET',
  'url.path': '/users/42',
  'http.response.status_code': 200,
  'server.address': 'api.local',
  'server.port': 8080,
  'user_agent.original': 'bench/1.0',
  'app.tenant': 'acme',
  'app.region': 'eu-west-1',
  'app.retry': false,
  'app.items': 3,
};

export async function run(flush) {
  const n = Number(process.env.SPANS ?? 50_000);
  const size = Number(process.env.TRACE_SIZE ?? 1);
  const tracer = trace.getTracer('bench');
  const attrs = ATTRS;
  for (let i = 0; i < 2000; i++) tracer.startSpan('warm-up', { attributes: attrs }).end();
  await flush();
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i += size) {
    if (size === 1) tracer.startSpan('GET /users/{id}', { attributes: attrs }).end();
    else {
      const root = tracer.startSpan('GET /users/{id}', { attributes: attrs });
      const ctx = trace.setSpan(context.active(), root);
      for (let c = 1; c < size; c++) tracer.startSpan('SELECT users', { attributes: attrs }, ctx).end();
      root.end();
    }
    if (i % 1000 >= 1000 - size) await new Promise((r) => setImmediate(r));
  }
  await flush();
  const d = process.cpuUsage(t0);
  process.stdout.write(`${((d.user + d.system) / n).toFixed(3)}\n`);
}
