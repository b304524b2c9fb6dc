// Tail sampling end to end: apps under the agent, spans read by the in-process collector.
// 1,000 requests keep exactly the traces worth keeping, each whole; the background rate keeps
// the same others in every run; two services keep both parts of a trace that failed
// downstream; and a flood of never-ending traces stays within the hold budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, register, waitForOutput, hasSyncLoadHooks } from './helpers/run.mjs';
import { keptAtRate } from '../src/sampling/tail/settings.ts';

const app = `${fixtures}tail-sampling/app.mjs`;
const TAIL = { BUD_OBSERVE_SAMPLE_RATE: '1', BUD_OBSERVE_TAIL_LEVEL: 'warn', BUD_OBSERVE_TAIL_DURATION: '200ms' };

const kindOf = (i) => (i < 20 ? 'fail' : i < 40 ? 'slow' : i < 50 ? 'warn' : 'ok');
const traceIdOf = (i) => createHash('sha256').update(`tail-${i}`).digest('hex').slice(0, 32);
// What each kind's trace holds, span names sorted.
const EXPECTED = {
  fail: ['GET', 'handle {kind}', 'step'],
  slow: ['GET', 'handle {kind}', 'step'],
  warn: ['GET', 'handle {kind}', 'odd request {path}', 'step'],
  ok: ['GET', 'fine {path}', 'handle {kind}', 'step'],
};

/** Starts the app, sends it the 1,000 requests with known trace ids, ends it; returns spans by trace and the traceresponse answers. */
async function thousand(env) {
  const receiver = await startReceiver();
  const answers = new Map();
  try {
    let port;
    const run = runApp({
      script: app,
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_SERVICE_NAME: 'tail', ...TAIL, ...env },
      timeoutMs: 120_000,
      onSpawn: (child, out) => {
        port = waitForOutput(out, 'ready', 20_000).then(() => Number(/ready (\d+)/.exec(out.stdout)[1]));
      },
    });
    const base = `http://127.0.0.1:${await port}`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
    const one = (i) =>
      new Promise((resolve, reject) => {
        const traceparent = `00-${traceIdOf(i)}-${'1'.repeat(16)}-01`;
        http
          .get(`${base}/${kindOf(i)}/${i}`, { agent, headers: { traceparent } }, (res) => {
            answers.set(i, { status: res.statusCode, traceresponse: res.headers.traceresponse });
            res.resume();
            res.on('end', resolve);
          })
          .on('error', reject);
      });
    const order = Array.from({ length: 1000 }, (_, i) => i);
    for (let k = 0; k < order.length; k += 100) await Promise.all(order.slice(k, k + 100).map(one));
    agent.destroy();
    await fetch(`${base}/done`).then((r) => r.text());
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    const byTrace = new Map();
    for (const s of receiver.spans) {
      if (!byTrace.has(s.traceId)) byTrace.set(s.traceId, []);
      byTrace.get(s.traceId).push(s);
    }
    return { byTrace, answers, stderr: r.stderr };
  } finally {
    await receiver.close();
  }
}

const http = await import('node:http');

function checkComplete(byTrace, i) {
  const spans = byTrace.get(traceIdOf(i));
  assert.ok(spans, `trace of request ${i} (${kindOf(i)}) was not exported`);
  const names = spans.map((s) => s.name).sort();
  assert.deepEqual(names, EXPECTED[kindOf(i)], `trace of request ${i}`);
  assert.ok(spans.some((s) => s.attributes['kind'] === kindOf(i)));
  assert.equal(new Set(spans.map((s) => s.spanId)).size, spans.length, 'no span twice');
}

