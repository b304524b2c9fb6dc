// The sick-collector scenarios shared by test/reliability-collector.test.mjs and
// benchmarks/collector-faults.mjs: the fixture server under the agent, exporting to a
// collector in a given state, under a bounded loopback load from this process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { startCollector } from './faulty-collector.mjs';
import { load, percentile } from './load.mjs';
import { cleanEnv, fixtures, nodeBin, register } from './run.mjs';

export const server = `${fixtures}reliability/server.mjs`;

/** Collector states, each applied to a fresh collector before the app starts. */
export const conditions = {
  healthy: (c) => {
    c.mode = { kind: 'ok' };
  },
  refused: (c) => c.refuse(),
  hang: (c) => {
    c.mode = { kind: 'hang' };
  },
  '429 Retry-After: 1': (c) => {
    c.mode = { kind: 'status', status: 429, headers: { 'retry-after': '1' } };
  },
  '503 Retry-After: 1': (c) => {
    c.mode = { kind: 'status', status: 503, headers: { 'retry-after': '1' } };
  },
  '400 Bad Request': (c) => {
    c.mode = { kind: 'status', status: 400 };
  },
  'slow (2 s)': (c) => {
    c.mode = { kind: 'slow', ms: 2000 };
  },
  reset: (c) => {
    c.mode = { kind: 'reset' };
  },
  trickle: (c) => {
    c.mode = { kind: 'trickle', ms: 200 };
  },
};

export const QUEUE = 256;
export const BATCH = 64;
/** Spans the app makes besides the load: two /stats requests and /quit. */
export const EXTRA_SPANS = 3;
export const WARMUP = 200;

/** Starts a fixture server (default: server.mjs) under the agent; resolves once it listens. */
export async function startApp({ env = {}, preload = ['--import', register], nodeArgs = [], script = server } = {}) {
  const child = spawn(nodeBin, [...nodeArgs, ...preload, script], {
    cwd: fixtures,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d) => {
    out.stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d) => {
    out.stderr += d;
  });
  const exited = once(child, 'exit');
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start: ${out.stderr}`)), 15_000);
    const check = () => {
      const m = /listening (\d+)/.exec(out.stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      } else setTimeout(check, 10);
    };
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the app exited early: ${out.stderr}`));
    });
    check();
  });
  const get = async (path) => (await fetch(`http://127.0.0.1:${port}${path}`)).text();
  return {
    child,
    out,
    port,
    get,
    stats: async () => JSON.parse(await get('/stats')),
    /** Asks the app to close its server and measures how long the process takes to end. */
    async quit(timeoutMs = 20_000) {
      const t0 = performance.now();
      await get('/quit').catch(() => {});
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const [code, signal] = await exited;
      clearTimeout(timer);
      return { code, signal, exitMs: performance.now() - t0 };
    },
  };
}

export const warnings = (stderr, code) => stderr.split('\n').filter((l) => l.includes(`[${code ?? 'BUDOBSERVE_'}`));

/** Sum of the counts in BUDOBSERVE_SPANS_DROPPED warnings. */
export const reportedDrops = (stderr) =>
  warnings(stderr, 'BUDOBSERVE_SPANS_DROPPED').reduce(
    (n, l) => n + Number(/budobserve: (\d+) spans were dropped/.exec(l)?.[1] ?? 0),
    0,
  );

/** Spans the exit flush reported as not delivered (BUDOBSERVE_SHUTDOWN_TIMEOUT / EXPORT_FAILED at exit). */
export const lostAtExit = (stderr) =>
  warnings(stderr).reduce(
    (n, l) => n + Number(/budobserve: (\d+) spans (?:were not confirmed|could not be delivered)/.exec(l)?.[1] ?? 0),
    0,
  );

/** The last value of the budobserve.spans.dropped counter in the JSON metrics the collector got. */
export function droppedMetric(collector) {
  let last = 0;
  for (const e of collector.requests) {
    if (e.path !== '/v1/metrics' || e.status !== 200) continue;
    for (const rm of JSON.parse(e.body.toString('utf8')).resourceMetrics ?? []) {
      for (const sm of rm.scopeMetrics ?? []) {
        for (const m of sm.metrics ?? []) {
          if (m.name !== 'budobserve.spans.dropped') continue;
          const total = (m.sum?.dataPoints ?? []).reduce((n, p) => n + Number(p.asInt ?? p.asDouble ?? 0), 0);
          last = Math.max(last, total);
        }
      }
    }
  }
  return last;
}

/**
 * Runs the app once per condition, all side by side: each with a fresh collector in its
 * condition, all loaded at once (`requests` each at `concurrency` each), so that machine
 * noise hits every condition alike. Returns, per condition, latency percentiles (ms), the
 * app's memory and export queue, how it exited, and its collector.
 */
export async function runSideBySide(names, { requests = 2000, concurrency = 20, env = {}, budgetMs = 60_000 } = {}) {
  const collectors = [];
  try {
    const apps = await Promise.all(
      names.map(async (condition) => {
        const collector = await startCollector({ tracesOnly: true });
        collectors.push(collector);
        await conditions[condition](collector);
        const app = await startApp({
          nodeArgs: ['--expose-gc'],
          env: {
            BUD_OBSERVE_ENDPOINT: collector.url,
            BUD_OBSERVE_SERVICE_NAME: 'faults',
            BUD_OBSERVE_SHUTDOWN_TIMEOUT: '1000',
            OTEL_BSP_MAX_QUEUE_SIZE: String(QUEUE),
            OTEL_BSP_MAX_EXPORT_BATCH_SIZE: String(BATCH),
            OTEL_BSP_SCHEDULE_DELAY: '100',
            // JSON metrics, so the budobserve.spans.dropped self-metric can be read back.
            OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
            OTEL_METRIC_EXPORT_INTERVAL: '500',
            ...env,
          },
        });
        return { condition, collector, app, before: await app.stats() };
      }),
    );
    // A short warm-up so the first-request costs (lazy http instrumentation, JIT) are not
    // measured as the collector's fault.
    await Promise.all(apps.map((a) => load({ port: a.app.port, total: WARMUP, concurrency })));
    const loads = await Promise.all(
      apps.map((a) => load({ port: a.app.port, total: requests, concurrency, budgetMs })),
    );
    const afters = await Promise.all(apps.map((a) => a.app.stats()));
    const exits = await Promise.all(apps.map((a) => a.app.quit()));
    return apps.map(({ condition, collector, app, before }, i) => ({
      condition,
      p50: percentile(loads[i].latencies, 50),
      p99: percentile(loads[i].latencies, 99),
      rps: (loads[i].latencies.length / loads[i].ms) * 1000,
      errors: loads[i].errors,
      completed: loads[i].latencies.length,
      heapBefore: before.heapUsed,
      heapAfter: afters[i].heapUsed,
      maxPending: afters[i].maxPending,
      dropped: afters[i].dropped,
      ...exits[i],
      stderr: app.out.stderr,
      stdout: app.out.stdout,
      collector,
    }));
  } finally {
    await Promise.all(collectors.map((c) => c.close()));
  }
}
