// Job queues on the machine's real Redis and RabbitMQ, apps unchanged: BullMQ producer and
// worker spans through BullMQ's own telemetry interface, and amqplib publish/consume spans
// with Bud's messaging.* additions. In both, the trace context travels inside the message, so
// one request is one trace: client → server → producer → consumer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, register, registerCjs } from './helpers/run.mjs';
import { requireService } from './helpers/services.mjs';

const SERVER = 2;
const PRODUCER = 4;
const CONSUMER = 5;
const ERROR = 2;

async function run(script, predicate, preload = ['--import', register], extraEnv = {}) {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: `${fixtures}integrations-jobs/${script}`,
      preload,
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_SERVICE_NAME: 'jobs-test', ...extraEnv },
      timeoutMs: 40_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1));
    const spans = await receiver.waitFor((s) => predicate(s, out));
    return { out, spans, stderr: r.stderr };
  } finally {
    await receiver.close();
  }
}

/** The chain of ancestors of `span` by parentSpanId, nearest first. */
function ancestors(spans, span) {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain = [];
  for (let p = byId.get(span.parentSpanId); p !== undefined; p = byId.get(p.parentSpanId)) chain.push(p);
  return chain;
}

/**
 * A job scheduler's runs: each is a trace of its own (its `add` a root PRODUCER span, its
 * processing a child of it), LINKED to what scheduled it — the request that upserted the
 * scheduler, then each previous run's add — instead of one trace that grows with every run
 * (regression: bullmq-scheduler-chains-one-trace).
 */
function checkScheduler(spans, q) {
  const server = spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === '/enqueue');
  const ticks = spans.filter((s) => s.kind === CONSUMER && s.attributes['messaging.bullmq.job.name'] === 'tick');
  assert.ok(ticks.length >= 3, `three scheduled runs processed: ${ticks.length}`);
  assert.equal(new Set(ticks.map((t) => t.traceId)).size, ticks.length, 'each run in a trace of its own');
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const scheduledBy = new Set();
  for (const t of ticks) {
    const add = byId.get(t.parentSpanId);
    assert.equal(add?.kind, PRODUCER, 'a run is processed under the add that scheduled it');
    assert.equal(add.name, `add ${q}`);
    assert.equal(add.parentSpanId, '', 'the add of a scheduled run is the root of its trace');
    assert.equal(add.links.length, 1, 'linked to what scheduled it');
    scheduledBy.add(add.links[0].spanId);
  }
  const roots = ticks.map((t) => byId.get(t.parentSpanId));
  // The first run was scheduled from the request, each later one from the run before.
  const linked = roots.map((a) => byId.get(a.links[0].spanId)).filter((x) => x !== undefined);
  assert.ok(
    linked.some((x) => x.traceId === server.traceId),
    'the first run links to the request that upserted the scheduler',
  );
  assert.ok(linked.filter((x) => roots.includes(x)).length >= 2, "later runs link to the previous run's add");
  assert.ok(scheduledBy.size >= 3);
}

