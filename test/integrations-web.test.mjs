// Web frameworks, zero-code: one app per framework (and per Express major) runs under the
// agent, makes its own requests, and the exported span tree is checked: one SERVER span per
// request named `METHOD <route template>` with http.route, method and status; the framework's
// INTERNAL spans under it in the same trace; a handler's sync and async errors as ERROR + an
// `exception` event carrying the handler's own frame on the SERVER span; bud.request.id from
// x-request-id; allow-listed request/response headers on server and client spans, with the
// authorization header scrubbed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures } from './helpers/run.mjs';

const INTERNAL = 1;
const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;
const HTTP_SCOPE = '@opentelemetry/instrumentation-http';

const frameworks = [
  {
    name: 'Express 5',
    script: 'integrations-web/express.mjs',
    scope: '@opentelemetry/instrumentation-express',
    file: /integrations-web[/\\]express\.mjs/,
  },
  {
    name: 'Express 4',
    script: 'versions/express4/app.cjs',
    scope: '@opentelemetry/instrumentation-express',
    file: /versions[/\\]express4[/\\]app\.cjs/,
    stdout: /^200 500 500 4\.\d+\.\d+\n$/,
  },
  {
    name: 'Fastify 5',
    script: 'integrations-web/fastify.mjs',
    scope: '@fastify/otel',
    file: /integrations-web[/\\]fastify\.mjs/,
  },
  {
    name: 'Koa 3 + @koa/router',
    script: 'integrations-web/koa.mjs',
    scope: '@opentelemetry/instrumentation-koa',
    file: /integrations-web[/\\]koa\.mjs/,
  },
  {
    name: 'NestJS 12 (platform-express)',
    script: 'integrations-web/nestjs.mjs',
    scope: '@opentelemetry/instrumentation-nestjs-core',
    file: /integrations-web[/\\]nestjs\.mjs/,
  },
  // Hono gets no INTERNAL spans: its integration only names and enriches the SERVER span.
  {
    name: 'Hono (@hono/node-server)',
    script: 'integrations-web/hono.mjs',
    scope: undefined,
    file: /integrations-web[/\\]hono\.mjs/,
  },
];

const CAPTURE = {
  BUD_OBSERVE_CAPTURE_REQUEST_HEADERS: 'authorization,x-tenant',
  BUD_OBSERVE_CAPTURE_RESPONSE_HEADERS: 'content-type',
};

async function run(script, env = {}) {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: `${fixtures}${script}`,
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_SERVICE_NAME: 'web-test', ...env },
    });
    assert.equal(r.code, 0, r.stderr);
    const spans = await receiver.waitFor((s) => s.filter((x) => x.kind === SERVER).length >= 3);
    return { r, spans };
  } finally {
    await receiver.close();
  }
}

/** Whether `span` descends from `ancestor` through exported parents. */
function under(span, ancestor, byId) {
  for (let p = byId.get(span.parentSpanId); p !== undefined; p = byId.get(p.parentSpanId))
    if (p === ancestor) return true;
  return false;
}

const serverFor = (spans, path) => {
  const found = spans.filter((s) => s.kind === SERVER && s.scope === HTTP_SCOPE && s.attributes['url.path'] === path);
  assert.equal(found.length, 1, `one SERVER span for ${path}: ${spans.map((s) => `${s.kind}:${s.name}`).join(', ')}`);
  return found[0];
};

