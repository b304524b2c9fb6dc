// Cost of a span through BudObserve's pipeline against the same span through the bare
// OpenTelemetry SDK (batch processor, OTLP/protobuf), in one run: CPU time per span, from
// creation to an acknowledged export, alternating the two variants. Targets: at most 5 µs a
// span (issue #18), and at most 1.15x the bare SDK.
// Then the cost of tail sampling (src/sampling/tail/), on traces of ten spans: off, on and
// keeping every trace (its own work on top of the export), on and keeping 10% (what a user
// of it pays); and the heap that 1,000 concurrent open traces of ten held spans take.
// No target for these: they are the figures the README quotes.
//   node benchmarks/processors.mjs [--rounds N]
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./processors/', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
const at = process.argv.indexOf('--rounds');
const rounds = at > 0 ? Number(process.argv[at + 1]) : 7;
const TARGET = 1.15;
const TARGET_US = 5;

const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
sink.listen(0, '127.0.0.1');
await once(sink, 'listening');
const url = `http://127.0.0.1:${sink.address().port}`;

const budEnv = {
  BUD_OBSERVE_ENDPOINT: url,
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
  OTEL_BSP_MAX_QUEUE_SIZE: '100000',
};
const budArgs = ['--import', `${root}register.mjs`, `${dir}budobserve.mjs`];
const tailEnv = { ...budEnv, TRACE_SIZE: '10', BUD_OBSERVE_TAIL_LEVEL: 'error' };
const variants = {
  'bare OTel SDK': { args: [`${dir}bare-otel.mjs`], env: { SINK: url } },
  budobserve: { args: budArgs, env: budEnv },
  'tail off': { args: budArgs, env: { ...budEnv, TRACE_SIZE: '10' } },
  'tail, keep all': { args: budArgs, env: { ...tailEnv, BUD_OBSERVE_TAIL_BACKGROUND_RATE: '1' } },
  'tail, keep 10%': { args: budArgs, env: { ...tailEnv, BUD_OBSERVE_TAIL_BACKGROUND_RATE: '0.1' } },
};
const results = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const clean = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(OTEL_|BUD_OBSERVE_|NODE_OPTIONS$)/.test(k)),
);
// The child runs in the background of this process's event loop: the sink must answer.
const child = (name, args, env) =>
  new Promise((resolve) =>
    execFile(process.execPath, args, { env: { ...clean, ...env }, cwd: root }, (error, stdout, stderr) =>
      resolve({ error, stdout, stderr }),
    ),
  ).then((r) => {
    if (r.error) throw new Error(`${name} failed: ${r.stderr || r.error.message}`);
    return r;
  });
for (let i = 0; i < rounds; i++) {
  for (const [name, v] of Object.entries(variants))
    results[name].push(Number((await child(name, v.args, v.env)).stdout.trim()));
}
const memArgs = ['--expose-gc', '--import', `${root}register.mjs`, `${dir}tail-memory.mjs`];
const unbounded = await child('tail memory', memArgs, {
  ...tailEnv,
  BUD_OBSERVE_TAIL_MAX_SPANS: '1000000',
  BUD_OBSERVE_TAIL_MAX_BYTES: '1073741824',
});
const bounded = await child('tail memory, default budget', memArgs, tailEnv);
sink.close();
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const bare = median(results['bare OTel SDK']);
const bud = median(results.budobserve);
console.log(
  `Span pipeline, CPU µs per span (median of ${rounds} rounds, ${process.env.SPANS ?? 50_000} spans each, Node ${process.versions.node})`,
);
const line = (name) =>
  console.log(
    `  ${name.padEnd(14)} ${median(results[name]).toFixed(3)} µs   [${results[name].map((x) => x.toFixed(2)).join(', ')}]`,
  );
line('bare OTel SDK');
line('budobserve');
const ratio = bud / bare;
console.log(
  `  ratio budobserve / bare: ${ratio.toFixed(2)}x (target ≤ ${TARGET}x) → ${ratio <= TARGET ? 'PASS' : 'FAIL'}`,
);
console.log(
  `  budobserve per span: ${bud.toFixed(2)} µs, fastest round ${Math.min(...results.budobserve).toFixed(2)} µs (target ≤ ${TARGET_US} µs) → ${bud <= TARGET_US ? 'PASS' : 'FAIL'}`,
);
console.log('Tail sampling, CPU µs per span, traces of 10 spans (same rounds)');
for (const name of ['tail off', 'tail, keep all', 'tail, keep 10%']) line(name);
const off = median(results['tail off']);
console.log(
  `  on / off: keep all ${(median(results['tail, keep all']) / off).toFixed(2)}x, keep 10% ${(median(results['tail, keep 10%']) / off).toFixed(2)}x`,
);
const mib = (b) => (b / 2 ** 20).toFixed(1);
const grown = Number(unbounded.stdout.trim());
const early = /decided (\d+) traces?/.exec(bounded.stderr)?.[1] ?? '0';
console.log('Tail sampling, heap for 1,000 concurrent open traces of 10 held spans (10 attributes each)');
console.log(
  `  budget raised:  ${mib(grown)} MiB (${(grown / 1000 / 1024).toFixed(1)} KiB a trace, ${Math.round(grown / 10_000)} bytes a span)`,
);
console.log(
  `  default budget: ${mib(Number(bounded.stdout.trim()))} MiB (4 MiB budget; ${early} traces decided early)`,
);
