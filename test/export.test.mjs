// The agent exports HTTP server and client spans over OTLP, configured by environment
// variables alone, from ES module and CommonJS apps, with --import and --require, in both
// OTLP/HTTP encodings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, register, registerCjs } from './helpers/run.mjs';

const SERVER = 2;
const CLIENT = 3;

const cases = [
  { app: 'http/app.mjs', preload: ['--import', register], protocol: 'http/protobuf' },
  { app: 'http/app.mjs', preload: ['--import', register], protocol: 'http/json' },
  { app: 'http/app.cjs', preload: ['--require', registerCjs], protocol: 'http/protobuf' },
  { app: 'http/app.cjs', preload: ['--require', registerCjs], protocol: 'http/json' },
];

for (const c of cases) {
  test(`${c.app} with ${c.preload[0]} exports server and client spans over ${c.protocol}`, async () => {
    const receiver = await startReceiver();
    try {
      const r = await runApp({
        script: `${fixtures}${c.app}`,
        preload: c.preload,
        env: {
          BUD_OBSERVE_ENDPOINT: receiver.url,
          BUD_OBSERVE_PROTOCOL: c.protocol,
          BUD_OBSERVE_SERVICE_NAME: 'export-test',
          BUD_OBSERVE_ENVIRONMENT: 'ci',
          BUD_OBSERVE_PROJECT_ID: 'proj-1',
          BUD_OBSERVE_ENDPOINT_ID: 'ep-2',
          BUD_OBSERVE_MODEL_ID: 'model-3',
          BUD_OBSERVE_CLUSTER_ID: 'cluster-4',
          BUD_OBSERVE_TOKEN: 'tok-secret',
        },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '200 hello /greet?name=bud\n');
      assert.equal(r.stderr, '', 'nothing on stderr');
      const spans = await receiver.waitFor((s) => s.some((x) => x.kind === SERVER) && s.some((x) => x.kind === CLIENT));
      const server = spans.find((s) => s.kind === SERVER);
      const client = spans.find((s) => s.kind === CLIENT);
      assert.equal(server.traceId, client.traceId, 'server span joins the client trace (W3C traceparent)');
      assert.equal(server.parentSpanId, client.spanId);
      assert.equal(server.attributes['http.response.status_code'] ?? server.attributes['http.status_code'], 200);
      assert.equal(server.scope, '@opentelemetry/instrumentation-http');
      const res = server.resource;
      assert.equal(res['service.name'], 'export-test');
      assert.equal(res['deployment.environment.name'], 'ci');
      assert.equal(res['bud.project.id'], 'proj-1');
      assert.equal(res['bud.endpoint.id'], 'ep-2');
      assert.equal(res['bud.model.id'], 'model-3');
      assert.equal(res['bud.cluster.id'], 'cluster-4');
      assert.equal(res['telemetry.distro.name'], 'budobserve');
      assert.match(String(res['service.instance.id']), /^[0-9a-f-]{36}$/);
      const traceReq = receiver.received.requests.find((q) => q.path === '/v1/traces');
      assert.equal(traceReq.contentType, c.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf');
      assert.equal(traceReq.headers.authorization, 'Bearer tok-secret');
    } finally {
      await receiver.close();
    }
  });
}

test('fetch() gets a client span (the undici instrumentation starts on the first call) and fetch stays fetch', async () => {
  const receiver = await startReceiver();
  try {
    const plain = await runApp({ script: `${fixtures}fetch/app.mjs`, preload: [] });
    const r = await runApp({ script: `${fixtures}fetch/app.mjs`, env: { BUD_OBSERVE_ENDPOINT: receiver.url } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, plain.stdout, 'same name, length and type of fetch as without the agent');
    const spans = await receiver.waitFor((s) => s.some((x) => x.kind === CLIENT) && s.some((x) => x.kind === SERVER));
    const client = spans.find((s) => s.kind === CLIENT);
    const server = spans.find((s) => s.kind === SERVER);
    assert.equal(client.scope, '@opentelemetry/instrumentation-undici');
    assert.equal(server.parentSpanId, client.spanId, 'traceparent injected by fetch');
  } finally {
    await receiver.close();
  }
});

test('Express 5 app (ESM importing CommonJS): route-named server span with express and router spans under it', async () => {
  const receiver = await startReceiver();
  try {
    const r = await runApp({ script: `${fixtures}express-one/app.mjs`, env: { BUD_OBSERVE_ENDPOINT: receiver.url } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const spans = await receiver.waitFor((s) => s.some((x) => x.scope === '@opentelemetry/instrumentation-express'));
    const server = spans.find((s) => s.kind === SERVER);
    assert.equal(server.name, 'GET /hello/:name');
    assert.equal(server.attributes['http.route'], '/hello/:name');
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const express = spans.find((s) => s.scope === '@opentelemetry/instrumentation-express');
    let p = express;
    while (p.parentSpanId && byId.has(p.parentSpanId) && p !== server) p = byId.get(p.parentSpanId);
    assert.equal(p, server, 'express spans descend from the server span');
  } finally {
    await receiver.close();
  }
});

test('metrics go to /v1/metrics: the HTTP duration histograms', async () => {
  const receiver = await startReceiver();
  try {
    const r = await runApp({ script: `${fixtures}http/app.mjs`, env: { BUD_OBSERVE_ENDPOINT: receiver.url } });
    assert.equal(r.code, 0, r.stderr);
    const metrics = receiver.received.requests.filter((q) => q.path === '/v1/metrics');
    assert.ok(metrics.length >= 1, 'metrics exported at exit');
    const body = Buffer.concat(metrics.map((q) => q.body)).toString('latin1');
    assert.ok(body.includes('http.server.request.duration'), 'server duration histogram');
    assert.ok(body.includes('http.client.request.duration'), 'client duration histogram');
  } finally {
    await receiver.close();
  }
});

test('log records go to /v1/logs (the logs SDK loads on the first record)', async () => {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: `${fixtures}logs/app.mjs`,
      env: {
        BUD_OBSERVE_ENDPOINT: receiver.url,
        BUD_OBSERVE_PROTOCOL: 'http/json',
        BUD_OBSERVE_SERVICE_NAME: 'logs-test',
      },
    });
    assert.equal(r.code, 0, r.stderr);
    const logs = receiver.received.requests.filter((q) => q.path === '/v1/logs');
    assert.equal(logs.length, 1);
    const body = JSON.parse(logs[0].body.toString('utf8'));
    const record = body.resourceLogs[0].scopeLogs[0].logRecords[0];
    assert.equal(record.body.stringValue, 'disk almost full');
    assert.equal(record.severityText, 'WARN');
    assert.equal(
      body.resourceLogs[0].resource.attributes.find((a) => a.key === 'service.name').value.stringValue,
      'logs-test',
    );
  } finally {
    await receiver.close();
  }
});

test('OTLP/gRPC: spans, metrics and logs over gRPC with the token as metadata', async () => {
  const { startGrpcReceiver } = await import('./helpers/grpc-receiver.mjs');
  const receiver = await startGrpcReceiver();
  try {
    const r = await runApp({
      script: `${fixtures}http/app.mjs`,
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_PROTOCOL: 'grpc', BUD_OBSERVE_TOKEN: 'grpc-tok' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.ok(receiver.received.spans.some((s) => s.kind === SERVER));
    assert.ok(receiver.received.spans.some((s) => s.kind === CLIENT));
    const traceCall = receiver.received.calls.find((c) => c.signal === 'trace');
    assert.equal(traceCall.metadata.authorization, 'Bearer grpc-tok');
    assert.ok(receiver.received.calls.some((c) => c.signal === 'metrics'));
  } finally {
    await receiver.close();
  }
});
