// Where the agent's CPU goes per request (issue #18): the throughput app's fetch route under
// load, plain and under BudObserve, each with --cpu-prof; every sample's self time is put in a
// category by the original source of its frame (dist/ bundles are mapped back through the
// source maps that `BUILD_SOURCEMAP=1` builds beside them), and the per-request figures of the
// two runs are set side by side. The main thread only: the profile does not see the exit worker.
//   npm run bench:profile      [-- --route heavy] [--requests 20000]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { frameOf, mapOf } from './profile-frames.mjs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { contenders as contendersFor, launch, root, startSink } from './throughput/harness.mjs';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const route = arg('route', 'fetch');
const amount = Number(arg('requests', '20000'));

// First match wins; tested against the frame's original source path, or its URL for frames
// outside the bundles.
const CATEGORIES = [
  ['GC', (f) => f.fn === '(garbage collector)'],
  ['serialization and export', (f) => /\/src\/export\/|otlp-transformer|otlp-exporter-base/.test(f.src)],
  ['scrubbing', (f) => /\/src\/processors\/scrub/.test(f.src)],
  ['Bud processors and enrichers', (f) => /\/src\/(processors|console|integrations)\//.test(f.src)],
  ['attribute handling', (f) => /@opentelemetry\/core\/.*attributes|semantic-conventions/.test(f.src)],
  ['propagation', (f) => /W3CTraceContextPropagator|W3CBaggage|propagat/.test(f.src)],
  [
    'span creation and context',
    (f) =>
      /@opentelemetry\/(sdk-trace|api|context-async-hooks|core)\/|\/src\/autotrace\/runtime\/|\/src\/(runtime|boot)\//.test(
        f.src,
      ) || /async_context_frame|async_hooks/.test(f.src),
  ],
  [
    'instrumentation hooks',
    (f) =>
      /instrumentation|require-in-the-middle|import-in-the-middle|shimmer|\/src\/(libraries|hooks|spans)\//.test(f.src),
  ],
  ['agent, other', (f) => f.bundle],
  ['app, libraries and Node', () => true],
];

function categorise(dir) {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  // The synchronous flush when the app is stopped is not a cost of any request: everything
  // under it is left out.
  const atExit = new Set();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const mark = (n) => {
    atExit.add(n.id);
    for (const c of n.children ?? []) mark(byId.get(c));
  };
  for (const n of profile.nodes) if (n.callFrame.functionName === 'flushAtExit') mark(n);
  const category = new Map(
    profile.nodes.map((n) => {
      const frame = frameOf(n.callFrame);
      return [
        n.id,
        frame.fn === '(idle)' || atExit.has(n.id) ? undefined : CATEGORIES.find(([, test]) => test(frame))[0],
      ];
    }),
  );
  const where = new Map(
    profile.nodes.map((n) => [
      n.id,
      `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/node_modules\//, '').replace(`file://${root}`, '')}:${n.callFrame.lineNumber + 1}`,
    ]),
  );
  const micros = new Map();
  const functions = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const c = category.get(profile.samples[i]);
    if (c === undefined) continue;
    const us = profile.timeDeltas[i] ?? 0;
    micros.set(c, (micros.get(c) ?? 0) + us);
    const key = `${c}\t${where.get(profile.samples[i])}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  return { micros, functions };
}

if (mapOf(`file://${root}dist/boot.cjs`) === undefined)
  throw new Error('no dist/boot.cjs.map: build with BUILD_SOURCEMAP=1 (npm run bench:profile does)');
const sink = await startSink();
const contenders = contendersFor(sink.url);
const tmp = mkdtempSync(join(tmpdir(), 'budobserve-profile-'));
const perRequest = {};
const perFunction = {};
try {
  for (const name of ['plain', 'budobserve']) {
    const dir = join(tmp, name);
    const app = await launch(contenders[name], route, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    sink.spans = 0;
    const r = await autocannon({ url: app.url, connections: 32, amount });
    await app.stop();
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    if (name === 'budobserve' && sink.spans === 0) throw new Error('budobserve exported no spans: no result');
    const { micros, functions } = categorise(dir);
    const per = (m) => new Map([...m].map(([k, us]) => [k, us / r.requests.total]));
    perRequest[name] = per(micros);
    perFunction[name] = per(functions);
  }
} finally {
  sink.close();
  rmSync(tmp, { recursive: true, force: true });
}

const names = CATEGORIES.map(([c]) => c);
const total = (m) => [...m.values()].reduce((a, b) => a + b, 0);
console.log(`Main-thread CPU per request on /${route}, µs (${amount} requests, Node ${process.versions.node})`);
console.log(`  ${'category'.padEnd(30)} ${'plain'.padStart(7)} ${'agent'.padStart(7)} ${'added'.padStart(7)}`);
for (const c of names) {
  const p = perRequest.plain.get(c) ?? 0;
  const a = perRequest.budobserve.get(c) ?? 0;
  if (p < 0.5 && a < 0.5) continue;
  console.log(
    `  ${c.padEnd(30)} ${p.toFixed(1).padStart(7)} ${a.toFixed(1).padStart(7)} ${(a - p).toFixed(1).padStart(7)}`,
  );
}
const tp = total(perRequest.plain);
const ta = total(perRequest.budobserve);
console.log(
  `  ${'total'.padEnd(30)} ${tp.toFixed(1).padStart(7)} ${ta.toFixed(1).padStart(7)} ${(ta - tp).toFixed(1).padStart(7)}`,
);

// The functions whose self time grew most, whatever their category: where the agent makes
// Node, the libraries or the app itself do more.
const top = Number(arg('top', '25'));
const keys = new Set([...perFunction.plain.keys(), ...perFunction.budobserve.keys()]);
const added = [...keys]
  .map((k) => [k, (perFunction.budobserve.get(k) ?? 0) - (perFunction.plain.get(k) ?? 0)])
  .sort((a, b) => b[1] - a[1])
  .slice(0, top);
console.log(`\n  top ${top} functions by self time added, µs per request`);
for (const [k, us] of added) {
  const [c, fn] = k.split('\t');
  console.log(`  ${us.toFixed(1).padStart(6)}  ${fn}  [${c}]`);
}
