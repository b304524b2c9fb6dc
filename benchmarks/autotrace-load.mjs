// Load cost of auto-tracing: an app that imports Express, with every module of
// node_modules/ selected as if it were the app's own (~80 files, ~500 kB), so the rewrite
// has real work. Cold: the rewrite cache emptied before each run; warm: filled. Against the
// agent with auto-tracing off, side by side, medians.
// Then a bundled service: Express, Fastify, pg, ioredis and openai bundled by esbuild with the
// services of fixtures/autotrace-bundle/ (~3.7 MB, its map beside it), the two services selected
// by their source paths (src/services/**) through the map, cold and warm; and with a selection
// that names none of the bundle's sources, which must cost no rewrite.
//   node benchmarks/autotrace-load.mjs [--rounds N]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const app = `${root}fixtures/express-one/app.mjs`;
const cache = `${root}node_modules/.cache/budobserve`;
const at = process.argv.indexOf('--rounds');
const rounds = at > 0 ? Number(process.argv[at + 1]) : 7;
const clean = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(OTEL_|BUD_OBSERVE_|NODE_OPTIONS$)/.test(k)),
);
const base = {
  ...clean,
  BUD_OBSERVE_CONSOLE: 'false',
  OTEL_TRACES_EXPORTER: 'none',
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
};
const traced = { ...base, BUD_OBSERVE_AUTOTRACE_MODULES: 'node_modules/**', BUD_OBSERVE_AUTOTRACE_MIN_DURATION: '1s' };

function time(env, before, script = app, cwd = root) {
  before?.();
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, ['--import', `${root}register.mjs`, script], { cwd, env, stdio: 'ignore' });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const runs = { off: [], cold: [], warm: [] };
for (let i = 0; i < rounds; i++) {
  runs.off.push(time(base));
  runs.cold.push(time(traced, () => rmSync(cache, { recursive: true, force: true })));
  runs.warm.push(time(traced));
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const off = median(runs.off);
console.log(
  `Auto-trace load cost, Express app with all of node_modules selected (medians of ${rounds}, Node ${process.versions.node})`,
);
console.log(`  auto-trace off         ${off.toFixed(0)} ms`);
console.log(
  `  cold (cache empty)     ${median(runs.cold).toFixed(0)} ms   +${(median(runs.cold) - off).toFixed(0)} ms`,
);
console.log(
  `  warm (cache filled)    ${median(runs.warm).toFixed(0)} ms   +${(median(runs.warm) - off).toFixed(0)} ms`,
);

// The bundle: loads everything, calls one selected function, exits.
const service = `${root}fixtures/autotrace-bundle/`;
const out = mkdtempSync(join(tmpdir(), 'budobserve-bench-bundle-'));
writeFileSync(
  join(out, 'entry.mjs'),
  ['express', 'fastify', 'pg', 'ioredis', 'openai'].map((p, i) => `import * as m${i} from '${p}';\n`).join('') +
    `import { UserService } from '${service}src/services/users.ts';\n` +
    `if (typeof m0 !== 'object') throw new Error();\nnew UserService().ttl();\n`,
);
const bundle = join(out, 'app.mjs');
buildSync({
  entryPoints: [join(out, 'entry.mjs')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  sourcemap: true,
  outfile: bundle,
  logLevel: 'error',
  nodePaths: [`${root}node_modules`],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
const size = statSync(bundle).size / 1e6;
const selected = { ...traced, BUD_OBSERVE_AUTOTRACE_MODULES: 'src/services/**' };
const none = { ...traced, BUD_OBSERVE_AUTOTRACE_MODULES: 'src/jobs/**' };
// The service is the project (its root); with a node_modules/, the cache goes there.
mkdirSync(`${service}node_modules`, { recursive: true });
const serviceCache = `${service}node_modules/.cache/budobserve`;
const b = { off: [], cold: [], warm: [], none: [] };
for (let i = 0; i < rounds; i++) {
  b.off.push(time(base, undefined, bundle, service));
  b.cold.push(time(selected, () => rmSync(serviceCache, { recursive: true, force: true }), bundle, service));
  b.warm.push(time(selected, undefined, bundle, service));
  b.none.push(time(none, undefined, bundle, service));
}
rmSync(out, { recursive: true, force: true });
const boff = median(b.off);
console.log(
  `Bundled service, ${size.toFixed(1)} MB by esbuild, 2 of its sources selected through its map (medians of ${rounds})`,
);
console.log(`  auto-trace off         ${boff.toFixed(0)} ms`);
for (const [label, runsOf] of [
  ['cold (cache empty)    ', b.cold],
  ['warm (cache filled)   ', b.warm],
  ['map selects nothing   ', b.none],
])
  console.log(`  ${label} ${median(runsOf).toFixed(0)} ms   +${(median(runsOf) - boff).toFixed(0)} ms`);
