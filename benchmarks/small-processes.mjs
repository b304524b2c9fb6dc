// What the agent costs processes that do little (issue #18): a trivial script (a CLI, a test
// file), and 8 worker threads started from a file, each sending one message. Plain, the
// agent, OTel's register and dd-trace run interleaved, round after round, so that machine
// noise hits each alike; the figures are medians and minimums of wall time from spawn to exit
// (and, for the workers, of the time until every worker's first message, measured in the
// process). Budgets: a trivial script at most +15 ms, each worker at most +10 ms.
//   node benchmarks/small-processes.mjs [--rounds N]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const at = process.argv.indexOf('--rounds');
const rounds = Number(at > 0 ? process.argv[at + 1] : (process.env.BENCH_ROUNDS ?? 15));
const WORKERS = 8;
const BUDGET = { trivialMs: 15, perWorkerMs: 10 };

const quiet = { OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_SERVICE_NAME: 'small' };
// The endpoint is a closed loopback port: none of these processes makes a span to send.
const endpoint = 'http://127.0.0.1:9';
const VARIANTS = [
  { name: 'plain', args: [], env: {} },
  {
    name: 'budobserve',
    args: ['--import', pathToFileURL(join(repo, 'register.mjs')).href],
    env: { ...quiet, BUD_OBSERVE_ENDPOINT: endpoint },
  },
  // The floor of loading the agent: its start bundle is read and compiled, then it stops.
  {
    name: 'bud-disabled',
    args: ['--import', pathToFileURL(join(repo, 'register.mjs')).href],
    env: { BUD_OBSERVE_DISABLED: 'true' },
  },
  {
    name: 'otel-register',
    args: ['--require', '@opentelemetry/auto-instrumentations-node/register'],
    env: { ...quiet, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process' },
  },
  {
    name: 'dd-trace',
    args: ['--require', 'dd-trace/init'],
    env: {
      DD_TRACE_AGENT_URL: endpoint,
      DD_TRACE_STARTUP_LOGS: 'false',
      DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
      DD_REMOTE_CONFIGURATION_ENABLED: 'false',
    },
  },
];
const SCENARIOS = [
  { name: 'trivial script', file: 'benchmarks/small/trivial.cjs' },
  { name: `${WORKERS} workers`, file: 'benchmarks/small/workers.mjs' },
];

const clean = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(OTEL_|BUD_OBSERVE_|DD_|NODE_OPTIONS$)/.test(k)),
);

function run(variant, file) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [...variant.args, file], {
      cwd: repo,
      env: { ...clean, ...variant.env, WORKERS: String(WORKERS) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) return reject(new Error(`${variant.name} ${file}: exit ${code}: ${err.slice(0, 300)}`));
      const line = out.trim().split('\n').pop();
      resolve({ wall, ...(line?.startsWith('{') ? JSON.parse(line) : {}) });
    });
  });
}

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => sorted(xs)[xs.length >> 1];
const min = (xs) => sorted(xs)[0];
const f = (x) => (x >= 0 ? `+${x.toFixed(1)}` : x.toFixed(1));

console.log(`Small processes, Node ${process.versions.node}: ${rounds} rounds after 2 warm-up, interleaved`);
for (const scenario of SCENARIOS) {
  const runs = new Map(VARIANTS.map((v) => [v.name, []]));
  for (let r = 0; r < rounds + 2; r++)
    for (const v of VARIANTS) {
      const result = await run(v, scenario.file);
      if (r >= 2) runs.get(v.name).push(result);
    }
  const plain = runs.get('plain');
  const stat = (list, key) => ({ med: median(list.map((x) => x[key])), min: min(list.map((x) => x[key])) });
  console.log(`\n  ${scenario.name}`);
  const withMessages = plain[0].last !== undefined;
  console.log(
    `    ${'variant'.padEnd(14)} ${'wall med'.padStart(9)} ${'Δ med'.padStart(7)} ${'Δ min'.padStart(7)}` +
      (withMessages ? ` ${'last msg'.padStart(9)} ${'Δ med'.padStart(7)} ${'Δ/worker'.padStart(9)}` : ''),
  );
  const base = { wall: stat(plain, 'wall'), last: withMessages ? stat(plain, 'last') : undefined };
  for (const v of VARIANTS) {
    const list = runs.get(v.name);
    const wall = stat(list, 'wall');
    let line = `    ${v.name.padEnd(14)} ${wall.med.toFixed(1).padStart(9)} ${f(wall.med - base.wall.med).padStart(7)} ${f(wall.min - base.wall.min).padStart(7)}`;
    if (withMessages) {
      const last = stat(list, 'last');
      line += ` ${last.med.toFixed(1).padStart(9)} ${f(last.med - base.last.med).padStart(7)} ${f((wall.med - base.wall.med) / WORKERS).padStart(9)}`;
    }
    console.log(line);
  }
  const bud = stat(runs.get('budobserve'), 'wall');
  const added = bud.med - base.wall.med;
  if (withMessages)
    console.log(
      `    budget: each worker ≤ +${BUDGET.perWorkerMs} ms → ${f(added / WORKERS)} ms ${added / WORKERS <= BUDGET.perWorkerMs ? 'PASS' : 'FAIL'}`,
    );
  else
    console.log(
      `    budget: ≤ +${BUDGET.trivialMs} ms → ${f(added)} ms ${added <= BUDGET.trivialMs ? 'PASS' : 'FAIL'}`,
    );
}