for (const fw of frameworks) {
  test(`${fw.name}: SERVER span per request named by route, errors with the handler's stack, request id, captured headers`, async () => {
    const { r, spans } = await run(fw.script, CAPTURE);
    assert.match(r.stdout, fw.stdout ?? /^200 500 500\n$/);
    const byId = new Map(spans.map((s) => [s.spanId, s]));

    // The parameterised route.
    const user = serverFor(spans, '/users/42');
    assert.equal(user.name, 'GET /users/:id');
    assert.equal(user.attributes['http.route'], '/users/:id');
    assert.equal(user.attributes['http.request.method'], 'GET');
    assert.equal(user.attributes['http.response.status_code'], 200);
    assert.equal(user.status.code, 0);
    assert.equal(user.attributes['bud.request.id'], 'req-42');
    assert.deepEqual(user.attributes['http.request.header.x-tenant'], ['acme']);
    assert.match(String(user.attributes['http.request.header.authorization']), /^\[Scrubbed due to 'auth'\]$/);
    assert.ok(!JSON.stringify(user.attributes).includes('sk-live-abc123'), 'the bearer token never leaves the process');
    assert.match(String(user.attributes['http.response.header.content-type']), /^application\/json/);

    // The client span the fixture made: parent of the server span, same headers captured and scrubbed.
    const client = byId.get(user.parentSpanId);
    assert.equal(client?.kind, CLIENT, 'the server span joins the client trace');
    assert.equal(client.traceId, user.traceId);
    assert.deepEqual(client.attributes['http.request.header.x-tenant'], ['acme']);
    assert.match(String(client.attributes['http.request.header.authorization']), /^\[Scrubbed due to 'auth'\]$/);
    assert.match(String(client.attributes['http.response.header.content-type']), /^application\/json/);

    // One trace per request; the framework's spans are INTERNAL, under that request's SERVER span.
    const servers = [user, serverFor(spans, '/boom'), serverFor(spans, '/boom-async')];
    assert.equal(new Set(servers.map((s) => s.traceId)).size, 3, 'one trace per request');
    if (fw.scope !== undefined) {
      for (const server of servers) {
        const own = spans.filter((s) => s.scope === fw.scope && s.traceId === server.traceId);
        assert.ok(own.length > 0, `${fw.scope} spans in the trace of ${server.name}`);
        for (const s of own) {
          assert.equal(s.kind, INTERNAL, `${s.name} is INTERNAL`);
          assert.ok(under(s, server, byId), `${s.name} sits under ${server.name}`);
        }
      }
      const fwSpans = spans.filter((s) => s.scope === fw.scope && s.name !== 'Create Nest App');
      assert.ok(
        fwSpans.every((s) => servers.some((x) => x.traceId === s.traceId)),
        'no framework span outside a request trace',
      );
      assert.ok(
        spans
          .filter((s) => s.scope === fw.scope && s.traceId === user.traceId)
          .every((s) => s.attributes['bud.request.id'] === 'req-42'),
        'bud.request.id on the spans below',
      );
    }
    // Express 5 routes through the `router` package: with the router instrumentation on too,
    // every middleware and handler span came twice (regression: express5-duplicate-router-spans).
    const userTrace = spans.filter((s) => s.traceId === user.traceId && s.kind === INTERNAL);
    assert.deepEqual(
      spans.filter((s) => s.scope === '@opentelemetry/instrumentation-router'),
      [],
      'no router-instrumentation spans',
    );
    assert.equal(
      new Set(userTrace.map((s) => s.name)).size,
      userTrace.length,
      `each framework span once: ${userTrace.map((s) => s.name).join(', ')}`,
    );

    // Errors: ERROR on the SERVER span, 500, the exception with the handler's own frame.
    for (const [path, route, fn, message] of [
      ['/boom', '/boom', 'boomSync', 'sync boom'],
      ['/boom-async', '/boom-async', 'boomAsync', 'async boom'],
    ]) {
      const server = serverFor(spans, path);
      assert.equal(server.name, `GET ${route}`);
      assert.equal(server.attributes['http.route'], route);
      assert.equal(server.attributes['http.response.status_code'], 500);
      assert.equal(server.status.code, ERROR);
      assert.equal(server.status.message, message);
      const events = server.events.filter((e) => e.name === 'exception');
      assert.equal(events.length, 1, `one exception event on ${server.name}`);
      assert.equal(events[0].attributes['exception.message'], message);
      const stack = String(events[0].attributes['exception.stacktrace']);
      assert.match(stack, new RegExp(`at (async )?(\\S+\\.)?${fn} \\(`), `the handler's frame in ${stack}`);
      assert.match(stack, fw.file, `the fixture's file in ${stack}`);
    }
  });
}

test('BUD_OBSERVE_DISABLED_INSTRUMENTATIONS=fastify leaves Fastify to the http instrumentation alone', async () => {
  const { spans } = await run('integrations-web/fastify.mjs', { BUD_OBSERVE_DISABLED_INSTRUMENTATIONS: 'fastify' });
  assert.equal(spans.filter((s) => s.scope === '@fastify/otel').length, 0, 'no @fastify/otel spans');
  const user = serverFor(spans, '/users/42');
  assert.equal(user.name, 'GET', 'no route to name the span by');
  assert.equal(user.attributes['http.route'], undefined);
  assert.equal(user.attributes['bud.request.id'], 'req-42', 'the http instrumentation still reads the request id');
  assert.equal(serverFor(spans, '/boom').events.length, 0, 'no framework error reaches the server span');
  assert.ok(
    !Object.keys(user.attributes).some((k) => k.startsWith('http.request.header.')),
    'no header captured unless configured',
  );
});
