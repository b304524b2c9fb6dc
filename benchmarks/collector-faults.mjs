// What a sick collector costs the app: request latency of the fixture server
// (fixtures/reliability/server.mjs) under loopback load while the agent exports to a
// collector that refuses, hangs, throttles (429/503 + Retry-After), rejects (400), answers
// slowly, resets or trickles — each run side by side with a healthy-collector run, so machine
// noise hits both; the table gives medians over rounds. test/reliability-collector.test.mjs
// is the short form that CI runs.
//   npm run bench:faults -- [--rounds N] [--requests N] [--concurrency N] [--only name,...]
// (or `npx node benchmarks/collector-faults.mjs ...`: the apps run on the Node running this).
import { conditions, runSideBySide, QUEUE, BATCH } from '../test/helpers/fault-scenarios.mjs';
import { median, fmt } from '../test/helpers/load.mjs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18))
  throw new Error(`Node ${process.versions.node} runs the agent off; use npm run bench:faults (Node 24)`);

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const rounds = Number(opt('--rounds', 3));
const requests = Number(opt('--requests', 5000));
const concurrency = Number(opt('--concurrency', 20));
const only = opt('--only', '');
for (const [name, v] of [
  ['--rounds', rounds],
  ['--requests', requests],
  ['--concurrency', concurrency],
]) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`bad ${name}: ${v}`);
}
const sick = Object.keys(conditions).filter((c) => c !== 'healthy' && (only === '' || only.split(',').includes(c)));
if (sick.length === 0)
  throw new Error(`no condition matches --only ${only}; known: ${Object.keys(conditions).join(', ')}`);

console.log(
  `Node ${process.versions.node}; ${rounds} rounds of ${requests} requests at concurrency ${concurrency} per app; OTEL_BSP_MAX_QUEUE_SIZE=${QUEUE}, batch ${BATCH}, shutdownTimeoutMs 1000`,
);
const results = new Map(sick.map((c) => [c, []]));
for (let round = 1; round <= rounds; round++) {
  for (const c of sick) {
    const [healthy, ill] = await runSideBySide(['healthy', c], { requests, concurrency });
    results.get(c).push({ healthy, ill });
    process.stdout.write(`round ${round}/${rounds} ${c}: p50 ${fmt(ill.p50)} vs ${fmt(healthy.p50)} ms\n`);
  }
}

const row = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(20) : String(c).padStart(11))).join(' ');
console.log();
console.log(
  row([
    'collector',
    'p50 ms',
    'healthy p50',
    'p50 ratio',
    'p99 ms',
    'healthy p99',
    'p99 ratio',
    'rps',
    'heap MiB',
    'max pending',
    'dropped',
    'exit ms',
  ]),
);
for (const [c, runs] of results) {
  const m = (f) => median(runs.map(f));
  console.log(
    row([
      c,
      fmt(m((r) => r.ill.p50)),
      fmt(m((r) => r.healthy.p50)),
      fmt(m((r) => r.ill.p50 / r.healthy.p50)),
      fmt(m((r) => r.ill.p99)),
      fmt(m((r) => r.healthy.p99)),
      fmt(m((r) => r.ill.p99 / r.healthy.p99)),
      fmt(
        m((r) => r.ill.rps),
        0,
      ),
      fmt(m((r) => r.ill.heapAfter / 2 ** 20)),
      m((r) => r.ill.maxPending),
      m((r) => r.ill.dropped),
      fmt(
        m((r) => r.ill.exitMs),
        0,
      ),
    ]),
  );
}
const errors = [...results.values()].flat().reduce((n, r) => n + r.ill.errors + r.healthy.errors, 0);
console.log(
  `\nratios are the sick run over the healthy run beside it (median over rounds); ${errors} failed requests in all`,
);
