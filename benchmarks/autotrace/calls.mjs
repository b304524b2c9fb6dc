// Per-call cost of auto-traced functions, run under the agent (benchmarks/autotrace.mjs):
// every variant in every batch, in an order that rotates from batch to batch, each batch
// 2-3 ms (SYNC calls of a synchronous variant, ASYNC of an async one), so a preempted batch
// is one sample of many, not the result. Prints JSON: per variant, nanoseconds per call in
// every batch.
import * as p from './plain.mjs';
import * as t from './traced.mjs';

const SYNC = Number(process.env.SYNC ?? 20_000);
const ASYNC = Number(process.env.ASYNC ?? 4_000);
const BATCHES = Number(process.env.BATCHES ?? 80);
const hr = process.hrtime.bigint;

function timeSync(fn, n) {
  let acc = 0;
  const t0 = hr();
  for (let i = 0; i < n; i++) acc += fn(i, 1);
  const ns = Number(hr() - t0) / n;
  if (acc === -1) console.log(acc);
  return ns;
}

async function timeAsync(fn, n) {
  let acc = 0;
  const t0 = hr();
  for (let i = 0; i < n; i++) acc += await fn(i, 1);
  const ns = Number(hr() - t0) / n;
  if (acc === -1) console.log(acc);
  return ns;
}

const variants = [
  ['plainSync', p.plainSync, false],
  ['tracedSync', t.tracedSync, false],
  ['floorSync', p.floorSync, false],
  ['plainAsync0', p.plainAsync0, true],
  ['tracedAsync0', t.tracedAsync0, true],
  ['floorAsync0', p.floorAsync0, true],
  ['plainAsync1', p.plainAsync1, true],
  ['tracedAsync1', t.tracedAsync1, true],
  ['floorAsync1', p.floorAsync1, true],
];
const samples = Object.fromEntries(variants.map(([name]) => [name, []]));
// Warm-up: every variant optimized before the first batch counts.
for (let w = 0; w < 3; w++)
  for (const [, fn, async] of variants)
    if (async) await timeAsync(fn, ASYNC);
    else timeSync(fn, SYNC);
for (let b = 0; b < BATCHES; b++) {
  for (let k = 0; k < variants.length; k++) {
    const [name, fn, async] = variants[(b + k) % variants.length];
    samples[name].push(async ? await timeAsync(fn, ASYNC) : timeSync(fn, SYNC));
  }
}
if (p.slow < 0) console.log(p.slow);
process.stdout.write(`${JSON.stringify(samples)}\n`);
