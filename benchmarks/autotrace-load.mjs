// Load cost of auto-tracing: an app that imports Express, with every module of
// node_modules/ selected as if it were the app's own (~80 files, ~500 kB), so the rewrite
// has real work. Cold: the rewrite cache emptied before each run; warm: filled. Against the
// agent with auto-tracing off, side by side, medians.
//   node benchmarks/autotrace-load.mjs [--rounds N]
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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

function time(env, before) {
  before?.();
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, ['--import', `${root}register.mjs`, app], { cwd: root, env, stdio: 'ignore' });
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
