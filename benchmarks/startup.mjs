// Start-up cost of the agent against anchors (no agent, OTel's register, dd-trace), measured
// on the same app in one run so machine noise hits every variant alike.
//   node benchmarks/startup.mjs [--rounds N] [--node /path/to/node]... [--strict]
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const app = join(repo, 'fixtures/express-one/app.mjs');
const EXPECTED = '200 {"hello":"bud"}';
const WARMUP = 2;
const RUN_TIMEOUT_MS = 30_000;
// Issue #18's budgets: budobserve's extra cost over the plain app, per Node major.
const BUDGETS = { 22: { wallMs: 60, rssMiB: 8 }, 24: { wallMs: 40, rssMiB: 8 } };

const args = process.argv.slice(2);
const opt = (name) => args.flatMap((a, i) => (a === name && args[i + 1] ? [args[i + 1]] : []));
const rounds = Number(opt('--rounds')[0] ?? process.env.BENCH_ROUNDS ?? 15);
const strict = args.includes('--strict');
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bad --rounds: ${opt('--rounds')[0]}`);

// --- Node binaries ------------------------------------------------------------------------
function nodeVersion(bin) {
  const r = spawnSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error((r.error?.message ?? r.stderr.trim()) || `exit ${r.status}`);
  return r.stdout.trim();
}

// Node 22 is fetched as the official binary published on npm (the only registry reachable),
// cached under .cache/ so only the first run pays for the download.
function node22() {
  const prefix = join(repo, '.cache/node22');
  const bin = join(prefix, `node_modules/node-linux-${process.arch}/bin/node`);
  if (existsSync(bin)) return bin;
  if (process.platform !== 'linux') throw new Error(`no cached Node 22 and auto-install is linux-only`);
  console.log(`installing Node 22 into ${prefix} ...`);
  // npm's shebang is `env node`: put the project's Node first so the system one (v20) isn't used.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` };
  const r = spawnSync(
    'npm',
    ['install', '--prefix', prefix, '--no-audit', '--no-fund', `node-linux-${process.arch}@22`],
    { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (r.status !== 0 || !existsSync(bin)) {
    throw new Error(`npm install failed: ${(r.error?.message ?? r.stderr.trim().split('\n').pop()) || r.status}`);
  }
  return bin;
}

function nodeTargets() {
  const given = opt('--node');
  const defaults = [
    () => {
      const bin = join(repo, 'node_modules/node/bin/node');
      return existsSync(bin) ? bin : process.execPath;
    },
    node22,
  ];
  const out = [];
  for (const get of given.length ? given.map((p) => () => resolve(p)) : defaults) {
    try {
      const bin = get();
      out.push({ bin, version: nodeVersion(bin) });
    } catch (err) {
      console.log(`Node unavailable: ${err.message}`);
    }
  }
  return out;
}

// --- Variants -----------------------------------------------------------------------------
// `--import` targets resolved from this repo to absolute URLs, so the child's cwd and
// NODE_PATH play no part in what gets loaded.
const tryResolve = (spec) => {
  try {
    return import.meta.resolve(spec);
  } catch (e) {
    return e;
  }
};
const sinkEnv = (url) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: url, BUD_OBSERVE_ENDPOINT: url, OTEL_SERVICE_NAME: 'bench' });
const VARIANTS = [
  { name: 'plain', target: null, env: () => ({}) },
  // The budget's scenario, like the otel-register row: traces over OTLP/protobuf.
  {
    name: 'budobserve',
    target: pathToFileURL(join(repo, 'register.mjs')).href,
    otlp: true,
    env: (url) => ({
      BUD_OBSERVE_ENDPOINT: url,
      BUD_OBSERVE_PROTOCOL: 'http/protobuf',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    }),
  },
  // The agent's defaults with an endpoint: metrics (the HTTP duration histograms) and logs too.
  {
    name: 'bud-all-signals',
    target: pathToFileURL(join(repo, 'register.mjs')).href,
    otlp: true,
    env: (url) => ({ BUD_OBSERVE_ENDPOINT: url, BUD_OBSERVE_PROTOCOL: 'http/protobuf' }),
  },
  {
    name: 'otel-register',
    target: tryResolve('@opentelemetry/auto-instrumentations-node/register'),
    otlp: true,
    env: () => ({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      // The default ("all") probes cloud metadata endpoints off-host; keep traffic on loopback.
      // The detector modules are still loaded, so their import cost stays in the measurement.
      OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process,serviceinstance',
    }),
  },
  {
    name: 'dd-trace',
    target: tryResolve('dd-trace/initialize.mjs'),
    dd: true,
    env: (url) => ({
      DD_TRACE_AGENT_URL: url,
      DD_TELEMETRY_ENABLED: 'false',
      DD_REMOTE_CONFIGURATION_ENABLED: 'false',
      DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
      DD_TRACE_STARTUP_LOGS: 'false',
    }),
  },
];

