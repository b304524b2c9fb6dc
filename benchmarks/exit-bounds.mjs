// How long the agent holds an app's exit: every exit path of the exit fixture (a natural end,
// process.exit(), an uncaught exception, signals with and without the app's handler) against a
// healthy collector, one that refuses connections and one that never answers, beside the same
// path without the agent (the floor, measured in the same run). The tests assert what the
// agent does at exit (test/helpers/exit-trail.mjs); the time it takes is measured here, as
// ratios, with no bound to pass: a refusing collector should add next to nothing over the
// floor, a hanging one shutdownTimeoutMs and next to nothing more.
//   npm run bench:exit -- [--rounds N] [--bound MS] [--spans N]
import { createServer } from 'node:net';
import { once } from 'node:events';
import { startCollector } from '../test/helpers/faulty-collector.mjs';
import { closedPort } from '../test/helpers/net.mjs';
import { median, fmt } from '../test/helpers/load.mjs';
import { runApp, fixtures, waitForOutput } from '../test/helpers/run.mjs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18))
  throw new Error(`Node ${process.versions.node} runs the agent off; use npm run bench:exit (Node 24)`);

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
};
const rounds = opt('--rounds', 3);
const bound = opt('--bound', 1000);
const spans = opt('--spans', 300);
for (const [name, v] of [
  ['--rounds', rounds],
  ['--bound', bound],
  ['--spans', spans],
]) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`bad ${name}: ${v}`);
}

const exitApp = `${fixtures}exit/app.mjs`;
const paths = [
  { name: 'natural', script: exitApp, args: ['natural'] },
  { name: 'process.exit(3)', script: exitApp, args: ['exit'] },
  { name: 'process.exit(4) in a handler', script: `${fixtures}reliability/handler-exit.mjs`, args: [] },
  { name: 'uncaught exception', script: exitApp, args: ['throw'] },
  { name: 'SIGTERM', script: exitApp, args: ['sigterm'], signal: 'SIGTERM' },
  { name: "SIGTERM, app's handler", script: exitApp, args: ['sigterm-handled'], signal: 'SIGTERM' },
  { name: "SIGTERM, app's graceful handler", script: exitApp, args: ['sigterm-graceful'], signal: 'SIGTERM' },
];

/** ms from spawn (or, for signal paths, from the signal) to exit. */
async function timed(path, env, preload) {
  let t0 = performance.now();
  await runApp({
    script: path.script,
    args: path.args,
    ...(preload === undefined ? {} : { preload }),
    env: { SPANS: String(spans), BUD_OBSERVE_SHUTDOWN_TIMEOUT: String(bound), OTEL_METRICS_EXPORTER: 'none', ...env },
    onSpawn:
      path.signal === undefined
        ? undefined
        : (child, out) => {
            waitForOutput(out, 'ready').then(
              () => {
                t0 = performance.now();
                child.kill(path.signal);
              },
              () => child.kill('SIGKILL'),
            );
          },
  });
  return performance.now() - t0;
}

const hang = createServer(() => {}).listen(0, '127.0.0.1');
await once(hang, 'listening');
const hung = `http://127.0.0.1:${hang.address().port}`;
const refused = `http://127.0.0.1:${await closedPort()}`;
console.log(`Node ${process.versions.node}; ${rounds} rounds; ${spans} spans per run; shutdownTimeoutMs ${bound}`);
const results = [];
try {
  for (const path of paths) {
    const m = { plain: [], healthy: [], refused: [], hung: [] };
    for (let round = 0; round < rounds; round++) {
      m.plain.push(await timed(path, {}, []));
      const collector = await startCollector();
      try {
        m.healthy.push(await timed(path, { BUD_OBSERVE_ENDPOINT: collector.url }));
      } finally {
        await collector.close();
      }
      m.refused.push(await timed(path, { BUD_OBSERVE_ENDPOINT: refused }));
      m.hung.push(await timed(path, { BUD_OBSERVE_ENDPOINT: hung }));
    }
    const r = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, median(v)]));
    results.push({ path: path.name, ...r });
    process.stdout.write(
      `${path.name}: plain ${fmt(r.plain, 0)} ms, refused ${fmt(r.refused, 0)} ms, hung ${fmt(r.hung, 0)} ms\n`,
    );
  }
} finally {
  hang.close();
  hang.closeAllConnections?.();
}

const row = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(32) : String(c).padStart(12))).join(' ');
console.log();
console.log(
  row([
    'exit path',
    'plain ms',
    'healthy ms',
    'refused ms',
    'hung ms',
    'healthy/plain',
    'refused/plain',
    '(hung-plain)/bound',
  ]),
);
for (const r of results) {
  console.log(
    row([
      r.path,
      fmt(r.plain, 0),
      fmt(r.healthy, 0),
      fmt(r.refused, 0),
      fmt(r.hung, 0),
      fmt(r.healthy / r.plain),
      fmt(r.refused / r.plain),
      fmt((r.hung - r.plain) / bound),
    ]),
  );
}
console.log('\nmedians over rounds; ms from spawn, or from the signal for signal paths, to exit');
