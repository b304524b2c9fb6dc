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
console.log(`Auto-trace per call, Node ${process.versions.node} (minimum over 7 batches)`);
console.log(`  sync   original ${f(below.plainSync)}   rewritten, below threshold ${f(below.tracedSync)}   overhead ${f(below.tracedSync - below.plainSync)} (budget 100 ns) → ${below.tracedSync - below.plainSync <= 100 ? 'PASS' : 'FAIL'}`);
console.log(`  async  original ${f(below.plainAsync)}   rewritten, below threshold ${f(below.tracedAsync)}   overhead ${f(below.tracedAsync - below.plainAsync)} (budget 400 ns) → ${below.tracedAsync - below.plainAsync <= 400 ? 'PASS' : 'FAIL'}`);
console.log(`  rewritten and exported (min-duration 0): sync ${f(exported.tracedSync)}   async ${f(exported.tracedAsync)}`);
console.log(`  floors measured in the same process: two hrtime.bigint() reads ${f(below.clockPair)}; AsyncLocalStorage.run around an async arrow ${f(below.alsRun - below.arrowOnly)} over the arrow alone`);
