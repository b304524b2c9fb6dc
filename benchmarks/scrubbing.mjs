// What scrubbing costs per span, and where it should run.
// 1. Per span, the scrubber of the working tree against a baseline commit's (default
//    95fbe79, before issue 14 added the credential shapes), loaded side by side in this
//    process, for typical spans: HTTP server, HTTP client, PostgreSQL query, an HTTP server
//    span with an exception, and one with two secrets. Both with the defaults
//    (dbStatements on, an export token).
// 2. Placement: span start+end with the scrubber in onEnd (the app's path) against without;
//    at export time the app pays nothing.
// Batches of ~2.5 ms, interleaved between the contenders, many of them: a shared 2-core
// machine preempts long runs, and a slow batch then hits one contender only. Reported: the
// fastest batch (min) and the median, in µs per span.
//   node benchmarks/scrubbing.mjs [--baseline <git ref>] [--rounds N] [--batch-ms N]
// Runs the TypeScript sources directly (Node 22.18+ strips the types); the baseline's are
// written to .cache/bench-scrubbing/<commit>/ (git-ignored) so its imports resolve as in the repo.
import { execFileSync } from 'node:child_process';
import { mkdirSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { Scrubber as Current } from '../src/processors/scrubbing.ts';
import { scrubbingSpans } from '../src/processors/scrub-export.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const ROUNDS = Number(arg('--rounds', 150));
const BATCH_MS = Number(arg('--batch-ms', 2.5));
const baselineRef = arg('--baseline', '95fbe79');

async function loadBaseline(ref) {
  const sha = execFileSync('git', ['rev-parse', ref], { cwd: root, encoding: 'utf8' }).trim();
  const dir = `${root}.cache/bench-scrubbing/${sha.slice(0, 12)}/`;
  if (!existsSync(`${dir}src/processors/scrubbing.ts`)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${sha} src | tar -x -C "${dir}"`], { cwd: root });
  }
  return { sha, Scrubber: (await import(pathToFileURL(`${dir}src/processors/scrubbing.ts`).href)).Scrubber };
}

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const uuid = (i) => `7f3c2a9e-5b1d-4c8e-9a2f-${String(i).padStart(12, '0')}`;
const STACK =
  "TypeError: Cannot read properties of undefined (reading 'map')\n" +
  Array.from(
    { length: 10 },
    (_, i) =>
      `    at ${['listOrders', 'handle', 'next', 'Layer.handle', 'dispatch', 'router', 'process', 'emit', 'parserOnIncoming', 'onParserExecute'][i]} (/app/src/routes/orders-service.js:${i * 7 + 3}:15)`,
  ).join('\n');

// Attribute sets as the http, undici and pg instrumentations write them (stable semconv).
const cases = {
  'HTTP server': (i) => ({
    'http.request.method': 'GET',
    'url.scheme': 'https',
    'url.path': `/api/orders/${i}`,
    'url.query': 'page=2&sort=desc',
    'server.address': 'orders.internal',
    'server.port': 8443,
    'network.peer.address': '10.0.3.17',
    'network.peer.port': 51234,
    'network.protocol.version': '1.1',
    'client.address': '10.0.3.17',
    'user_agent.original': UA,
    'http.route': '/api/orders/:id',
    'http.response.status_code': 200,
    'http.request.header.accept': ['application/json'],
    'bud.request.id': uuid(i),
  }),
  'HTTP client': (i) => ({
    'http.request.method': 'GET',
    'url.full': `https://inventory.internal:8443/v1/items/${i}?fields=name,price`,
    'url.path': `/v1/items/${i}`,
    'url.query': 'fields=name,price',
    'url.scheme': 'https',
    'server.address': 'inventory.internal',
    'server.port': 8443,
    'network.peer.address': '10.0.4.2',
    'network.peer.port': 8443,
    'user_agent.original': 'node',
    'http.response.status_code': 200,
    'bud.request.id': uuid(i),
  }),
  'PostgreSQL query': (i) => ({
    'db.system.name': 'postgresql',
    'db.namespace': 'shop',
    'db.operation.name': 'SELECT',
    'db.collection.name': 'items',
    'db.query.text':
      'SELECT id, name, price FROM items WHERE id = $1 AND tenant_id = $2 ORDER BY created_at DESC LIMIT 50',
    'db.query.summary': 'SELECT items',
    'server.address': 'db.internal',
    'server.port': 5432,
    'network.peer.address': '10.0.5.9',
    'network.peer.port': 5432,
    'bud.request.id': uuid(i),
  }),
  'HTTP server, exception': (i) => ({
    ...cases['HTTP server'](i),
    'http.response.status_code': 500,
    'error.type': '500',
  }),
  'HTTP server, 2 secrets': (i) => {
    const a = {
      ...cases['HTTP server'](i),
      'url.query': 'page=2&token=eyJhbGciOiJIUzI1NiJ9.abc',
      'http.request.header.authorization': ['Bearer eyJhbGciOiJIUzI1NiJ9.abc'],
    };
    delete a['bud.request.id']; // still 15 attributes
    return a;
  },
};

