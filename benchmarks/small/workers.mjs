// Starts WORKERS worker threads from a file (benchmarks/small-processes.mjs) and prints, as
// one JSON line, when the first and the last of their first messages arrived, in ms after
// the first worker was created.
import { Worker } from 'node:worker_threads';

const n = Number(process.env.WORKERS ?? 8);
const t0 = performance.now();
const firsts = [];
for (let i = 0; i < n; i++) {
  const w = new Worker(new URL('./worker.mjs', import.meta.url));
  w.once('message', () => {
    firsts.push(performance.now() - t0);
    void w.terminate();
    if (firsts.length === n) console.log(JSON.stringify({ first: Math.min(...firsts), last: Math.max(...firsts) }));
  });
}
