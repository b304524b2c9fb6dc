// Dapr over gRPC, apps unchanged: app A (DaprClient, CommunicationProtocolEnum.GRPC) calls app B
// (DaprServer over gRPC) through a loopback fake sidecar that speaks Dapr's runtime protocol
// (dapr.proto.runtime.v1.Dapr, calling the apps' AppCallback) and passes the trace context on
// as daprd does. One request to app A is one trace across both processes and the sidecar hop:
// service invocations (one method fails), state, pub/sub deliveries (one handler fails) and an
// output binding that feeds app B's input binding, with dapr.* attributes. @dapr/dapr >= 3.17 speaks gRPC through
// ConnectRPC over node:http2, which no other instrumentation sees, so the Dapr span is the
// call's CLIENT span and its id is what reaches the sidecar (src/libraries/dapr/grpc.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, waitForOutput } from './helpers/run.mjs';
import { closedPort } from './helpers/net.mjs';
import { startFakeGrpcSidecar } from '../fixtures/integrations-dapr/fake-grpc-sidecar.mjs';

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;
const ERROR = 2;
const SCOPE = '@budobserve/instrumentation-dapr';
const APP_CALLBACK = 'dapr.proto.runtime.v1.AppCallback';

test('dapr over gRPC: client calls are CLIENT/PRODUCER spans whose context reaches the sidecar, AppCallback calls are SERVER spans in the same trace', async () => {
  const receiver = await startReceiver();
  const appPort = await closedPort();
  const sidecar = await startFakeGrpcSidecar({
    appId: 'app-a',
    apps: { 'app-b': appPort },
    bindings: { 'queue-out': { app: 'app-b', name: 'queue-in' } },
  });
  try {
    const env = { BUD_OBSERVE_ENDPOINT: receiver.url, DAPR_GRPC_PORT: String(sidecar.port) };
    let bOut;
    const appB = runApp({
      script: `${fixtures}integrations-dapr/grpc-app-b.mjs`,
      env: { ...env, BUD_OBSERVE_SERVICE_NAME: 'app-b', APP_PORT: String(appPort) },
      onSpawn: (_child, out) => {
        bOut = out;
      },
    });
    await waitForOutput(bOut, 'ready', 20_000);
    const a = await runApp({
      script: `${fixtures}integrations-dapr/grpc-app-a.mjs`,
      env: { ...env, BUD_OBSERVE_SERVICE_NAME: 'app-a' },
    });
    assert.equal(a.code, 0, a.stderr);
    // App B prints what it saw, then stops its server, which waits for the sidecar's session.
    await waitForOutput(bOut, '"invocations"', 20_000);
    sidecar.disconnectApps();
    const b = await appB;
    assert.equal(b.code, 0, b.stderr);
    const out = JSON.parse(a.stdout.trim());
    assert.equal(out.status, 200, out.body);
    assert.deepEqual(JSON.parse(out.body), {
      invoked: { accepted: 42 },
      refund: 'failed',
      stored: { status: 'placed' },
      published: {},
      unpublished: 'failed',
      missing: 'failed',
    });
    assert.deepEqual(JSON.parse(b.stdout.trim().split('\n').at(-1)), {
      invocations: 1,
      events: [{ order: 42 }],
      refunds: 1,
      bindings: [{ order: 42 }],
    });

    const spans = await receiver.waitFor(
      (s) =>
        s.some((x) => x.name === 'dapr process pubsub/orders') &&
        s.some((x) => x.name === 'dapr process pubsub/refunds') &&
        s.some((x) => x.name === 'dapr binding.receive queue-in') &&
        s.some((x) => x.kind === SERVER && x.attributes['url.path'] === '/order'),
    );
    const inA = spans.filter((s) => s.resource['service.name'] === 'app-a');
    const inB = spans.filter((s) => s.resource['service.name'] === 'app-b');
    const request = inA.find((s) => s.kind === SERVER && s.attributes['url.path'] === '/order');
    const dapr = (name) => {
      const found = inA.find((s) => s.name === name && s.scope === SCOPE);
      assert.ok(found, `span ${name}; got ${inA.map((s) => s.name)}`);
      return found;
    };
    const traceparentOf = (span) => `00-${span.traceId}-${span.spanId}-01`;
    /** App B's SERVER span for one AppCallback call. */
    const callback = (method, match) => {
      const found = inB.filter(
        (s) => s.kind === SERVER && s.scope === SCOPE && s.name === `grpc.${APP_CALLBACK}/${method}` && match(s),
      );
      assert.equal(found.length, 1, `one ${method} span; got ${inB.map((s) => s.name)}`);
      const [span] = found;
      assert.equal(span.attributes['rpc.system'], 'grpc');
      assert.equal(span.attributes['rpc.service'], APP_CALLBACK);
      assert.equal(span.attributes['rpc.method'], method);
      assert.equal(span.traceId, request.traceId, `${method}: one trace across the sidecar hop`);
      if (span.status.code !== ERROR) assert.equal(span.attributes['rpc.grpc.status_code'], 0);
      return span;
    };

    const invoke = dapr('dapr invoke app-b/checkout');
    assert.equal(invoke.kind, CLIENT);
    assert.equal(invoke.parentSpanId, request.spanId);
    assert.equal(invoke.attributes['dapr.operation'], 'invoke');
    assert.equal(invoke.attributes['dapr.app_id'], 'app-b');
    assert.equal(invoke.attributes['dapr.method'], 'checkout');
    assert.equal(invoke.attributes['dapr.http_method'], 'POST');
    assert.equal(invoke.attributes['rpc.system'], 'grpc');
    assert.equal(invoke.attributes['rpc.service'], 'dapr.proto.runtime.v1.Dapr');
    assert.equal(invoke.attributes['rpc.method'], 'InvokeService');
    assert.equal(invoke.attributes['server.address'], '127.0.0.1');
    assert.equal(invoke.attributes['server.port'], sidecar.port);
    assert.ok(
      !inA.some((s) => s.parentSpanId === invoke.spanId),
      'no transport span under the Dapr span: it is the gRPC call',
    );
    const invocation = sidecar.record.invocations.find((i) => i.target === 'app-b');
    assert.equal(
      invocation.traceparent,
      traceparentOf(invoke),
      "the Dapr span's context reached the sidecar as traceparent metadata",
    );

    const onInvoke = callback('OnInvoke', (s) => s.attributes['dapr.method'] === 'checkout');
    assert.equal(onInvoke.parentSpanId, invoke.spanId, "app B continues the caller's trace from the metadata");
    assert.equal(onInvoke.attributes['dapr.operation'], 'invoke');
    assert.equal(onInvoke.attributes['dapr.method'], 'checkout');
    assert.equal(onInvoke.attributes['dapr.caller.app_id'], 'app-a');
    assert.equal(onInvoke.attributes['dapr.app_id'], 'app-b');

    // A method that throws: app B's SERVER span records the handler's error with gRPC's
    // UNKNOWN status, and the caller's Dapr span fails with what the sidecar answered.
    const refund = dapr('dapr invoke app-b/refund');
    assert.equal(refund.status.code, ERROR);
    const onRefund = callback('OnInvoke', (s) => s.attributes['dapr.method'] === 'refund');
    assert.equal(onRefund.parentSpanId, refund.spanId);
    assert.equal(onRefund.status.code, ERROR, 'a failing method is an error on the server span');
    assert.equal(onRefund.status.message, 'no refunds today');
    assert.equal(onRefund.attributes['rpc.grpc.status_code'], 2);
    assert.equal(onRefund.attributes['error.type'], 'Error');
    assert.ok(
      onRefund.events.some((e) => e.name === 'exception' && e.attributes['exception.message'] === 'no refunds today'),
    );

    for (const [name, operation, rpc] of [
      ['dapr state.save statestore', 'state.save', 'SaveState'],
      ['dapr state.get statestore', 'state.get', 'GetState'],
    ]) {
      const span = dapr(name);
      assert.equal(span.kind, CLIENT);
      assert.equal(span.parentSpanId, request.spanId);
      assert.equal(span.attributes['dapr.operation'], operation);
      assert.equal(span.attributes['dapr.component'], 'statestore');
      assert.equal(span.attributes['rpc.method'], rpc);
    }

    const publish = dapr('dapr publish pubsub/orders');
    assert.equal(publish.kind, PRODUCER);
    assert.equal(publish.parentSpanId, request.spanId);
    assert.equal(publish.attributes['dapr.component'], 'pubsub');
    assert.equal(publish.attributes['dapr.topic'], 'orders');
    assert.equal(publish.attributes['messaging.system'], 'dapr');
    assert.equal(publish.attributes['messaging.destination.name'], 'orders');
    assert.equal(publish.attributes['rpc.method'], 'PublishEvent');
    assert.equal(sidecar.record.published.find((p) => p.topic === 'orders').traceparent, traceparentOf(publish));
    const delivery = callback('OnTopicEvent', (s) => s.attributes['dapr.topic'] === 'orders');
    assert.equal(delivery.parentSpanId, publish.spanId, 'the delivery joins the publisher trace through the sidecar');
    assert.equal(delivery.attributes['dapr.component'], 'pubsub');
    assert.equal(delivery.attributes['messaging.operation.type'], 'process');
    const consumer = inB.find((s) => s.name === 'dapr process pubsub/orders');
    assert.equal(consumer.kind, CONSUMER);
    assert.equal(consumer.scope, SCOPE);
    assert.equal(consumer.parentSpanId, delivery.spanId, 'the handler span hangs under the delivery');
    assert.equal(consumer.status.code, 0);

    // The refunds handler throws; the SDK swallows it and acknowledges the event, so the
    // delivery is a success and only the handler's span carries the failure.
    const refunds = callback('OnTopicEvent', (s) => s.attributes['dapr.topic'] === 'refunds');
    assert.equal(refunds.parentSpanId, dapr('dapr publish pubsub/refunds').spanId);
    assert.equal(refunds.status.code, 0);
    const failed = inB.find((s) => s.name === 'dapr process pubsub/refunds');
    assert.equal(failed.kind, CONSUMER);
    assert.equal(failed.parentSpanId, refunds.spanId);
    assert.equal(failed.status.code, ERROR, 'a failing handler is an error');
    assert.equal(failed.status.message, 'refund window closed');
    const exception = failed.events.find((e) => e.name === 'exception');
    assert.ok(exception, "the handler's exception is recorded");
    assert.equal(exception.attributes['exception.message'], 'refund window closed');

    // gRPC publish rejects with { error: ConnectError }: the span records the error inside.
    const unpublished = dapr('dapr publish no-pubsub/orders');
    assert.equal(unpublished.status.code, ERROR);
    assert.match(unpublished.status.message, /pubsub no-pubsub not found/);
    assert.equal(unpublished.attributes['error.type'], 'ConnectError');

    const binding = dapr('dapr binding.send queue-out');
    assert.equal(binding.kind, CLIENT);
    assert.equal(binding.attributes['dapr.component'], 'queue-out');
    assert.equal(binding.attributes['dapr.binding.operation'], 'create');
    assert.equal(binding.attributes['rpc.method'], 'InvokeBinding');
    assert.equal(sidecar.record.bindings[0].traceparent, traceparentOf(binding));
    // The sidecar delivers this one with grpc-trace-bin only, as daprd did before W3C metadata.
    const bindingEvent = callback('OnBindingEvent', () => true);
    assert.equal(bindingEvent.parentSpanId, binding.spanId, 'grpc-trace-bin continues the trace too');
    assert.equal(bindingEvent.attributes['dapr.operation'], 'binding.receive');
    assert.equal(bindingEvent.attributes['dapr.component'], 'queue-in');
    const received = inB.find((s) => s.name === 'dapr binding.receive queue-in');
    assert.equal(received.kind, CONSUMER);
    assert.equal(received.parentSpanId, bindingEvent.spanId);

    const missing = dapr('dapr invoke app-missing/ping');
    assert.equal(missing.status.code, ERROR, 'a failed invocation is an error');
    assert.match(missing.status.message, /app app-missing not found/);
    assert.equal(missing.attributes['error.type'], 'ConnectError');
    assert.ok(missing.events.some((e) => e.name === 'exception'));

    // The SDKs polling GetMetadata on start and the sidecar asking ListTopicSubscriptions are
    // untraced: every span there is belongs to the request.
    assert.deepEqual(
      inB.map((x) => x.name).sort(),
      [
        'dapr binding.receive queue-in',
        'dapr process pubsub/orders',
        'dapr process pubsub/refunds',
        ...['OnBindingEvent', 'OnInvoke', 'OnInvoke', 'OnTopicEvent', 'OnTopicEvent'].map(
          (m) => `grpc.${APP_CALLBACK}/${m}`,
        ),
      ],
      'app B has the AppCallback calls and their handlers, once each',
    );
    assert.equal(inA.filter((x) => x.scope === SCOPE).length, 9, 'app A has one span per Dapr call');
    const ofRequest = [...inA, ...inB];
    const traces = new Set(ofRequest.map((x) => x.traceId));
    assert.equal(traces.size, 1, 'every span of the request is in one trace');
  } finally {
    await sidecar.close();
    await receiver.close();
  }
});