// --- Sink ---------------------------------------------------------------------------------
const hits = { otlp: 0, dd: 0 },
  other = new Map();
const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.method === 'POST' && /^\/v1\/(traces|metrics|logs)$/.test(req.url)) {
      if (req.url === '/v1/traces') hits.otlp++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    } else {
      const key = `${req.method} ${req.url}`;
      if (/^\/v0\.\d\/traces/.test(req.url)) hits.dd++;
      else other.set(key, (other.get(key) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    }
  });
});
await new Promise((ok) => sink.listen(0, '127.0.0.1', ok));
const sinkUrl = `http://127.0.0.1:${sink.address().port}`;

// Inherited OTEL_*/DD_*/BUD_OBSERVE_*/NODE_OPTIONS would silently change what a variant does.
const baseEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(OTEL_|DD_|BUD_OBSERVE_|NODE_OPTIONS$)/.test(k)),
);

// --- One run ------------------------------------------------------------------------------
const statsDir = mkdtempSync(join(tmpdir(), 'bud-bench-'));
const statsFile = join(statsDir, 'time.txt');

function runOnce(node, v) {
  // /usr/bin/time gives the child's rusage (Node can't), and `-o` keeps its line out of the
  // app's stderr. Wall time is ours: hrtime around spawn→exit, finer than time's %e.
  const argv = ['-o', statsFile, '-f', '%e %U %S %M', node.bin, ...(v.target ? ['--import', v.target] : []), app];
  const env = { ...baseEnv, ...sinkEnv(sinkUrl), ...v.env(sinkUrl) };
  const before = { ...hits };
  return new Promise((done) => {
    const t0 = process.hrtime.bigint();
    // Async spawn, not spawnSync: the sink lives in this event loop and must keep answering.
    const child = spawn('/usr/bin/time', argv, { cwd: repo, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      err = '',
      wallMs = 0;
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    // Detached so a hung run can be killed as a group: killing `time` alone would orphan node.
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, RUN_TIMEOUT_MS);
    child.on('exit', () => {
      wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      done({ error: e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 || !out.includes(EXPECTED)) {
        // Node ends a crash with its version line; the thrown error's line is more telling.
        const lines = err
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean);
        const why = lines.find((l) => /^(\w*Error|Error)\b|Error:/.test(l)) ?? lines.pop() ?? '';
        return done({
          error: `exit ${code ?? signal}, stdout ${JSON.stringify(out.trim().slice(0, 60))}${why ? `: ${why.slice(0, 160)}` : ''}`,
        });
      }
      const [, user, sys, rssKb] = readFileSync(statsFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
      done({
        wallMs,
        cpuMs: (user + sys) * 1000,
        rssMiB: rssKb / 1024,
        otlp: hits.otlp - before.otlp,
        dd: hits.dd - before.dd,
      });
    });
  });
}

// --- Report -------------------------------------------------------------------------------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b),
    m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 0) => x.toFixed(d);
const delta = (x, d = 0) => `${x >= 0 ? '+' : ''}${x.toFixed(d)}`;

// Two-cell rows (name, note) span the table instead of stretching a column.
function table(rows) {
  const full = rows.filter((r) => r.length > 2);
  const widths = rows[0].map((_, i) => Math.max(...(i ? full : rows).map((r) => String(r[i]).length)));
  const line = (r) =>
    r
      .map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : r.length > 2 ? String(c).padStart(widths[i]) : c))
      .join(' | ')
      .trimEnd();
  console.log([line(rows[0]), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.slice(1).map(line)].join('\n'));
}