test(
  '1,000 requests, background 0: exactly the 20 failing, 20 slow and 10 warning traces, each whole',
  { timeout: 180_000 },
  async () => {
    const { byTrace, answers, stderr } = await thousand({ BUD_OBSERVE_TAIL_BACKGROUND_RATE: '0' });
    assert.equal(byTrace.size, 50, `${byTrace.size} traces exported`);
    for (let i = 0; i < 50; i++) checkComplete(byTrace, i);
    // The traceresponse answer: kept where the decision is known as the response is written.
    for (let i = 0; i < 1000; i++) {
      const flag = answers.get(i).traceresponse?.slice(-2);
      const want = kindOf(i) === 'fail' || kindOf(i) === 'warn' ? '01' : '00';
      assert.equal(flag, want, `request ${i} (${kindOf(i)}): traceresponse ${answers.get(i).traceresponse}`);
      assert.ok(answers.get(i).traceresponse.startsWith(`00-${traceIdOf(i)}-`));
    }
    assert.doesNotMatch(stderr, /BUDOBSERVE_/);
  },
);

test(
  '1,000 requests, background 0.1: also about 10% of the others, the same ones in two runs',
  { timeout: 300_000 },
  async () => {
    const env = { BUD_OBSERVE_TAIL_BACKGROUND_RATE: '0.1' };
    const first = await thousand(env);
    const second = await thousand(env);
    // The requests' own traces beyond the first 50 (the /done request has a trace of its own,
    // which the background rate may keep as well).
    const healthy = new Set(Array.from({ length: 950 }, (_, k) => traceIdOf(k + 50)));
    const others = (byTrace) => [...byTrace.keys()].filter((t) => healthy.has(t)).sort();
    const a = others(first.byTrace);
    assert.deepEqual(a, others(second.byTrace), 'the same background traces in both runs');
    assert.ok(a.length >= 60 && a.length <= 135, `${a.length} of 950 other traces kept`);
    const expected = Array.from({ length: 950 }, (_, k) => traceIdOf(k + 50))
      .filter((t) => keptAtRate(t, 0.1))
      .sort();
    assert.deepEqual(a, expected, 'the ones the trace id draws');
    for (let i = 0; i < 1000; i++) if (i < 50 || keptAtRate(traceIdOf(i), 0.1)) checkComplete(first.byTrace, i);
  },
);

const flood = `${fixtures}tail-sampling/flood.mjs`;

async function runFlood(env) {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: flood,
      preload: ['--expose-gc', '--import', register],
      env: {
        BUD_OBSERVE_ENDPOINT: receiver.url,
        BUD_OBSERVE_SERVICE_NAME: 'flood',
        BUD_OBSERVE_TAIL_LEVEL: 'error',
        ...env,
      },
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const early = [
      ...r.stderr.matchAll(
        /\[BUDOBSERVE_TAIL_DECIDED_EARLY\] .*?tail sampling decided (\d+) traces? \((\d+) spans\) early: (.*); (\d+) kept, (\d+) dropped/g,
      ),
    ].map((m) => ({
      traces: Number(m[1]),
      spans: Number(m[2]),
      why: m[3],
      kept: Number(m[4]),
      dropped: Number(m[5]),
      line: m[0],
    }));
    return { r, early, spans: receiver.spans, heap: JSON.parse(r.stdout.trim().split('\n').at(-1)).heapGrowthBytes };
  } finally {
    await receiver.close();
  }
}

test(
  'a flood of never-ending traces stays within the hold budget, says what it decided early, and failing traces still arrive whole',
  { timeout: 180_000 },
  async () => {
    // 2,000 traces of 50 spans that never end: 100,000 spans, ~100 MB if all were held.
    const { early, spans, heap } = await runFlood({
      BUD_OBSERVE_TAIL_MAX_SPANS: '1000',
      BUD_OBSERVE_TAIL_BACKGROUND_RATE: '0',
      TRACES: '2000',
      CHILDREN: '50',
    });
    assert.ok(heap < 40 * 2 ** 20, `heap grew ${(heap / 2 ** 20).toFixed(1)} MiB`);
    assert.ok(early.length >= 1, 'the early decisions are reported');
    const decided = early.reduce((a, e) => a + e.traces, 0);
    assert.ok(
      decided >= 1900 && decided <= 2000,
      `${decided} traces decided early: ${early.map((e) => e.line).join(' | ')}`,
    );
    assert.match(
      early[0].why,
      /^\d+ over the budget of 1000 spans \/ 4194304 bytes \(BUD_OBSERVE_TAIL_MAX_SPANS, _MAX_BYTES\)$/,
    );
    assert.equal(
      early.reduce((a, e) => a + e.kept, 0),
      0,
    );
    // Nothing of the never-ending traces went out (background 0); each failing one did, whole.
    assert.deepEqual(
      spans.filter((s) => /^(open|work) /.test(s.name)),
      [],
    );
    const failing = spans.filter((s) => /^(failing|before|bad) /.test(s.name));
    assert.equal(failing.length, 20 * 3, failing.map((s) => s.name).join(', '));
  },
);

