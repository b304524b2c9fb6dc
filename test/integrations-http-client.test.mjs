// HTTP clients: fetch (undici), http, https and axios each make a CLIENT span with method, URL
// and status, and inject a W3C traceparent that names that span. The receiving servers live in
// this (uninstrumented) test process and record the headers they get.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures } from './helpers/run.mjs';
import { closedPort } from './helpers/net.mjs';

const CLIENT = 3;
const ERROR = 2;

async function listen(server) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server.address().port;
}

test('fetch, http, https and axios: CLIENT spans whose id the downstream receives in traceparent', async () => {
  const seen = new Map();
  const handler = (req, res) => {
    seen.set(req.headers['x-call'], req.headers.traceparent);
    res
      .writeHead(req.url.startsWith('/missing') ? 404 : 200, { 'content-type': 'application/json' })
      .end('{"ok":true}');
  };
  const plain = createServer(handler);
  const secure = createTlsServer(
    {
      key: readFileSync(`${fixtures}integrations-data/loopback-tls.key.pem`),
      cert: readFileSync(`${fixtures}integrations-data/loopback-tls.cert.pem`),
    },
    handler,
  );
  const receiver = await startReceiver();
  try {
    const plainPort = await listen(plain);
    const securePort = await listen(secure);
    const r = await runApp({
      script: `${fixtures}integrations-data/http-client-app.mjs`,
      args: [`http://127.0.0.1:${plainPort}`, `https://127.0.0.1:${securePort}`],
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_SERVICE_NAME: 'http-client-test' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'fetch 200\nhttp 200\nhttps 200\naxios 200\nfetch-404 404\n');
    const spans = await receiver.waitFor((s) => s.filter((x) => x.kind === CLIENT).length >= 5);
    const clients = spans.filter((s) => s.kind === CLIENT);

    const cases = [
      {
        call: 'fetch',
        scope: '@opentelemetry/instrumentation-undici',
        url: `http://127.0.0.1:${plainPort}/items/1?via=fetch`,
        port: plainPort,
        status: 200,
      },
      {
        call: 'http',
        scope: '@opentelemetry/instrumentation-http',
        url: `http://127.0.0.1:${plainPort}/items/2?via=http`,
        port: plainPort,
        status: 200,
      },
      {
        call: 'https',
        scope: '@opentelemetry/instrumentation-http',
        url: `https://127.0.0.1:${securePort}/items/3?via=https`,
        port: securePort,
        status: 200,
      },
      {
        call: 'axios',
        scope: '@opentelemetry/instrumentation-http',
        url: `http://127.0.0.1:${plainPort}/items/4?via=axios`,
        port: plainPort,
        status: 200,
      },
      {
        call: 'fetch-404',
        scope: '@opentelemetry/instrumentation-undici',
        url: `http://127.0.0.1:${plainPort}/missing`,
        port: plainPort,
        status: 404,
      },
    ];
    for (const c of cases) {
      const span = clients.find((s) => s.attributes['url.full'] === c.url);
      assert.ok(span, `a client span for ${c.call}; got ${clients.map((s) => s.attributes['url.full']).join(', ')}`);
      assert.equal(span.scope, c.scope, c.call);
      assert.equal(span.name, 'GET', c.call);
      assert.equal(span.attributes['http.request.method'], 'GET', c.call);
      assert.equal(span.attributes['http.response.status_code'], c.status, c.call);
      assert.equal(span.attributes['server.address'], '127.0.0.1', c.call);
      assert.equal(span.attributes['server.port'], c.port, c.call);
      // Semconv: a 4xx/5xx answer makes a CLIENT span an error (a SERVER span only on 5xx).
      if (c.status >= 400) assert.equal(span.status.code, ERROR, c.call);
      else assert.notEqual(span.status.code, ERROR, c.call);
      const traceparent = seen.get(c.call);
      assert.equal(traceparent, `00-${span.traceId}-${span.spanId}-01`, `${c.call}: traceparent names the client span`);
      assert.ok(
        !Object.keys(span.attributes).some((k) => /^http\.(request|response)\.header\./.test(k)),
        `${c.call}: no header captured unless configured`,
      );
    }
  } finally {
    plain.close();
    secure.close();
    await receiver.close();
  }
});

test('fetch and http client spans record the configured request and response headers', async () => {
  const server = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  const receiver = await startReceiver();
  try {
    const port = await listen(server);
    const r = await runApp({
      script: `${fixtures}integrations-data/http-client-app.mjs`,
      // No https server: the fixture's https call fails after the fetch and http ones.
      args: [`http://127.0.0.1:${port}`, `https://127.0.0.1:${await closedPort()}`],
      env: {
        BUD_OBSERVE_ENDPOINT: receiver.url,
        BUD_OBSERVE_CAPTURE_REQUEST_HEADERS: 'x-call',
        BUD_OBSERVE_CAPTURE_RESPONSE_HEADERS: 'content-type',
      },
    });
    assert.match(r.stdout, /^fetch 200\nhttp 200\n/);
    const spans = await receiver.waitFor((s) => s.filter((x) => x.kind === CLIENT).length >= 2);
    for (const [call, scope] of [
      ['fetch', '@opentelemetry/instrumentation-undici'],
      ['http', '@opentelemetry/instrumentation-http'],
    ]) {
      const span = spans.find((s) => s.kind === CLIENT && s.attributes['url.full']?.endsWith(`via=${call}`));
      assert.equal(span?.scope, scope, call);
      assert.deepEqual(span.attributes['http.request.header.x-call'], [call], call);
      assert.deepEqual(span.attributes['http.response.header.content-type'], ['application/json'], call);
    }
  } finally {
    server.close();
    await receiver.close();
  }
});
