// Cost of a span through BudObserve's pipeline against the same span through the bare
// OpenTelemetry SDK (batch processor, OTLP/protobuf), in one run: CPU time per span, from
// creation to an acknowledged export, alternating the two variants. Target: at most 1.15x.
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

const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
sink.listen(0, '127.0.0.1');
await once(sink, 'listening');
const url = `http://127.0.0.1:${sink.address().port}`;

const variants = {
  'bare OTel SDK': { args: [`${dir}bare-otel.mjs`], env: { SINK: url } },
  budobserve: {
    args: ['--import', `${root}register.mjs`, `${dir}budobserve.mjs`],
    env: {
      BUD_OBSERVE_ENDPOINT: url,
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_BSP_MAX_QUEUE_SIZE: '100000',
    },
  },
};
const results = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const clean = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(OTEL_|BUD_OBSERVE_|NODE_OPTIONS$)/.test(k)),
);
for (let i = 0; i < rounds; i++) {
  for (const [name, v] of Object.entries(variants)) {
    // The child runs in the background of this process's event loop: the sink must answer.
    const r = await new Promise((resolve) =>
      execFile(process.execPath, v.args, { env: { ...clean, ...v.env }, cwd: root }, (error, stdout, stderr) =>
        resolve({ error, stdout, stderr }),
      ),
    );
    if (r.error) throw new Error(`${name} failed: ${r.stderr || r.error.message}`);
    results[name].push(Number(r.stdout.trim()));
  }
}
sink.close();
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const bare = median(results['bare OTel SDK']);
const bud = median(results.budobserve);
console.log(
  `Span pipeline, CPU µs per span (median of ${rounds} rounds, ${process.env.SPANS ?? 50_000} spans each, Node ${process.versions.node})`,
);
for (const [name, a] of Object.entries(results))
  console.log(`  ${name.padEnd(14)} ${median(a).toFixed(3)} µs   [${a.map((x) => x.toFixed(2)).join(', ')}]`);
const ratio = bud / bare;
console.log(
  `  ratio budobserve / bare: ${ratio.toFixed(2)}x (target ≤ ${TARGET}x) → ${ratio <= TARGET ? 'PASS' : 'FAIL'}`,
);