test(
  'a root that never ends is bounded by the longest hold: decided early, kept by the background rate, nothing lost after',
  { timeout: 60_000 },
  async () => {
    const { early, spans } = await runFlood({
      MODE: 'hold',
      BUD_OBSERVE_TAIL_MAX_HOLD: '200ms',
      BUD_OBSERVE_TAIL_BACKGROUND_RATE: '1',
    });
    assert.ok(early.length >= 1);
    assert.match(early[0].why, /^5 held 200 ms \(BUD_OBSERVE_TAIL_MAX_HOLD\)$/);
    assert.equal(early[0].kept, 5);
    const chunks = new Set(spans.filter((s) => s.name.startsWith('chunk ')).map((s) => s.name));
    assert.equal(chunks.size, 250, `${chunks.size} of 250 chunk spans exported`);
  },
);

/** Starts the app as a service and resolves with its base URL and a stop() that ends it. */
async function service(env, { tail = true } = {}) {
  let port;
  const run = runApp({
    script: app,
    env: {
      ...(tail
        ? { BUD_OBSERVE_SAMPLE_RATE: '1', BUD_OBSERVE_TAIL_LEVEL: 'error', BUD_OBSERVE_TAIL_BACKGROUND_RATE: '0' }
        : {}),
      ...env,
    },
    timeoutMs: 60_000,
    onSpawn: (child, out) => {
      port = waitForOutput(out, 'ready', 20_000).then(() => Number(/ready (\d+)/.exec(out.stdout)[1]));
    },
  });
  const url = `http://127.0.0.1:${await port}`;
  return {
    url,
    async stop() {
      await fetch(`${url}/done`).then((r) => r.text());
      const r = await run;
      assert.equal(r.code, 0, r.stderr);
      return r;
    },
  };
}

async function twoServices(paths) {
  const receiver = await startReceiver();
  try {
    const downstream = await service({ BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_SERVICE_NAME: 'downstream' });
    const caller = await service({
      BUD_OBSERVE_ENDPOINT: receiver.url,
      BUD_OBSERVE_SERVICE_NAME: 'caller',
      DOWNSTREAM: downstream.url,
    });
    const traces = {};
    for (const [label, path, traceId] of paths) {
      const res = await fetch(`${caller.url}${path}`, {
        headers: { traceparent: `00-${traceId}-${'2'.repeat(16)}-01` },
      });
      await res.text();
      assert.equal(res.status, 200);
      traces[label] = traceId;
    }
    await caller.stop();
    await downstream.stop();
    const of = (traceId, serviceName) =>
      receiver.spans.filter((s) => s.traceId === traceId && s.resource['service.name'] === serviceName);
    return { traces, of, spans: receiver.spans };
  } finally {
    await receiver.close();
  }
}

test(
  'two services: a trace that failed downstream (answered 200) is kept whole in both, through http.get and fetch()',
  { timeout: 120_000 },
  async () => {
    const ids = ['a', 'b', 'c'].map((k) =>
      createHash('sha256').update(`two-${k}-${Date.now()}`).digest('hex').slice(0, 32),
    );
    const { traces, of } = await twoServices([
      ['http', '/call/recover/1', ids[0]],
      ['fetch', '/call/recover/2?fetch', ids[1]],
      ['healthy', '/call/ok/3', ids[2]],
    ]);
    for (const label of ['http', 'fetch']) {
      const down = of(traces[label], 'downstream')
        .map((s) => s.name)
        .sort();
      assert.deepEqual(down, ['GET', 'flaky', 'handle {kind}', 'step'], `${label}: downstream part`);
      const up = of(traces[label], 'caller');
      assert.deepEqual(up.map((s) => s.name).sort(), ['GET', 'GET', 'handle {kind}', 'step'], `${label}: caller part`);
      const client = up.find((s) => s.kind === 3);
      assert.equal(
        client?.attributes['bud.sampling.kept_downstream'],
        true,
        `${label}: the client span read the downstream's traceresponse`,
      );
      // One trace across both: the downstream's server span is the child of the caller's client span.
      const server = of(traces[label], 'downstream').find((s) => s.name === 'GET');
      assert.equal(server.parentSpanId, client.spanId);
    }
    assert.deepEqual(of(traces.healthy, 'caller'), []);
    assert.deepEqual(of(traces.healthy, 'downstream'), []);
  },
);