for (const [app, preload] of [
  ['bullmq-app.mjs', ['--import', register]],
  ['bullmq-app.cjs', ['--require', registerCjs]],
])
  test(`bullmq (${app}, ${preload[0]}): add/addBulk/flows are PRODUCER spans under the request, each processing attempt a CONSUMER child of its add, retries and failures shown`, async () => {
    await requireService('redis');
    const { out, spans: all } = await run(
      app,
      (s) => s.filter((x) => x.kind === CONSUMER && x.scope === '@budobserve/instrumentation-bullmq').length >= 10,
      preload,
    );
    assert.equal(out.status, 200);
    assert.equal(out.completed, 6);
    assert.equal(out.failed, 1);
    const q = out.queueName;
    checkScheduler(all, q);
    // The scheduler's runs are traces of their own (checkScheduler); the rest is the request's.
    const tickTraces = new Set(
      all.filter((s) => s.attributes['messaging.bullmq.job.name'] === 'tick').map((s) => s.traceId),
    );
    // (A run scheduled but not processed before the app closed is a linked root add on its own.)
    const spans = all.filter(
      (s) => !tickTraces.has(s.traceId) && !(s.kind === PRODUCER && s.parentSpanId === '' && s.links.length > 0),
    );
    const bull = spans.filter((s) => s.scope === '@budobserve/instrumentation-bullmq');
    assert.ok(
      bull.every((s) => s.kind === PRODUCER || s.kind === CONSUMER),
      `only producer and consumer spans, no INTERNAL noise: ${bull.map((s) => s.name)}`,
    );

    const server = spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === '/enqueue');
    assert.ok(server, 'the request has a server span');
    const adds = bull.filter((s) => s.kind === PRODUCER && s.name === `add ${q}`);
    assert.equal(adds.length, 2, 'one add span per Queue.add');
    const bulk = bull.find((s) => s.kind === PRODUCER && s.name === `addBulk ${q}`);
    assert.ok(bulk, 'addBulk span');
    for (const p of [...adds, bulk]) {
      assert.equal(p.parentSpanId, server.spanId, `${p.name} is a child of the request`);
      assert.equal(p.traceId, server.traceId);
      assert.equal(p.attributes['messaging.system'], 'bullmq');
      assert.equal(p.attributes['messaging.destination.name'], q);
      assert.equal(p.attributes['messaging.operation.type'], 'publish');
    }
    assert.equal(bulk.attributes['messaging.batch.message_count'], 2);
    assert.equal(bulk.attributes['messaging.operation.name'], 'addBulk');

    const addOf = (jobName) => adds.find((s) => s.attributes['messaging.bullmq.job.name'] === jobName);
    const welcomeAdd = addOf('welcome');
    assert.equal(welcomeAdd.attributes['messaging.message.id'], out.ids.welcome);
    assert.equal(welcomeAdd.attributes['messaging.operation.name'], 'add');

    const processes = bull.filter((s) => s.kind === CONSUMER);
    assert.equal(processes.length, 7, 'welcome, flaky twice, bulk-a, bulk-b, flow-child, flow-parent');
    for (const c of processes) {
      assert.equal(c.name, `process ${q}`);
      assert.equal(c.traceId, server.traceId, 'one trace per request across the queue');
      assert.equal(c.attributes['messaging.system'], 'bullmq');
      assert.equal(c.attributes['messaging.destination.name'], q);
      assert.equal(c.attributes['messaging.operation.type'], 'process');
      assert.equal(typeof c.attributes['messaging.message.id'], 'string');
      assert.ok(ancestors(spans, c).includes(server), 'the worker span hangs under the request');
    }
    const welcome = processes.find((c) => c.attributes['messaging.bullmq.job.name'] === 'welcome');
    assert.equal(welcome.parentSpanId, welcomeAdd.spanId, 'PARENT: the worker span is a child of the producer span');
    assert.equal(welcome.attributes['messaging.message.id'], out.ids.welcome);
    assert.equal(welcome.status.code ?? 0, 0);
    for (const c of processes.filter((x) => x.attributes['messaging.bullmq.job.name']?.startsWith('bulk-'))) {
      assert.equal(c.parentSpanId, bulk.spanId, 'bulk jobs are children of the addBulk span');
    }

    const flow = bull.find((s) => s.kind === PRODUCER && s.name === `addFlow ${q}`);
    assert.equal(flow?.parentSpanId, server.spanId, 'FlowProducer.add is a producer span under the request');
    for (const name of ['flow-parent', 'flow-child']) {
      const c = processes.find((x) => x.attributes['messaging.bullmq.job.name'] === name);
      assert.ok(ancestors(spans, c).includes(flow), `${name} is processed under the addFlow span`);
    }

    const flaky = processes
      .filter((c) => c.attributes['messaging.bullmq.job.name'] === 'flaky')
      .sort((a, b) => a.attributes['messaging.bullmq.job.attempts'] - b.attributes['messaging.bullmq.job.attempts']);
    assert.equal(flaky.length, 2, 'two attempts of the flaky job');
    const flakyAdd = addOf('flaky');
    for (const c of flaky) assert.equal(c.parentSpanId, flakyAdd.spanId, 'a retry is again a child of the add');
    const [first, second] = flaky;
    assert.equal(first.attributes['messaging.bullmq.job.attempts'], 1);
    assert.equal(first.status.code, ERROR, 'a failed attempt is an error');
    assert.equal(first.status.message, 'flaky job failed once');
    const exception = first.events.find((e) => e.name === 'exception');
    assert.ok(exception, 'the processor error is recorded');
    assert.equal(exception.attributes['exception.message'], 'flaky job failed once');
    assert.match(exception.attributes['exception.stacktrace'], /bullmq-main\.cjs/, 'with the processor stack');
    assert.ok(second.attributes['messaging.bullmq.job.attempts'] >= 2, 'the retry shows the attempts made');
    assert.notEqual(second.status.code, ERROR);
    assert.ok(
      !first.events.some((e) => 'bullmq.job.result' in (e.attributes ?? {})),
      'job results stay out of telemetry',
    );
  });

