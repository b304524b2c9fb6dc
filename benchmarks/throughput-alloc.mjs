// What the agent makes the app allocate per request (issue #18: garbage collection is the
// largest single cost the profile shows): the throughput app's route under load, plain and under
// BudObserve, each with V8's sampling heap profiler counting every allocation, collected ones
// included (benchmarks/throughput/heap-sampler.mjs). Prints the bytes allocated per request
// and the allocation sites whose bytes grew most, with their callers.
//   npm run build && node benchmarks/throughput-alloc.mjs [--route heavy] [--requests 20000] [--top 25]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { contenders as contendersFor, launch, root, startSink } from './throughput/harness.mjs';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const route = arg('route', 'fetch');
const amount = Number(arg('requests', '20000'));
const top = Number(arg('top', '25'));

const where = (f) =>
  `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/node_modules\//, '').replace(`file://${root}`, '')}:${f.lineNumber + 1}`;

/** Bytes by allocation site, each with its callers (three frames), from one sampling profile. */
function sites(profile) {
  const bySite = new Map();
  let total = 0;
  const walk = (node, callers) => {
    const site = where(node.callFrame);
    if (node.selfSize > 0) {
      total += node.selfSize;
      const s = bySite.get(site) ?? { bytes: 0, callers: new Map() };
      s.bytes += node.selfSize;
      const chain = callers.slice(0, 3).join(' < ');
      s.callers.set(chain, (s.callers.get(chain) ?? 0) + node.selfSize);
      bySite.set(site, s);
    }
    for (const child of node.children) walk(child, [site, ...callers]);
  };
  walk(profile.head, []);
  return { total, bySite };
}

const sink = await startSink();
const contenders = contendersFor(sink.url);
const tmp = mkdtempSync(join(tmpdir(), 'budobserve-alloc-'));
const runs = {};
try {
  for (const name of ['plain', 'budobserve']) {
    const out = join(tmp, `${name}.heapprofile`);
    const c = contenders[name];
    const app = await launch({ ...c, env: { ...c.env, HEAP_PROFILE_OUT: out } }, route, [
      '--import',
      `${root}benchmarks/throughput/heap-sampler.mjs`,
    ]);
    sink.spans = 0;
    const r = await autocannon({ url: app.url, connections: 32, amount });
    await app.stop();
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    if (name === 'budobserve' && sink.spans === 0) throw new Error('budobserve exported no spans: no result');
    runs[name] = { ...sites(JSON.parse(readFileSync(out, 'utf8'))), requests: r.requests.total };
  }
} finally {
  sink.close();
  rmSync(tmp, { recursive: true, force: true });
}

const perRequest = (run, bytes) => bytes / run.requests;
const kb = (b) => (b / 1024).toFixed(1);
const { plain, budobserve: bud } = runs;
console.log(
  `Bytes allocated per request on /${route} (${amount} requests, Node ${process.versions.node}, sampled every 4 KiB, collected objects included)`,
);
console.log(
  `  plain ${kb(perRequest(plain, plain.total))} KiB, agent ${kb(perRequest(bud, bud.total))} KiB: +${kb(perRequest(bud, bud.total) - perRequest(plain, plain.total))} KiB`,
);
const grown = [...bud.bySite]
  .map(([site, s]) => [site, s, perRequest(bud, s.bytes) - perRequest(plain, plain.bySite.get(site)?.bytes ?? 0)])
  .sort((a, b) => b[2] - a[2])
  .slice(0, top);
console.log(`\n  the ${top} sites whose bytes grew most, bytes per request (the agent's top caller chain)`);
for (const [site, s, added] of grown) {
  const [chain] = [...s.callers].sort((a, b) => b[1] - a[1])[0];
  console.log(`  ${added.toFixed(0).padStart(6)}  ${site}\n          < ${chain}`);
}