let kept = 0;
const onEndNoop = {
  onStart() {},
  onEnd() {
    kept++;
  },
  forceFlush: async () => {},
  shutdown: async () => {},
};
const tracer = (processor) => new TracerProvider({ spanProcessors: [processor] }).getTracer('bench');

function endedSpans(label) {
  const t = tracer(onEndNoop);
  return Array.from({ length: 256 }, (_, i) => {
    const s = t.startSpan(label === 'PostgreSQL query' ? 'SELECT items' : 'GET /api/orders/:id', {
      attributes: cases[label](i),
      kind: label === 'HTTP server' ? 1 : 2,
    });
    if (label === 'HTTP server, exception') {
      s.recordException({
        name: 'TypeError',
        message: "Cannot read properties of undefined (reading 'map')",
        stack: STACK,
      });
      s.setStatus({ code: 2, message: "Cannot read properties of undefined (reading 'map')" });
    }
    s.end();
    return s;
  });
}

const sorted = (a) => [...a].sort((x, y) => x - y);
const median = (a) => sorted(a)[a.length >> 1];

/** ns per unit of each contender, over ROUNDS interleaved batches of ~BATCH_MS each. */
function race(contenders) {
  const names = Object.keys(contenders);
  const size = {};
  for (const n of names) {
    // calibrate: units per batch
    let units = 64;
    for (;;) {
      const t0 = process.hrtime.bigint();
      contenders[n](units);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (ms > BATCH_MS / 4) {
        size[n] = Math.max(1, Math.round((units * BATCH_MS) / ms));
        break;
      }
      units *= 4;
    }
  }
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const n of order) {
      const t0 = process.hrtime.bigint();
      contenders[n](size[n]);
      samples[n].push(Number(process.hrtime.bigint() - t0) / size[n]);
    }
  }
  return Object.fromEntries(names.map((n) => [n, { min: sorted(samples[n])[0], median: median(samples[n]) }]));
}

const us = (ns) => `${(ns / 1000).toFixed(3)} µs`;
const base = await loadBaseline(baselineRef);
const options = { token: 'bud_tok_0123456789abcdef', dbStatements: true };
const before = new base.Scrubber(options);
const after = new Current(options);

console.log(
  `Scrubbing, µs per span: min / median of ${ROUNDS} interleaved batches of ~${BATCH_MS} ms (Node ${process.versions.node})`,
);
console.log(`  before = ${baselineRef} (${base.sha.slice(0, 7)}), after = working tree`);
for (const label of Object.keys(cases)) {
  const batch = endedSpans(label);
  const run = (s) => (n) => {
    for (let i = 0; i < n; i++) kept += s.scrubSpan(batch[i & 255]) === batch[i & 255] ? 0 : 1;
  };
  const r = race({ before: run(before), after: run(after) });
  console.log(
    `  ${label.padEnd(24)} before ${us(r.before.min)} / ${us(r.before.median)}   after ${us(r.after.min)} / ${us(r.after.median)}   (median ${r.after.median >= r.before.median ? '+' : ''}${us(r.after.median - r.before.median)})`,
  );
}

// Placement: in onEnd the app's span.end() pays the scrubber; at export time, a timer does.
{
  const attributes = cases['HTTP server, 2 secrets'](0);
  const onEndScrub = {
    onStart() {},
    onEnd(s) {
      kept += after.scrubSpan(s) === s ? 1 : 2;
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const withScrub = tracer(onEndScrub);
  const without = tracer(onEndNoop);
  const batch = endedSpans('HTTP server, 2 secrets');
  const sink = {
    export: (spans, done) => {
      kept += spans.length;
      done({ code: 0 });
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  };
  const exporter = scrubbingSpans(sink, after);
  const r = race({
    without: (n) => {
      for (let i = 0; i < n; i++) without.startSpan('GET /api/orders/:id', { attributes }).end();
    },
    onEnd: (n) => {
      for (let i = 0; i < n; i++) withScrub.startSpan('GET /api/orders/:id', { attributes }).end();
    },
    exportBatch: (n) => {
      for (let i = 0; i < n; i++) exporter.export(batch, () => {});
    }, // a unit: one batch of 256
  });
  console.log(
    `  placement (2 secrets): span start+end ${us(r.without.median)} without, ${us(r.onEnd.median)} scrubbing in onEnd (+${us(r.onEnd.median - r.without.median)} on the app's path);`,
  );
  console.log(`    at export, a batch of 256 costs ${us(r.exportBatch.median / 256)}/span off the app's path`);
}
if (kept < 0) console.log(kept); // keeps the work observable
