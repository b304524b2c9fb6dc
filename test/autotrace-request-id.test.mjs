// bud.request.id and enduser.id on every span below a request, with auto-tracing off and on
// (every call a span, or fast calls dropped and their library spans re-parented), under
// 1,000 concurrent requests: a loopback server, a backend in this process, and every
// exported span of each trace checked against its request's id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, hasSyncLoadHooks, nodeVersion, waitForOutput } from './helpers/run.mjs';

const dir = `${fixtures}autotrace-request-id/`;
const REQUESTS = 1000;
const skip = hasSyncLoadHooks
  ? false
  : `Node ${nodeVersion} cannot run synchronous load hooks (nodejs/node#59929): no auto-trace there`;

/** Runs the app, sends REQUESTS concurrent requests with distinct ids, then stops it. */
async function underLoad(t, env) {
  const backend = createServer((req, res) => res.end(req.url.slice(1, 2)));
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  t.after(() => backend.close());
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  let load;
  const r = await runApp({
    script: `${dir}app.mjs`,
    cwd: dir,
    args: [`http://127.0.0.1:${backend.address().port}`],
    env: { BUD_OBSERVE_ENDPOINT: receiver.url, OTEL_BSP_MAX_QUEUE_SIZE: '100000', ...env },
    timeoutMs: 60_000,
    onSpawn: (child, out) => {
      load = (async () => {
        await waitForOutput(out, '\n');
        const base = `http://127.0.0.1:${out.stdout.trim()}`;
        const bodies = await Promise.all(
          Array.from({ length: REQUESTS }, (_, i) =>
            fetch(`${base}/r${i}`, { headers: { 'x-request-id': `req-${i}`, 'x-user': `user-${i}` } }).then((res) =>
              res.text(),
            ),
          ),
        );
        await fetch(`${base}/quit`, { headers: { 'x-request-id': 'quit', 'x-user': 'quit' } }).then((res) =>
          res.text(),
        );
        return bodies;
      })().catch((error) => {
        child.kill();
        throw error;
      });
    },
  });
  const bodies = await load;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.deepEqual(new Set(bodies), new Set(['ab']), 'every request answered');
  return receiver.spans;
}

/** Every span of each trace carries the attributes of the trace's one server span. */
function assertCarried(spans) {
  const traces = new Map();
  for (const s of spans) {
    let list = traces.get(s.traceId);
    if (list === undefined) traces.set(s.traceId, (list = []));
    list.push(s);
  }
  assert.equal(traces.size, REQUESTS + 1, 'one trace per request, and the /quit one');
  const missing = [];
  const ids = new Set();
  for (const list of traces.values()) {
    const servers = list.filter((s) => s.kind === 2);
    assert.equal(servers.length, 1, 'one server span per trace');
    const id = servers[0].attributes['bud.request.id'];
    const user = servers[0].attributes['enduser.id'];
    assert.ok(
      typeof id === 'string' && user === (id === 'quit' ? 'quit' : id.replace('req', 'user')),
      `server span attributes: ${id} ${user}`,
    );
    ids.add(id);
    for (const s of list) {
      if (s.attributes['bud.request.id'] !== id || s.attributes['enduser.id'] !== user)
        missing.push(
          `${s.name} (${s.attributes['bud.request.id']}, ${s.attributes['enduser.id']}; want ${id}, ${user})`,
        );
    }
  }
  assert.equal(ids.size, REQUESTS + 1, 'each trace is a different request');
  assert.deepEqual(
    missing.slice(0, 10),
    [],
    `${missing.length} of ${spans.length} spans lack their request's attributes`,
  );
}

const named = (spans, name) => spans.filter((s) => s.name === name);

test('bud.request.id and enduser.id on every span of 1,000 concurrent requests, auto-trace off', async (t) => {
  const spans = await underLoad(t, {});
  assert.equal(spans.length, REQUESTS + 1 + REQUESTS * 3, 'server span; two fetch spans and a log per request');
  assertCarried(spans);
});

test(
  'bud.request.id and enduser.id on every auto-traced span and the library spans under them',
  { skip },
  async (t) => {
    const spans = await underLoad(t, { BUD_OBSERVE_AUTOTRACE_MODULES: 'src/**' });
    for (const name of ['handle', 'startLookup', 'lookup', 'note', 'pause'])
      assert.equal(named(spans, `Calling ${name}`).length, REQUESTS, `Calling ${name}`);
    assertCarried(spans);
  },
);

test('bud.request.id and enduser.id on library spans re-parented from dropped fast calls', { skip }, async (t) => {
  // 20ms: far below pause() (60ms of timer, so handle() is always kept) and far above a
  // startLookup() call, which only starts a fetch.
  const spans = await underLoad(t, {
    BUD_OBSERVE_AUTOTRACE_MODULES: 'src/**',
    BUD_OBSERVE_AUTOTRACE_MIN_DURATION: '20ms',
  });
  const handles = named(spans, 'Calling handle');
  assert.equal(handles.length, REQUESTS);
  const handleIds = new Set(handles.map((s) => s.spanId));
  const fetchA = spans.filter((s) => s.kind === 3 && s.attributes['url.full']?.includes('/a?'));
  assert.equal(fetchA.length, REQUESTS);
  const reparented = fetchA.filter((s) => handleIds.has(s.parentSpanId)).length;
  assert.equal(
    reparented + named(spans, 'Calling startLookup').length,
    REQUESTS,
    'each /a fetch span hangs under its startLookup() call or, dropped, under handle()',
  );
  assert.ok(reparented >= REQUESTS / 2, `most startLookup() calls are fast and dropped (${reparented} re-parented)`);
  const byId = new Set(spans.map((s) => s.spanId));
  for (const s of spans) if (s.parentSpanId) assert.ok(byId.has(s.parentSpanId), `${s.name} has an exported parent`);
  assertCarried(spans);
});