test(
  'without tail sampling a service answers no traceresponse (responses are unchanged)',
  { timeout: 60_000 },
  async () => {
    const receiver = await startReceiver();
    try {
      const s = await service({ BUD_OBSERVE_ENDPOINT: receiver.url }, { tail: false });
      const res = await fetch(`${s.url}/fail/1`, {
        headers: { traceparent: `00-${'3'.repeat(32)}-${'2'.repeat(16)}-01` },
      });
      await res.text();
      assert.equal(res.status, 500);
      assert.equal(res.headers.get('traceresponse'), null);
      const r = await s.stop();
      assert.doesNotMatch(r.stderr, /BUDOBSERVE_/);
      // Without tail sampling every trace is exported, as before.
      assert.ok(receiver.spans.some((x) => x.traceId === '3'.repeat(32)));
    } finally {
      await receiver.close();
    }
  },
);

test(
  'decide() in a config file turns tail sampling on by itself; errors are still kept by the default level',
  { timeout: 60_000 },
  async () => {
    const receiver = await startReceiver();
    try {
      let port;
      const run = runApp({
        script: app,
        cwd: `${fixtures}tail-sampling/decide/`,
        env: { BUD_OBSERVE_ENDPOINT: receiver.url },
        onSpawn: (child, out) => {
          port = waitForOutput(out, 'ready', 20_000).then(() => Number(/ready (\d+)/.exec(out.stdout)[1]));
        },
      });
      const base = `http://127.0.0.1:${await port}`;
      for (const path of ['/ok/7', '/ok/8', '/fail/9']) await fetch(`${base}${path}`).then((r) => r.text());
      await fetch(`${base}/done`).then((r) => r.text());
      const r = await run;
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /BUDOBSERVE_/);
      const servers = receiver.spans
        .filter((s) => s.name === 'GET' && s.kind === 2)
        .map((s) => s.attributes['url.path'])
        .sort();
      assert.deepEqual(servers, ['/fail/9', '/ok/7']);
    } finally {
      await receiver.close();
    }
  },
);

test(
  'auto-trace spans follow their trace: a job whose caught failure is a child call is kept whole, the others dropped',
  {
    timeout: 60_000,
    skip: hasSyncLoadHooks ? false : 'this Node cannot run synchronous load hooks (nodejs/node#59929)',
  },
  async () => {
    const receiver = await startReceiver();
    try {
      const dir = `${fixtures}tail-sampling/autotrace/`;
      const r = await runApp({
        script: `${dir}main.mjs`,
        cwd: dir,
        env: {
          BUD_OBSERVE_ENDPOINT: receiver.url,
          BUD_OBSERVE_AUTOTRACE_MODULES: 'src/**',
          BUD_OBSERVE_AUTOTRACE_MIN_DURATION: '1ms',
          BUD_OBSERVE_TAIL_LEVEL: 'error',
          BUD_OBSERVE_TAIL_BACKGROUND_RATE: '0',
        },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'done\n');
      const traces = new Set(receiver.spans.map((s) => s.traceId));
      assert.equal(traces.size, 1, receiver.spans.map((s) => s.name).join(', '));
      assert.deepEqual(receiver.spans.map((s) => s.name).sort(), ['Calling flaky', 'Calling runJob', 'Calling step']);
      const root = receiver.spans.find((s) => s.name === 'Calling runJob');
      for (const s of receiver.spans) if (s !== root) assert.equal(s.parentSpanId, root.spanId);
    } finally {
      await receiver.close();
    }
  },
);
