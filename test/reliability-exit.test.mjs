// Every way a process ends, against a healthy collector, one that refuses connections and
// one that never answers: the exit code (or signal) is the one the app has without the
// agent, a refusing collector never makes the exit wait for its bound, a hanging one makes it
// wait that bound once, and a healthy one gets every finished span. What the agent did is
// read from its exit trail (test/helpers/exit-trail.mjs), set up so that an exit held beyond
// its bound is held for minutes and killed; benchmarks/exit-bounds.mjs has the times.
// test/shutdown.test.mjs holds the detailed assertions per path; this file is the cross-product.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { startCollector } from './helpers/faulty-collector.mjs';
import { closedPort } from './helpers/net.mjs';
import { startApp } from './helpers/fault-scenarios.mjs';
import { load } from './helpers/load.mjs';
import { runApp, fixtures, waitForOutput } from './helpers/run.mjs';
import { TRAIL_ENV, FAR_BOUND, exitTrail, withoutDebug, reachedBound, assertExitBound } from './helpers/exit-trail.mjs';

const SPANS = 300;
const BOUND = 1000;
const exitApp = `${fixtures}exit/app.mjs`;
const handlerExit = `${fixtures}reliability/handler-exit.mjs`;

const paths = [
  { name: 'natural', script: exitApp, args: ['natural'] },
  { name: 'process.exit(3)', script: exitApp, args: ['exit'] },
  { name: 'process.exit(4) in a request handler', script: handlerExit, args: [], extra: 1 },
  { name: 'uncaught exception', script: exitApp, args: ['throw'] },
  { name: 'unhandled rejection', script: exitApp, args: ['reject'] },
  { name: 'SIGTERM', script: exitApp, args: ['sigterm'], signal: 'SIGTERM' },
  { name: 'SIGINT', script: exitApp, args: ['sigint'], signal: 'SIGINT' },
  { name: "SIGTERM, app's handler", script: exitApp, args: ['sigterm-handled'], signal: 'SIGTERM' },
  { name: "SIGTERM, app's graceful handler", script: exitApp, args: ['sigterm-graceful'], signal: 'SIGTERM' },
];

/** Runs one path, signalled once ready for signal paths; with the exit trail when `env` asks for it. */
async function run(path, env, preload) {
  const r = await runApp({
    script: path.script,
    args: path.args,
    ...(preload === undefined ? {} : { preload }),
    env: { SPANS: String(SPANS), BUD_OBSERVE_SHUTDOWN_TIMEOUT: String(BOUND), OTEL_METRICS_EXPORTER: 'none', ...env },
    onSpawn:
      path.signal === undefined
        ? undefined
        : (child, out) => {
            waitForOutput(out, 'ready').then(
              () => child.kill(path.signal),
              () => child.kill('SIGKILL'),
            );
          },
  });
  return { ...r, stderr: withoutDebug(r.stderr), trail: exitTrail(r.stderr) };
}

const ending = (r) => r.signal ?? r.code;

