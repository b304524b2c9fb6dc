// Requests per second an app keeps under each agent, side by side in one run (issue #18):
// plain, BudObserve (--import register), OpenTelemetry's auto-instrumentations-node register
// and dd-trace, interleaved round by round on the same Express 5 app (benchmarks/throughput/),
// loaded by autocannon with 32 connections. Two routes: `fetch` (a route fetching a second
// local route, about 6 spans a request) and `heavy` (pg + ioredis + fetch on the machine's real
// PostgreSQL and Redis). Each contender's requests/s is divided by plain's of the same round
// (the machine's speed drifts between rounds; a ratio within one round does not), and the
// median of those ratios is printed with p50/p99 latency, the server's CPU per request (its
// utime+stime from /proc over the measured window) and the spans a loopback sink received
// per request: a run whose agent exported nothing is no result, and the script fails.
//   node benchmarks/throughput.mjs [--rounds 3] [--duration 8] [--routes fetch,heavy] [--only budobserve,otel]
// Budgets: fetch route >= 0.80x plain; heavy route >= 2x OTel's ratio.
import autocannon from 'autocannon';
import { contenders as contendersFor, cpuMicros, launch, startSink } from './throughput/harness.mjs';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const rounds = Number(arg('rounds', '3'));
const duration = Number(arg('duration', '8'));
const routes = arg('routes', 'fetch,heavy').split(',');
const WARMUP_S = 2;
const CONNECTIONS = 32;

const sink = await startSink();
const contenders = contendersFor(sink.url);
const only = arg('only', undefined)?.split(',');
const names = [
  'plain',
  ...Object.keys(contenders).filter((n) => n !== 'plain' && (only === undefined || only.includes(n))),
];

async function runOne(name, route) {
  const c = contenders[name];
  const app = await launch(c, route);
  sink.spans = 0;
  const warm = await autocannon({ url: app.url, connections: CONNECTIONS, duration: WARMUP_S });
  const cpu0 = cpuMicros(app.child.pid);
  const r = await autocannon({ url: app.url, connections: CONNECTIONS, duration });
  const cpu = cpuMicros(app.child.pid) - cpu0;
  await app.stop();
  const total = warm.requests.total + r.requests.total;
  if (r.non2xx > 0 || r.errors > 0)
    throw new Error(`${name} ${route}: ${r.non2xx} non-2xx, ${r.errors} errors: ${app.stderr()}`);
  return {
    rps: r.requests.total / duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    cpuPerReq: cpu / r.requests.total,
    spansPerReq: c.otlp ? sink.spans / total : undefined,
  };
}

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const fmt = (x, d = 2) => (x === undefined ? '-' : x.toFixed(d));
let failed = false;
console.log(
  `Throughput under load, Node ${process.versions.node}: ${rounds} rounds of ${duration} s (after ${WARMUP_S} s warm-up), ${CONNECTIONS} connections`,
);
for (const route of routes) {
  const rows = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < rounds; i++) {
    // Rotated each round so that no contender always runs first or last.
    const order = names.map((_, k) => names[(k + i) % names.length]);
    for (const name of order) rows[name].push(await runOne(name, route));
  }
  console.log(`\nroute /${route}`);
  console.log(
    `  ${'contender'.padEnd(12)} ${'req/s'.padStart(8)} ${'x plain'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'CPU µs/req'.padStart(11)} ${'spans/req'.padStart(9)}`,
  );
  const ratio = {};
  for (const name of names) {
    const rs = rows[name];
    ratio[name] = median(rs.map((r, i) => r.rps / rows.plain[i].rps));
    const spansPerReq = rs[0].spansPerReq === undefined ? undefined : median(rs.map((r) => r.spansPerReq));
    console.log(
      `  ${name.padEnd(12)} ${fmt(median(rs.map((r) => r.rps)), 0).padStart(8)} ${fmt(ratio[name]).padStart(8)} ${fmt(median(rs.map((r) => r.p50)), 0).padStart(7)} ${fmt(median(rs.map((r) => r.p99)), 0).padStart(7)} ${fmt(median(rs.map((r) => r.cpuPerReq)), 0).padStart(11)} ${fmt(spansPerReq).padStart(9)}`,
    );
    if (name === 'budobserve' && !(spansPerReq > 0)) {
      console.log('  budobserve exported no spans: no result');
      failed = true;
    }
  }
  if (ratio.budobserve !== undefined) {
    if (route === 'fetch')
      console.log(`  budget: >= 0.80x plain: ${fmt(ratio.budobserve)}x ${ratio.budobserve >= 0.8 ? 'met' : 'NOT met'}`);
    if (route === 'heavy' && ratio.otel !== undefined)
      console.log(
        `  budget: >= 2x OTel's ratio: ${fmt(ratio.budobserve / ratio.otel)}x ${ratio.budobserve >= 2 * ratio.otel ? 'met' : 'NOT met'}`,
      );
  }
}
sink.close();
if (failed) process.exitCode = 1;
