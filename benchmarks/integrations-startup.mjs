// Laziness of integrations, measured: start-up of a service using no instrumented library
// and of the same service using one (pg), each plain and under the agent, interleaved in one
// run (medians). The agent's extra cost for the pg app over its extra cost for the bare app
// is what one integration costs to load: instrumentations for libraries the app never
// resolves are never loaded. OTel's auto-instrumentations-node/register, which loads all
// of them eagerly, runs on the same apps as the anchor.
//   node benchmarks/integrations-startup.mjs [--rounds N]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const rounds = Number(
  args[args.indexOf('--rounds') + 1] > 0 ? args[args.indexOf('--rounds') + 1] : (process.env.BENCH_ROUNDS ?? 11),
);
const WARMUP = 2;
const apps = { none: `${repo}benchmarks/integrations/none.mjs`, pg: `${repo}benchmarks/integrations/pg.mjs` };
const preloads = {
  plain: [],
  budobserve: ['--import', pathToFileURL(`${repo}register.mjs`).href],
  'otel-register': ['--import', import.meta.resolve('@opentelemetry/auto-instrumentations-node/register')],
};

const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200).end());
});
await new Promise((ok) => sink.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${sink.address().port}`;
const baseEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(OTEL_|BUD_OBSERVE_|NODE_OPTIONS$)/.test(k)),
);
const env = {
  ...baseEnv,
  BUD_OBSERVE_ENDPOINT: url,
  OTEL_EXPORTER_OTLP_ENDPOINT: url,
  OTEL_SERVICE_NAME: 'bench',
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
  OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process,serviceinstance',
  // Counts the instrumentation chunks the agent loads (src/integrations/activate.ts debug line).
  NODE_DEBUG: 'budobserve',
};

function runOnce(app, preload) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [...preload, app], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0 || !out.startsWith('200'))
        return reject(new Error(`${app} ${preload.join(' ')}: exit ${code}: ${err.slice(-400)}`));
      resolve({ ms, loaded: [...err.matchAll(/instrumentation (\S+) enabled/g)].map((m) => m[1]) });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b),
    m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const times = {};
const loaded = {};
try {
  for (let r = 0; r < WARMUP + rounds; r++) {
    for (const [appName, app] of Object.entries(apps)) {
      for (const [pre, flags] of Object.entries(preloads)) {
        const res = await runOnce(app, flags);
        if (r < WARMUP) continue;
        (times[`${appName}/${pre}`] ??= []).push(res.ms);
        if (pre === 'budobserve') loaded[appName] = res.loaded;
      }
    }
  }
} finally {
  sink.close();
}
const m = (k) => median(times[k]);
const f = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(0)} ms`;
console.log(
  `\nIntegrations load lazily: Node ${process.versions.node}, ${rounds} rounds after ${WARMUP} warm-up, medians of wall time`,
);
for (const appName of Object.keys(apps)) {
  const plain = m(`${appName}/plain`);
  console.log(
    `  app using ${appName === 'none' ? 'no library   ' : 'one library (pg)'}: plain ${plain.toFixed(0)} ms; budobserve ${f(m(`${appName}/budobserve`) - plain)} (instrumentations loaded: ${loaded[appName].join(', ') || 'none'}); otel-register ${f(m(`${appName}/otel-register`) - plain)}`,
  );
}
const one = m('pg/budobserve') - m('pg/plain') - (m('none/budobserve') - m('none/plain'));
console.log(`  one integration (pg) costs the agent ${f(one)} at start-up over an app using none`);