test(
  'every exit path: same ending, the bound waited once at most, spans delivered',
  { timeout: 120_000 },
  async (t) => {
    const hang = createServer(() => {}).listen(0, '127.0.0.1');
    await once(hang, 'listening');
    const refused = `http://127.0.0.1:${await closedPort()}`;
    const rows = [];
    try {
      for (const path of paths) {
        const plain = await run(path, {}, []);
        const collector = await startCollector();
        const healthy = await run(path, { BUD_OBSERVE_ENDPOINT: collector.url });
        const sent = SPANS + (path.extra ?? 0);
        const received = new Set(
          collector
            .accepted()
            .filter((s) => s.name.startsWith('work '))
            .map((s) => s.name),
        ).size;
        await collector.close();
        // A refusing collector under a bound no correct exit comes near; a hanging one under
        // exports that wait ten minutes for an answer: only the bound can end that exit.
        const refusing = await run(path, {
          ...TRAIL_ENV,
          BUD_OBSERVE_ENDPOINT: refused,
          BUD_OBSERVE_SHUTDOWN_TIMEOUT: FAR_BOUND,
        });
        const hanging = await run(path, {
          ...TRAIL_ENV,
          BUD_OBSERVE_ENDPOINT: `http://127.0.0.1:${hang.address().port}`,
        });
        rows.push({ path, plain, healthy, refusing, hanging, sent, received });
      }
    } finally {
      hang.close();
      hang.closeAllConnections?.();
    }

    t.diagnostic(
      `shutdownTimeoutMs = ${BOUND} (${FAR_BOUND} against the refusing collector); bound reached = the exit waited for its bound`,
    );
    t.diagnostic(
      'path                                   ending  work spans sent/received  refused: bound reached  hanging: bound reached',
    );
    for (const r of rows) {
      t.diagnostic(
        `${r.path.name.padEnd(38)} ${String(ending(r.plain)).padStart(7)}  ${`${r.sent}/${r.received}`.padStart(24)}  ${String(reachedBound(r.refusing.trail)).padStart(22)}  ${String(reachedBound(r.hanging.trail)).padStart(22)}`,
      );
    }

    for (const r of rows) {
      await t.test(r.path.name, () => {
        for (const [what, x] of [
          ['healthy', r.healthy],
          ['refused', r.refusing],
          ['hanging', r.hanging],
        ]) {
          assert.equal(ending(x), ending(r.plain), `${what}: ended as without the agent (not killed)\n${x.stderr}`);
          assert.equal(x.stdout, r.plain.stdout, `${what}: the app's output is unchanged`);
        }
        assert.equal(
          r.received,
          r.sent,
          `healthy collector: every finished span delivered (${r.received} of ${r.sent})`,
        );
        assertExitBound(r.refusing.trail, false, `refusing collector\n${r.refusing.stderr}`);
        assertExitBound(r.hanging.trail, true, `hanging collector\n${r.hanging.stderr}`);
      });
    }
  },
);

test('process.exit() in a request handler delivers the span ended just before it', async () => {
  const collector = await startCollector();
  try {
    const r = await runApp({ script: handlerExit, env: { BUD_OBSERVE_ENDPOINT: collector.url, SPANS: '0' } });
    assert.equal(r.code, 4, r.stderr);
    assert.equal(r.stdout, 'exiting from the handler\n');
    const names = collector.accepted().map((s) => s.name);
    assert.ok(names.includes('work last'), `delivered: ${names.join(', ')}`);
  } finally {
    await collector.close();
  }
});

// Regression: exports in flight used to hold the event loop, so a server that closed while
// the collector hung lived on for the whole export timeout (10 s) before 'beforeExit'. Here
// that timeout is ten minutes (TRAIL_ENV): the bug would have the app killed by quit().
for (const kind of ['hang', 'trickle', 'refused']) {
  test(`a server ending naturally with exports in flight to a ${kind} collector exits within the bound`, async () => {
    const collector = await startCollector();
    if (kind === 'refused') await collector.refuse();
    else collector.mode = { kind, ms: 200 };
    // Refused: a bound no correct exit comes near, and time for the retries' backoff to grow
    // to seconds (that the exit does not wait it out is test/export-retry.test.mjs's).
    const bound = kind === 'refused' ? FAR_BOUND : String(BOUND);
    const app = await startApp({
      env: {
        ...TRAIL_ENV,
        BUD_OBSERVE_ENDPOINT: collector.url,
        BUD_OBSERVE_SHUTDOWN_TIMEOUT: bound,
        OTEL_BSP_SCHEDULE_DELAY: '50',
      },
    });
    try {
      await load({ port: app.port, total: 300, concurrency: 10 });
      await new Promise((r) => setTimeout(r, kind === 'refused' ? 1600 : 200)); // let an export start
      const exit = await app.quit();
      assert.equal(exit.signal, null, `ended by itself, not killed:\n${app.out.stderr}`);
      assert.equal(exit.code, 0, app.out.stderr);
      assertExitBound(exitTrail(app.out.stderr), kind !== 'refused', `${kind} collector`);
    } finally {
      await collector.close();
    }
  });
}