test('bullmq switched off by name: no BullMQ spans, the jobs run as before', async () => {
  await requireService('redis');
  const { out, spans } = await run('bullmq-app.mjs', (s) => s.some((x) => x.kind === SERVER), ['--import', register], {
    BUD_OBSERVE_DISABLED_INSTRUMENTATIONS: 'bullmq',
  });
  assert.equal(out.completed, 6);
  assert.equal(out.failed, 1);
  assert.deepEqual(
    spans.filter((s) => s.scope === '@budobserve/instrumentation-bullmq').map((s) => s.name),
    [],
  );
});

test('amqplib: publish spans under the request, consumer spans in the producer trace, with messaging.destination.name', async () => {
  await requireService('rabbitmq');
  const { out, spans } = await run('amqplib-app.mjs', (s) => s.filter((x) => x.kind === CONSUMER).length >= 2);
  assert.equal(out.status, 200);
  assert.deepEqual(out.received, ['direct-to-queue', 'via-exchange']);
  const server = spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === '/publish');
  assert.ok(server);
  const producers = spans.filter((s) => s.kind === PRODUCER && s.scope === '@opentelemetry/instrumentation-amqplib');
  const consumers = spans.filter((s) => s.kind === CONSUMER && s.scope === '@opentelemetry/instrumentation-amqplib');
  assert.equal(producers.length, 2);
  assert.equal(consumers.length, 2);
  const toQueue = producers.find((p) => p.attributes['messaging.rabbitmq.routing_key'] === out.queueName);
  const toExchange = producers.find((p) => p.attributes['messaging.destination'] === out.exchange);
  assert.ok(toQueue && toExchange);
  for (const p of producers) {
    assert.equal(p.parentSpanId, server.spanId, 'publish is a child of the request');
    assert.equal(p.attributes['messaging.system'], 'rabbitmq');
    assert.equal(p.attributes['messaging.operation.type'], 'publish');
  }
  assert.equal(
    toQueue.attributes['messaging.destination.name'],
    out.queueName,
    'default exchange: the routing key alone',
  );
  assert.equal(toExchange.name, `publish ${out.exchange}`);
  assert.equal(toExchange.attributes['messaging.destination.name'], `${out.exchange}:orders`);
  for (const c of consumers) {
    assert.equal(c.traceId, server.traceId, 'the consumer joins the producer trace (context in the message headers)');
    assert.equal(c.attributes['messaging.system'], 'rabbitmq');
    assert.equal(c.attributes['messaging.operation.type'], 'process');
    assert.equal(c.attributes['messaging.destination.subscription.name'], out.queueName);
  }
  const viaQueue = consumers.find((c) => c.attributes['messaging.rabbitmq.routing_key'] === out.queueName);
  const viaExchange = consumers.find((c) => c.attributes['messaging.rabbitmq.routing_key'] === 'orders');
  assert.equal(viaQueue.parentSpanId, toQueue.spanId);
  assert.equal(viaExchange.parentSpanId, toExchange.spanId);
  assert.equal(viaQueue.attributes['messaging.destination.name'], out.queueName);
  assert.equal(viaExchange.attributes['messaging.destination.name'], `${out.exchange}:orders:${out.queueName}`);
});
