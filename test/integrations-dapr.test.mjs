// Dapr over HTTP, apps unchanged: app A (DaprClient) calls app B (DaprServer) through a
// loopback fake sidecar that speaks Dapr's HTTP API v1.0 and passes traceparent on as daprd
// does. One request to app A is one trace across both processes and the sidecar hop:
// service invocation, state, pub/sub delivery and an output binding, with dapr.* attributes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, waitForOutput } from './helpers/run.mjs';
import { closedPort } from './helpers/net.mjs';
import { startFakeSidecar } from '../fixtures/integrations-dapr/fake-sidecar.mjs';

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;
const ERROR = 2;
const SCOPE = '@budobserve/instrumentation-dapr';

test('dapr: client calls are CLIENT/PRODUCER spans, the sidecar hop keeps one trace into app B, server spans carry dapr.*', async () => {
  const receiver = await startReceiver();
  const appPort = await closedPort();
  const sidecar = await startFakeSidecar({ appId: 'app-a', apps: { 'app-b': appPort } });
  try {
    const env = { BUD_OBSERVE_ENDPOINT: receiver.url, DAPR_HTTP_PORT: String(sidecar.port) };
    let bOut;
    const appB = runApp({
      script: `${fixtures}integrations-dapr/app-b.mjs`,
      env: { ...env, BUD_OBSERVE_SERVICE_NAME: 'app-b', APP_PORT: String(appPort) },
      onSpawn: (_child, out) => {
        bOut = out;
      },
    });
    await waitForOutput(bOut, 'ready', 20_000);
    const a = await runApp({
      script: `${fixtures}integrations-dapr/app-a.mjs`,
      env: { ...env, BUD_OBSERVE_SERVICE_NAME: 'app-a' },
    });
    assert.equal(a.code, 0, a.stderr);
    const b = await appB;
    assert.equal(b.code, 0, b.stderr);
    const out = JSON.parse(a.stdout.trim());
    assert.equal(out.status, 200, out.body);
    assert.deepEqual(JSON.parse(out.body), {
      invoked: { accepted: 42 },
      stored: { status: 'placed' },
      published: {},
      missing: 'failed',
    });
    assert.equal(sidecar.record.delivered[0]?.status, 200, 'the event reached app B');

    const spans = await receiver.waitFor(
      (s) =>
        s.some((x) => x.name === 'dapr process pubsub/orders') &&
        s.some((x) => x.kind === SERVER && x.attributes['url.path'] === '/order') &&
        s.filter((x) => x.resource['service.name'] === 'app-b' && x.kind === SERVER).length >= 2,
    );
    const inA = spans.filter((s) => s.resource['service.name'] === 'app-a');
    const inB = spans.filter((s) => s.resource['service.name'] === 'app-b');
    const request = inA.find((s) => s.kind === SERVER && s.attributes['url.path'] === '/order');
    const dapr = (name) => {
      const found = inA.find((s) => s.name === name && s.scope === SCOPE);
      assert.ok(found, `span ${name}; got ${inA.map((s) => s.name)}`);
      return found;
    };
    /** The SDK's HTTP request to the sidecar, a child of the Dapr span. */
    const httpChild = (span) => {
      const children = inA.filter((s) => s.parentSpanId === span.spanId && s.kind === CLIENT && s.scope !== SCOPE);
      assert.ok(children.length >= 1, `${span.name} has the SDK's HTTP request as a child`);
      return children.at(-1);
    };

    const invoke = dapr('dapr invoke app-b/checkout');
    assert.equal(invoke.kind, CLIENT);
    assert.equal(invoke.parentSpanId, request.spanId);
    assert.equal(invoke.attributes['dapr.operation'], 'invoke');
    assert.equal(invoke.attributes['dapr.app_id'], 'app-b');
    assert.equal(invoke.attributes['dapr.method'], 'checkout');
    assert.equal(invoke.attributes['dapr.http_method'], 'POST');
    const invokeHttp = httpChild(invoke);
    const invocation = sidecar.record.invocations.find((i) => i.target === 'app-b');
    assert.equal(
      invocation.traceparent,
      `00-${invoke.traceId}-${invokeHttp.spanId}-01`,
      'traceparent of the SDK request reached the sidecar',
    );

    const bServer = inB.find((s) => s.kind === SERVER && s.attributes['url.path'] === '/checkout');
    assert.ok(bServer, 'app B has a server span for the invocation');
    assert.equal(bServer.traceId, request.traceId, 'one trace across the sidecar hop');
    assert.equal(bServer.parentSpanId, invokeHttp.spanId);
    assert.equal(bServer.attributes['dapr.operation'], 'invoke');
    assert.equal(bServer.attributes['dapr.method'], 'checkout');
    assert.equal(bServer.attributes['dapr.caller.app_id'], 'app-a');
    assert.equal(bServer.attributes['dapr.app_id'], 'app-b');

    for (const [name, operation] of [
      ['dapr state.save statestore', 'state.save'],
      ['dapr state.get statestore', 'state.get'],
    ]) {
      const span = dapr(name);
      assert.equal(span.kind, CLIENT);
      assert.equal(span.parentSpanId, request.spanId);
      assert.equal(span.attributes['dapr.operation'], operation);
      assert.equal(span.attributes['dapr.component'], 'statestore');
      httpChild(span);
    }

    const publish = dapr('dapr publish pubsub/orders');
    assert.equal(publish.kind, PRODUCER);
    assert.equal(publish.parentSpanId, request.spanId);
    assert.equal(publish.attributes['dapr.component'], 'pubsub');
    assert.equal(publish.attributes['dapr.topic'], 'orders');
    assert.equal(publish.attributes['messaging.system'], 'dapr');
    assert.equal(publish.attributes['messaging.destination.name'], 'orders');
    const publishHttp = httpChild(publish);
    const delivery = inB.find((s) => s.kind === SERVER && s.attributes['dapr.topic'] === 'orders');
    assert.ok(delivery, 'app B has a server span for the delivery, with dapr.topic');
    assert.equal(delivery.traceId, request.traceId);
    assert.equal(
      delivery.parentSpanId,
      publishHttp.spanId,
      'the delivery joins the publisher trace through the sidecar',
    );
    assert.equal(delivery.attributes['dapr.component'], 'pubsub');
    const consumer = inB.find((s) => s.name === 'dapr process pubsub/orders');
    assert.equal(consumer.kind, CONSUMER);
    assert.equal(consumer.scope, SCOPE);
    assert.equal(consumer.traceId, request.traceId);
    assert.ok(
      inB.some((s) => s.spanId === consumer.parentSpanId && s.traceId === delivery.traceId),
      'the handler span hangs under the delivery request',
    );
    assert.equal(consumer.attributes['messaging.operation.type'], 'process');

    const binding = dapr('dapr binding.send queue-out');
    assert.equal(binding.kind, CLIENT);
    assert.equal(binding.attributes['dapr.component'], 'queue-out');
    assert.equal(binding.attributes['dapr.binding.operation'], 'create');
    assert.equal(sidecar.record.bindings[0].traceparent?.split('-')[1], request.traceId);

    const missing = dapr('dapr invoke app-missing/ping');
    assert.equal(missing.status.code, ERROR, 'a failed invocation is an error');
    assert.ok(missing.events.some((e) => e.name === 'exception'));

    // App B's own start-up (the SDK polling the sidecar's /metadata) and the sidecar reading
    // /dapr/subscribe are traces of their own; everything else belongs to the request.
    const ofRequest = [
      ...inA,
      ...inB.filter((x) => x.kind === SERVER && x.attributes['url.path'] !== '/dapr/subscribe'),
      ...inB.filter((x) => x.scope === SCOPE),
    ];
    const traces = new Set(ofRequest.map((x) => x.traceId));
    assert.equal(traces.size, 1, 'every span of the request is in one trace');
  } finally {
    await sidecar.close();
    await receiver.close();
  }
});
