// Context never leaks between concurrent requests: 1,000 requests at once, each doing timers,
// promises, a stream, an outgoing HTTP call and an EventEmitter shared across requests
// (fixtures/reliability/context.mjs). Every span carries its request's tag from the
// handler's closure; grouped by traceId, every trace must hold exactly its own request's spans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { startCollector } from './helpers/faulty-collector.mjs';
import { startApp } from './helpers/fault-scenarios.mjs';
import { fixtures } from './helpers/run.mjs';

const REQUESTS = 1000;
const SERVER = 2;
const CLIENT = 3;

function get(port, tag, agent) {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: `/work?tag=${tag}`, headers: { 'x-tag': tag }, agent },
      (res) => {
        let body = '';
        res
          .setEncoding('utf8')
          .on('data', (c) => {
            body += c;
          })
          .on('end', () => resolve({ status: res.statusCode, body }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

test(
  `${REQUESTS} concurrent requests: every trace holds exactly its own request's spans`,
  { timeout: 120_000 },
  async (t) => {
    const collector = await startCollector();
    const app = await startApp({
      script: `${fixtures}reliability/context.mjs`,
      env: {
        BUD_OBSERVE_ENDPOINT: collector.url,
        OTEL_BSP_MAX_QUEUE_SIZE: '20000',
        BUD_OBSERVE_SHUTDOWN_TIMEOUT: '10000',
        OTEL_METRICS_EXPORTER: 'none',
      },
    });
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    const tags = Array.from({ length: REQUESTS }, (_, i) => `req-${i}-${Math.random().toString(36).slice(2, 8)}`);
    let responses;
    try {
      const t0 = performance.now();
      responses = await Promise.all(tags.map((tag) => get(app.port, tag, agent)));
      t.diagnostic(`${REQUESTS} concurrent requests answered in ${Math.round(performance.now() - t0)} ms`);
    } finally {
      agent.destroy();
      app.child.kill('SIGTERM'); // the agent flushes everything, then the process dies of the signal
      await new Promise((r) => app.child.once('exit', r));
      await collector.close();
    }
    responses.forEach((r, i) => assert.deepEqual(r, { status: 200, body: tags[i] }));
    assert.deepEqual(app.out.stderr, '', 'no warning: nothing dropped');

    const spans = collector.accepted();
    const traces = new Map();
    for (const s of spans) {
      const list = traces.get(s.traceId) ?? [];
      list.push(s);
      traces.set(s.traceId, list);
    }
    let listeners = 0;
    let crossRequest = 0;
    const problems = [];
    for (const [traceId, list] of traces) {
      const roots = list.filter((s) => s.parentSpanId === '');
      const tag = roots[0]?.attributes['test.tag'];
      const count = (pred) => list.filter(pred).length;
      const wrong = list.filter((s) =>
        s.kind === CLIENT
          ? !String(s.attributes['url.full'] ?? s.attributes['http.url']).includes(`tag=${tag}`)
          : s.attributes['test.tag'] !== tag,
      );
      if (roots.length !== 1 || roots[0].kind !== SERVER) problems.push(`${traceId}: ${roots.length} roots`);
      else if (wrong.length > 0)
        problems.push(
          `${traceId} (${tag}): holds spans of ${wrong.map((s) => `${s.name}=${s.attributes['test.tag'] ?? s.attributes['url.full']}`).join(', ')}`,
        );
      else if (
        count((s) => s.kind === SERVER) !== 2 ||
        count((s) => s.kind === CLIENT) !== 1 ||
        ['timer', 'promise', 'stream'].some((n) => count((s) => s.name === n) !== 1)
      ) {
        problems.push(
          `${traceId} (${tag}): spans ${list
            .map((s) => s.name)
            .sort()
            .join(', ')}`,
        );
      }
      for (const s of list.filter((x) => x.name === 'listener')) {
        listeners++;
        if (s.attributes['test.registered_by'] !== tag) crossRequest++;
      }
    }
    t.diagnostic(
      `${spans.length} spans in ${traces.size} traces; ${listeners} EventEmitter listener spans, ${crossRequest} of them registered by another request`,
    );
    assert.deepEqual(problems.slice(0, 10), [], `${problems.length} traces are wrong`);
    assert.equal(traces.size, REQUESTS, 'one trace per request');
    assert.deepEqual(
      new Set([...traces.values()].map((l) => l.find((s) => s.parentSpanId === '').attributes['test.tag'])),
      new Set(tags),
    );
    assert.ok(crossRequest > REQUESTS / 2, 'the shared emitter fired listeners across requests');
    assert.equal(spans.length, REQUESTS * 6 + listeners, 'no span lost or duplicated');
  },
);
