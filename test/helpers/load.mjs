// A bounded loopback load generator (plain node:http, keep-alive) and the statistics the
// reliability tests report. Every loop is bounded by a request count and a time budget.
import { Agent, request } from 'node:http';

/**
 * Sends `total` GET requests at `concurrency`, stopping early when `budgetMs` runs out.
 * Returns latencies in ms (of the requests that completed), error count and wall time.
 */
export async function load({ port, path = '/', total, concurrency, budgetMs = 60_000, headers }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  let errors = 0;
  let next = 0;
  const start = performance.now();
  const deadline = start + budgetMs;
  const one = (i) =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = request(
        { host: '127.0.0.1', port, path: typeof path === 'function' ? path(i) : path, agent, headers: headers?.(i) },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - t0);
            else errors++;
            resolve();
          });
          res.on('error', () => {
            errors++;
            resolve();
          });
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const worker = async () => {
    while (next < total && performance.now() < deadline) await one(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return { latencies, errors, sent: next, ms: performance.now() - start };
}

export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const median = (values) => percentile(values, 50);

/** Theil–Sen slope (median of pairwise slopes): robust to the odd GC-shaped outlier. */
export function theilSen(points) {
  const slopes = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j][0] - points[i][0];
      if (dx !== 0) slopes.push((points[j][1] - points[i][1]) / dx);
    }
  }
  return median(slopes);
}

/** Seeded PRNG (mulberry32), so a failing fuzz run can be replayed with its seed. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  next.pick = (list) => list[Math.floor(next() * list.length)];
  return next;
}

export const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
