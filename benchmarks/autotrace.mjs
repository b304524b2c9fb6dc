// Auto-trace per-call overhead on Node 24, as the budget asks: the original function, the
// rewritten one below the threshold (sync and async: at most +100 ns and +400 ns), and
// rewritten with every call exported (min-duration 0). Minimum over batches per variant.
//   node benchmarks/autotrace.mjs
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const script = `${root}benchmarks/autotrace/calls.mjs`;
const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OTEL_|BUD_OBSERVE_|NODE_OPTIONS$)/.test(k)));

const sink = createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end()); });
sink.listen(0, '127.0.0.1');
await once(sink, 'listening');
const url = `http://127.0.0.1:${sink.address().port}`;

const run = (env, calls) => new Promise((resolve, reject) => {
  execFile(process.execPath, ['--import', `${root}register.mjs`, script], { env: { ...clean, BUD_OBSERVE_ENDPOINT: url, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', BUD_OBSERVE_AUTOTRACE_MODULES: 'benchmarks/none/**', CALLS: String(calls), ...env }, maxBuffer: 1 << 20 }, (e, out, err) => (e ? reject(new Error(err || e.message)) : resolve(JSON.parse(out))));
});

const below = await run({ BUD_OBSERVE_AUTOTRACE_MIN_DURATION: '1s' }, 400_000);
const exported = await run({ BUD_OBSERVE_AUTOTRACE_MIN_DURATION: '0', OTEL_BSP_MAX_QUEUE_SIZE: '1000000' }, 40_000);
sink.close();
const f = (n) => `${n.toFixed(1).padStart(8)} ns`;
const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
const syncOver = below.tracedSync - below.plainSync;
const asyncOver = below.tracedAsync - below.plainAsync;
const alsFloor = below.alsRun - below.arrowOnly;
console.log(`Auto-trace per call, Node ${process.versions.node} (minimum over 15 batches)`);
console.log(`  sync   original ${f(below.plainSync)}   rewritten, below threshold ${f(below.tracedSync)}   overhead ${f(syncOver)} (budget 100 ns) → ${verdict(syncOver <= 100)}`);
console.log(`  async  original ${f(below.plainAsync)}   rewritten, below threshold ${f(below.tracedAsync)}   overhead ${f(asyncOver)} (budget 400 ns) → ${verdict(asyncOver <= 400)}`);
console.log(`  rewritten and exported (min-duration 0): sync ${f(exported.tracedSync)}   async ${f(exported.tracedAsync)}`);
console.log(`  floors measured in the same process: two hrtime.bigint() reads ${f(below.clockPair)}; AsyncLocalStorage.run around an async arrow ${f(alsFloor)} over the arrow alone`);
// The budgets were set on a machine where the floors were 60 ns (two clock reads) and
// 270 ns (AsyncLocalStorage.run): what they leave for the agent's own work is 40 ns (sync)
// and 70 ns (async). On a machine with a slower clock (a VM's clock_gettime can cost twice
// as much) the literal budgets can fail on the floors alone; the agent's share cannot. The
// share is the traced function against a bare wrapper of the same shape that does only the
// floors' work (calls.mjs), measured in the same batches.
const syncShare = below.tracedSync - below.floorSync;
const asyncShare = below.tracedAsync - below.floorAsync;
console.log(`  bare timed wrapper (floors only): sync ${f(below.floorSync - below.plainSync)} over the original   async ${f(below.floorAsync - below.plainAsync)}`);
console.log(`  agent's own share over that wrapper: sync ${f(syncShare)} (budget less its floor: 40 ns) → ${verdict(syncShare <= 40)}   async ${f(asyncShare)} (budget less its floors: 70 ns) → ${verdict(asyncShare <= 70)}`);
