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
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const rounds = Number(arg('rounds', '3'));
const duration = Number(arg('duration', '8'));
const routes = arg('routes', 'fetch,heavy').split(',');
const WARMUP_S = 2;
const CONNECTIONS = 32;

// The sink: OTLP/HTTP for BudObserve and OTel, the Datadog agent's trace intake for dd-trace.
// OTLP spans are counted by walking the protobuf's length-delimited fields (resource_spans=1 >
// scope_spans=2 > spans=2) without decoding a span: the sink shares the machine with the app.
let spans = 0;
const sink = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/v1/traces') {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      spans += countSpans(body);
    }
    res.writeHead(200, { 'content-type': req.url.startsWith('/v1/') ? 'application/x-protobuf' : 'application/json' });
    res.end(req.url.startsWith('/v1/') ? undefined : '{}');
  });
});
sink.listen(0, '127.0.0.1');
await once(sink, 'listening');
const sinkUrl = `http://127.0.0.1:${sink.address().port}`;

function* lenFields(buf, start, end) {
  let i = start;
  while (i < end) {
    let key = 0;
    for (let s = 0; ; s += 7) { const b = buf[i++]; key += (b & 0x7f) * 2 ** s; if (b < 0x80) break; }
    const wire = key & 7;
    if (wire === 0) { while (buf[i++] >= 0x80); continue; }
    if (wire === 1) { i += 8; continue; }
    if (wire === 5) { i += 4; continue; }
    let len = 0;
    for (let s = 0; ; s += 7) { const b = buf[i++]; len += (b & 0x7f) * 2 ** s; if (b < 0x80) break; }
    yield [Math.floor(key / 8), i, i + len];
    i += len;
  }
}
function countSpans(buf) {
  let n = 0;
  for (const [f1, s1, e1] of lenFields(buf, 0, buf.length)) {
    if (f1 !== 1) continue;
    for (const [f2, s2, e2] of lenFields(buf, s1, e1)) {
      if (f2 !== 2) continue;
      for (const [f3] of lenFields(buf, s2, e2)) if (f3 === 2) n++;
    }
  }
  return n;
}

const quiet = { OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_SERVICE_NAME: 'throughput' };
const contenders = {
  plain: { args: [], env: {} },
  budobserve: { args: ['--import', `${root}register.mjs`], env: { ...quiet, BUD_OBSERVE_ENDPOINT: sinkUrl }, otlp: true },
  // Cloud detectors would probe metadata addresses at start; they change nothing per request.
  otel: {
    args: ['--require', '@opentelemetry/auto-instrumentations-node/register'],
    env: { ...quiet, OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process' },
    otlp: true,
  },
  'dd-trace': {
    args: ['--require', 'dd-trace/init'],
    env: { DD_TRACE_AGENT_URL: sinkUrl, DD_SERVICE: 'throughput', DD_TRACE_STARTUP_LOGS: 'false', DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false', DD_REMOTE_CONFIGURATION_ENABLED: 'false', DD_RUNTIME_METRICS_ENABLED: 'false' },
  },
};
const only = arg('only', undefined)?.split(',');
const names = ['plain', ...Object.keys(contenders).filter((n) => n !== 'plain' && (only === undefined || only.includes(n)))];
const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OTEL_|BUD_OBSERVE_|DD_|NODE_OPTIONS$)/.test(k)));

/** utime + stime of a process, in µs (all its threads: the exporter's work counts too). */
function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // USER_HZ is 100 on Linux
}

async function runOne(name, route) {
  const c = contenders[name];
  const child = spawn(process.execPath, [...c.args, 'benchmarks/throughput/app.cjs'], { cwd: root, env: { ...clean, ...c.env, ROUTE: route }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => { const m = /READY (\d+)/.exec(String(d)); if (m) resolve(m[1]); });
    child.on('exit', (code) => reject(new Error(`${name} exited (${code}) before listening: ${stderr}`)));
  });
  const url = `http://127.0.0.1:${port}/${route}`;
  spans = 0;
  const warm = await autocannon({ url, connections: CONNECTIONS, duration: WARMUP_S });
  const cpu0 = cpuMicros(child.pid);
  const r = await autocannon({ url, connections: CONNECTIONS, duration });
  const cpu = cpuMicros(child.pid) - cpu0;
  child.kill('SIGTERM');
  await once(child, 'exit');
  const total = warm.requests.total + r.requests.total;
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name} ${route}: ${r.non2xx} non-2xx, ${r.errors} errors: ${stderr}`);
  return { rps: r.requests.total / duration, p50: r.latency.p50, p99: r.latency.p99, cpuPerReq: cpu / r.requests.total, spansPerReq: c.otlp ? spans / total : undefined };
}

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const fmt = (x, d = 2) => (x === undefined ? '-' : x.toFixed(d));
let failed = false;
console.log(`Throughput under load, Node ${process.versions.node}: ${rounds} rounds of ${duration} s (after ${WARMUP_S} s warm-up), ${CONNECTIONS} connections`);
for (const route of routes) {
  const rows = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < rounds; i++) {
    // Rotated each round so that no contender always runs first or last.
    const order = names.map((_, k) => names[(k + i) % names.length]);
    for (const name of order) rows[name].push(await runOne(name, route));
  }
  console.log(`\nroute /${route}`);
  console.log(`  ${'contender'.padEnd(12)} ${'req/s'.padStart(8)} ${'x plain'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'CPU µs/req'.padStart(11)} ${'spans/req'.padStart(9)}`);
  const ratio = {};
  for (const name of names) {
    const rs = rows[name];
    ratio[name] = median(rs.map((r, i) => r.rps / rows.plain[i].rps));
    const spansPerReq = rs[0].spansPerReq === undefined ? undefined : median(rs.map((r) => r.spansPerReq));
    console.log(`  ${name.padEnd(12)} ${fmt(median(rs.map((r) => r.rps)), 0).padStart(8)} ${fmt(ratio[name]).padStart(8)} ${fmt(median(rs.map((r) => r.p50)), 0).padStart(7)} ${fmt(median(rs.map((r) => r.p99)), 0).padStart(7)} ${fmt(median(rs.map((r) => r.cpuPerReq)), 0).padStart(11)} ${fmt(spansPerReq).padStart(9)}`);
    if (name === 'budobserve' && !(spansPerReq > 0)) {
      console.log('  budobserve exported no spans: no result');
      failed = true;
    }
  }
  if (ratio.budobserve !== undefined) {
    if (route === 'fetch') console.log(`  budget: >= 0.80x plain: ${fmt(ratio.budobserve)}x ${ratio.budobserve >= 0.8 ? 'met' : 'NOT met'}`);
    if (route === 'heavy' && ratio.otel !== undefined) console.log(`  budget: >= 2x OTel's ratio: ${fmt(ratio.budobserve / ratio.otel)}x ${ratio.budobserve >= 2 * ratio.otel ? 'met' : 'NOT met'}`);
  }
}
sink.close();
if (failed) process.exitCode = 1;