async function benchNode(node) {
  console.log(`\n## Node ${node.version} (${node.bin}) — ${rounds} rounds after ${WARMUP} warm-up, medians`);
  const state = VARIANTS.map((v) => ({
    v,
    runs: [],
    unavailable: v.target instanceof Error ? `cannot resolve: ${v.target.message.split('\n')[0]}` : null,
  }));
  for (let round = 0; round < WARMUP + rounds; round++) {
    for (const s of state) {
      if (s.unavailable) continue;
      const r = await runOnce(node, s.v);
      // A variant that fails once is dropped: its numbers wouldn't describe a working agent.
      if (r.error) s.unavailable = `run failed (${r.error})`;
      else if (round >= WARMUP) s.runs.push(r);
    }
  }
  const m = Object.fromEntries(
    state
      .filter((s) => !s.unavailable)
      .map((s) => [
        s.v.name,
        {
          wall: median(s.runs.map((r) => r.wallMs)),
          cpu: median(s.runs.map((r) => r.cpuMs)),
          rss: median(s.runs.map((r) => r.rssMiB)),
          runs: s.runs,
        },
      ]),
  );
  const plain = m.plain,
    bud = m.budobserve;
  const rows = [
    [
      'variant',
      'wall ms',
      'Δ wall',
      'CPU ms',
      'Δ CPU',
      'RSS MiB',
      'Δ RSS',
      'wall ×plain',
      'bud ÷ row (wall)',
      'bud ÷ row (CPU)',
      'export check',
    ],
  ];
  for (const s of state) {
    const name = s.v.name,
      x = m[name];
    if (!x) {
      rows.push([name, `unavailable: ${s.unavailable}`]);
      continue;
    }
    const sent = x.runs.filter((r) => (s.v.dd ? r.dd : r.otlp) > 0).length;
    const check = s.v.otlp
      ? sent === x.runs.length
        ? `ok (traces ${sent}/${x.runs.length})`
        : `WARN: traces in ${sent}/${x.runs.length} runs`
      : s.v.dd
        ? `dd traces ${sent}/${x.runs.length}`
        : '';
    const vsBud = bud && name !== 'budobserve';
    rows.push([
      name,
      fmt(x.wall),
      plain ? delta(x.wall - plain.wall) : '?',
      fmt(x.cpu),
      plain ? delta(x.cpu - plain.cpu) : '?',
      fmt(x.rss, 1),
      plain ? delta(x.rss - plain.rss, 1) : '?',
      plain ? `${fmt(x.wall / plain.wall, 2)}×` : '?',
      vsBud ? `${fmt(bud.wall / x.wall, 2)}×` : '—',
      vsBud ? `${fmt(bud.cpu / x.cpu, 2)}×` : '—',
      check,
    ]);
  }
  table(rows);

  const major = Number(node.version.split('.')[0]);
  const budget = BUDGETS[major] ?? (major > 24 ? BUDGETS[24] : null);
  if (!budget) {
    console.log(`Budget: none defined for Node ${major}`);
    return true;
  }
  const head = `Budget (Node ${major}): budobserve ≤ +${budget.wallMs} ms wall, ≤ +${budget.rssMiB} MiB peak RSS over plain`;
  if (!plain || !bud) {
    console.log(`${head} → FAIL (not measurable: ${!plain ? 'plain' : 'budobserve'} unavailable)`);
    return false;
  }
  const dw = bud.wall - plain.wall,
    dr = bud.rss - plain.rss;
  const okW = dw <= budget.wallMs,
    okR = dr <= budget.rssMiB;
  console.log(
    `${head}\n  wall ${delta(dw)} ms → ${okW ? 'PASS' : 'FAIL'}; peak RSS ${delta(dr, 1)} MiB → ${okR ? 'PASS' : 'FAIL'}`,
  );
  return okW && okR;
}

let allPass = true;
try {
  const nodes = nodeTargets();
  if (!nodes.length) {
    console.log('no Node binary available');
    allPass = false;
  }
  console.log(`sink ${sinkUrl}; app ${app}`);
  for (const node of nodes) allPass = (await benchNode(node)) && allPass;
  if (other.size) console.log(`\nsink also answered: ${[...other].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
} finally {
  sink.close();
  rmSync(statsDir, { recursive: true, force: true });
}
if (strict && !allPass) process.exitCode = 1;
