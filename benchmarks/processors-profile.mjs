// Where a span's CPU goes in the processors benchmark's workload (issue #18): the agent's
// variant of benchmarks/processors.mjs (50,000 spans of ten attributes, exported to a local
// sink) under --cpu-prof, each sample's self time put in a category by the original source of
// its frame (dist/ is mapped back through the source maps `BUILD_SOURCEMAP=1` builds beside it;
// a built-in without a source counts as its caller). Prints each category's share of the busy
// samples (start-up included, in its own category). Run it in two checkouts to compare them;
// samples are taken on wall time, so a busy machine blurs them.
// SPANS=n changes the workload's size (default 100,000, and 2,000 to warm up).
//   BUILD_SOURCEMAP=1 node scripts/build.mjs && node benchmarks/processors-profile.mjs [--runs N]
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { frameOf, mapOf } from './profile-frames.mjs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = process.argv.indexOf('--runs');
const runs = at > 0 ? Number(process.argv[at + 1]) : 3;

// First match wins, tested against the frame's original source (or its URL outside dist/).
const CATEGORIES = [
  ['GC', (f) => f.fn === '(garbage collector)'],
  ['serialization', (f) => /\/src\/export\/otlp-encode|otlp-transformer|protobuf/.test(f.src)],
  [
    'export (batch processor, HTTP)',
    (f) =>
      /\/src\/export\/|otlp-exporter-base|node:(_http|http|net|stream|zlib|internal\/(http|net|stream))/.test(f.src),
  ],
  ['scrubbing', (f) => /\/src\/processors\/scrub/.test(f.src)],
  ['other processors', (f) => /\/src\/(processors|console|sampling)\//.test(f.src)],
  ['attributes', (f) => /@opentelemetry\/core\/.*attributes|\/src\/tracing\/attributes/.test(f.src)],
  ['ids', (f) => /RandomIdGenerator|\/src\/tracing\/ids/.test(f.src)],
  [
    'span creation and context',
    (f) =>
      /@opentelemetry\/(sdk-trace|api|context-async-hooks|core)\/|\/src\/(tracing|boot|autotrace\/runtime)\/|\/src\/(context-span|primordials)\.ts|async_hooks|async_context/.test(
        f.src,
      ),
  ],
  ['benchmark loop', (f) => /benchmarks\/processors\//.test(f.src)],
  ['start-up, Node and other', () => true],
];

/** Self time by category (µs) of one profile. */
function categorise(profile, into) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const category = new Map();
  const of = (id) => {
    if (category.has(id)) return category.get(id);
    const f = frameOf(byId.get(id).callFrame);
    let c;
    if (f.fn === '(idle)') c = undefined;
    else if (f.fn === '(garbage collector)') c = 'GC';
    else if (f.src === '' && parent.has(id) && !f.fn.startsWith('(')) c = of(parent.get(id));
    else c = CATEGORIES.find(([, test]) => test(f))[0];
    category.set(id, c);
    return c;
  };
  for (let i = 0; i < profile.samples.length; i++) {
    const c = of(profile.samples[i]);
    if (c !== undefined) into.set(c, (into.get(c) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
}

if (mapOf(`file://${root}dist/boot.cjs`) === undefined)
  throw new Error('no dist/boot.cjs.map: build with BUILD_SOURCEMAP=1 node scripts/build.mjs');
const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
sink.listen(0, '127.0.0.1');
await once(sink, 'listening');
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OTEL_|BUD_OBSERVE_|NODE_OPTIONS$)/.test(k))),
  BUD_OBSERVE_ENDPOINT: `http://127.0.0.1:${sink.address().port}`,
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
  OTEL_BSP_MAX_QUEUE_SIZE: '100000',
  SPANS: process.env.SPANS ?? '100000',
};
const micros = new Map();
const perSpan = [];
const tmp = mkdtempSync(join(tmpdir(), 'budobserve-processors-profile-'));
try {
  for (let r = 0; r < runs; r++) {
    const dir = join(tmp, String(r));
    const args = ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', `${root}register.mjs`];
    const stdout = await new Promise((resolve, reject) =>
      execFile(
        process.execPath,
        [...args, `${root}benchmarks/processors/budobserve.mjs`],
        { env, cwd: root },
        (e, out, err) => (e ? reject(new Error(err || e.message)) : resolve(out)),
      ),
    );
    perSpan.push(Number(stdout.trim()));
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    categorise(JSON.parse(readFileSync(join(dir, file), 'utf8')), micros);
  }
} finally {
  sink.close();
  rmSync(tmp, { recursive: true, force: true });
}
const total = [...micros.values()].reduce((a, b) => a + b, 0);
const us = perSpan.reduce((a, b) => a + b, 0) / perSpan.length;
console.log(
  `Workload CPU per span ${us.toFixed(2)} µs (mean of ${runs} runs under the profiler, ${env.SPANS} spans each, Node ${process.versions.node})`,
);
console.log(`  ${'category'.padEnd(32)} share of the samples`);
for (const [c] of CATEGORIES)
  console.log(`  ${c.padEnd(32)} ${((100 * (micros.get(c) ?? 0)) / total).toFixed(1).padStart(5)}%`);
