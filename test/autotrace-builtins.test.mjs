// No observable built-ins (issue 16, point 2): an app replaces some 130 built-ins that apps
// and test tools replace (RegExp, Array, Function.prototype.call/apply/bind, Map, Set, JSON,
// Math, Date.now, performance.now, process.hrtime and .bigint, Object, Promise) after the
// agent has loaded, with counters and then with throwing versions, and runs auto-traced code
// (fixtures/autotrace-builtins/). Under the agent, with every call a span and with every
// call below the threshold, the counts are the plain run's and nothing escapes into the app.
// Two exceptions, Node's rather than the agent's, in AsyncLocalStorage itself: on Node 24+
// enterWith copies its context frame with `new Map(frame)`, which calls
// %MapIteratorPrototype%.next (a Map iterator's next, not a Map method; its throwing variant
// is contained), and on Node 22, where AsyncLocalStorage runs on async_hooks, the promise
// hooks it enables call Array.prototype.pop for every promise reaction (popAsyncContext;
// any AsyncLocalStorage user's, a throw there is fatal): left alone on Node 22, while Node 24
// and 26 show the agent's own code never calls it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, hasSyncLoadHooks, nodeVersion } from './helpers/run.mjs';

const dir = `${fixtures}autotrace-builtins/`;
const skip = hasSyncLoadHooks
  ? false
  : `Node ${nodeVersion} cannot run synchronous load hooks (nodejs/node#59929): the agent warns and does not rewrite there`;
const asyncContextFrame = Number(nodeVersion.split('.')[0]) >= 24;
const keep = asyncContextFrame ? '' : 'Array.prototype.pop';

const phases = (stdout) =>
  Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .map((p) => [p.phase, p]),
  );
const comparable = (counts) => {
  const c = { ...counts };
  if (asyncContextFrame) delete c['MapIterator.next'];
  return c;
};

const plainRun = runApp({ script: `${dir}app.mjs`, cwd: dir, preload: [], env: { BUILTINS_KEEP: keep } });

for (const minDuration of ['0', '60s']) {
  test(`replaced built-ins see the same calls with auto-trace on, min-duration ${minDuration}`, { skip }, async () => {
    const plain = await plainRun;
    assert.equal(plain.code, 0, plain.stderr);
    const expected = phases(plain.stdout);
    assert.ok(expected.count.replaced >= 100, `${expected.count.replaced} built-ins replaced`);
    assert.deepEqual(expected.count.unexpected, []);
    assert.deepEqual(expected.throw.unexpected, []);
    assert.equal(expected.count.counts['Array.prototype.push'], 5, "the app's own calls are counted");

    const receiver = await startReceiver();
    let r;
    try {
      r = await runApp({
        script: `${dir}app.mjs`,
        cwd: dir,
        env: {
          BUILTINS_KEEP: keep,
          BUD_OBSERVE_ENDPOINT: receiver.url,
          BUD_OBSERVE_AUTOTRACE_MODULES: 'work.mjs',
          BUD_OBSERVE_AUTOTRACE_MIN_DURATION: minDuration,
          OTEL_METRICS_EXPORTER: 'none',
          OTEL_BSP_MAX_QUEUE_SIZE: '100000',
        },
      });
    } finally {
      await receiver.close();
    }
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /BUDOBSERVE_/);
    const got = phases(r.stdout);
    assert.deepEqual(got.count.unexpected, [], 'nothing escaped while counting');
    assert.deepEqual(
      comparable(got.count.counts),
      comparable(expected.count.counts),
      'the same calls of each replaced built-in',
    );
    assert.deepEqual(got.throw.unexpected, [], 'no throwing built-in reached the traced code through the agent');
    assert.deepEqual(comparable(got.throw.counts), comparable(expected.throw.counts));
    const traced = receiver.spans.filter((s) => s.attributes['code.file.path'] === 'work.mjs');
    if (minDuration === '0') {
      // 2 x 20 rounds, every call a span: the path that makes spans ran while counting.
      assert.ok(traced.length > 1000, `${traced.length} auto-traced spans`);
      assert.ok(
        traced.some((s) => s.name === 'Calling rejects' && s.status.code === 2),
        'failed calls recorded',
      );
    } else {
      assert.equal(traced.length, 0);
    }
  });
}
