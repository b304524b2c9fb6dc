// Per-call cost of auto-traced functions, exactly as the rewrite emits them (copied from
// rewriteModule's output for these two functions), against the same functions untouched. Run under the agent (the benchmark preloads it). Prints JSON:
// nanoseconds per call, the minimum over several batches.
var __budR;
function __budRt() { return __budR || (__budR = globalThis[Symbol.for('budobserve.autotrace')] || { enter() { return 0; }, exit() {}, fail() {}, enterAsync() { return 0; }, run(T, t) { return t(); }, exitAsync() {} }); }

function plainSync(a, b) { return a + b; }
function tracedSync(a, b) { var __budT = __budRt().enter("tracedSync", "calls.mjs", 7, 0); try { return a + b;  } catch (__budE) { __budRt().fail(__budT, __budE); throw __budE; } finally { __budRt().exit(__budT); } }
async function plainAsync(a, b) { return a + b; }
async function tracedAsync(a, b) { var __budT = __budRt().enterAsync("tracedAsync", "calls.mjs", 12, 0); try { return await __budRt().run(__budT, { "tracedAsync": async () => { return a + b; } }["tracedAsync"]); } catch (__budE) { __budRt().fail(__budT, __budE); throw __budE; } finally { __budRt().exitAsync(__budT); } }

function timeSync(fn, n) {
  const t0 = process.hrtime.bigint();
  let acc = 0;
  for (let i = 0; i < n; i++) acc += fn(i, 1);
  const t = Number(process.hrtime.bigint() - t0) / n;
  if (acc === -1) console.log(acc);
  return t;
}

async function timeAsync(fn, n) {
  const t0 = process.hrtime.bigint();
  let acc = 0;
  for (let i = 0; i < n; i++) acc += await fn(i, 1);
  const t = Number(process.hrtime.bigint() - t0) / n;
  if (acc === -1) console.log(acc);
  return t;
}

// The floors the budget was set against: two reads of the cheapest clock, and one
// AsyncLocalStorage.run around an async function.
import { AsyncLocalStorage } from 'node:async_hooks';
const als = new AsyncLocalStorage();
let sink = 0n;
const clockPair = () => { const a = process.hrtime.bigint(); sink = process.hrtime.bigint() - a; return 0; };
const asyncBody = async () => 1;
const alsRun = async () => als.run({}, asyncBody);
const arrowOnly = async () => asyncBody();
// The least a timed wrapper can cost: the rewrite's shape with only the two clock reads, the
// threshold test and (async) the AsyncLocalStorage.run. The agent's own share is the traced
// function's time less this, measured side by side in the same batches.
const TH = 1_000_000_000n;
let slow = 0;
function floorSync(a, b) { const t0 = process.hrtime.bigint(); try { return a + b; } finally { if (process.hrtime.bigint() - t0 >= TH) slow++; } }
async function floorAsync(a, b) { const t0 = process.hrtime.bigint(); try { return await als.run(t0, async () => { return a + b; }); } finally { if (process.hrtime.bigint() - t0 >= TH) slow++; } }

const N = Number(process.env.CALLS ?? 200_000);
const BATCHES = Number(process.env.BATCHES ?? 15);
const best = { plainSync: Infinity, tracedSync: Infinity, floorSync: Infinity, plainAsync: Infinity, tracedAsync: Infinity, floorAsync: Infinity, clockPair: Infinity, alsRun: Infinity, arrowOnly: Infinity };
for (let b = 0; b < BATCHES; b++) {
  best.clockPair = Math.min(best.clockPair, timeSync(clockPair, N));
  best.alsRun = Math.min(best.alsRun, await timeAsync(alsRun, N / 4));
  best.arrowOnly = Math.min(best.arrowOnly, await timeAsync(arrowOnly, N / 4));
  best.plainSync = Math.min(best.plainSync, timeSync(plainSync, N));
  best.tracedSync = Math.min(best.tracedSync, timeSync(tracedSync, N));
  best.floorSync = Math.min(best.floorSync, timeSync(floorSync, N));
  best.plainAsync = Math.min(best.plainAsync, await timeAsync(plainAsync, N / 4));
  best.tracedAsync = Math.min(best.tracedAsync, await timeAsync(tracedAsync, N / 4));
  best.floorAsync = Math.min(best.floorAsync, await timeAsync(floorAsync, N / 4));
}
if (sink < 0n || slow < 0) console.log(sink, slow);
process.stdout.write(`${JSON.stringify(best)}\n`);
