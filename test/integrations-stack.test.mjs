// The web + SQL + Redis + HTTP-client family fixture (fixtures/integrations-data/stack-app.mjs)
// under the agent, unchanged: the exported span tree of one request. The Express server span is
// the root; the pg, postgres.js, mysql2, ioredis, fetch and axios spans hang under it in one
// trace, siblings under the route's handler; the downstream service's server span is the child
// of the client span that called it (W3C traceparent).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures } from './helpers/run.mjs';
import { requireService } from './helpers/services.mjs';

const SERVER = 2;
const CLIENT = 3;

before(async () => {
  await requireService('postgres');
  await requireService('mariadb');
  await requireService('redis');
});

test('stack app: one request is one trace, DB/Redis/HTTP-client spans under its server span, downstream joined', async () => {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: `${fixtures}integrations-data/stack-app.mjs`,
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_SERVICE_NAME: 'stack-test' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        '200 {"id":1,"name":"Ada","users":2,"plan":"pro","quota":42,"quotaAgain":42}',
        '200 {"id":1,"name":"Ada","users":2,"plan":"pro","quota":42,"quotaAgain":42,"cached":true}',
        '',
      ].join('\n'),
    );
    const isRoute = (s) => s.kind === SERVER && s.attributes['http.route'] === '/users/:id';
    const spans = await receiver.waitFor(
      (s) =>
        s.filter(isRoute).length === 2 &&
        s.filter((x) => x.kind === SERVER && /^\/quota/.test(x.attributes['url.path'] ?? '')).length === 2,
    );

    // The first request (the uncached one): its server span and everything in its trace.
    const [first, second] = spans.filter(isRoute).sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
    assert.notEqual(first.traceId, second.traceId, 'one trace per request');
    const trace = spans.filter((s) => s.traceId === first.traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const ancestors = (s) => {
      const out = [];
      for (let p = byId.get(s.parentSpanId); p !== undefined; p = byId.get(p.parentSpanId)) out.push(p);
      return out;
    };
    // Root: the app's own client call (the fixture requests itself), then the Express server span.
    const root = trace.find((s) => s.parentSpanId === '' || !byId.has(s.parentSpanId));
    assert.equal(root.kind, CLIENT, 'the self-request is the root');
    assert.equal(first.parentSpanId, root.spanId);
    assert.equal(first.name, 'GET /users/:id');
    assert.equal(first.attributes['http.response.status_code'], 200);

    const pick = (what, pred) => {
      const found = trace.filter((s) => s.kind === CLIENT && pred(s));
      assert.equal(found.length, 1, `one ${what} span; got ${trace.map((s) => `${s.name} (${s.scope})`).join(', ')}`);
      return found[0];
    };
    const table = new RegExp(`^stack_users_\\d+$`);
    const pgSpan = pick(
      'pg',
      (s) => s.scope === '@opentelemetry/instrumentation-pg' && s.attributes['db.query.text'] !== undefined,
    );
    const pjsSpan = pick(
      'postgres.js',
      (s) => s.scope === '@budobserve/instrumentation-postgres' && table.test(s.attributes['db.collection.name'] ?? ''),
    );
    const mySpan = pick('mysql2', (s) => s.scope === '@opentelemetry/instrumentation-mysql2');
    const redisGet = pick(
      'redis get',
      (s) => s.scope === '@opentelemetry/instrumentation-ioredis' && s.attributes['db.operation.name'] === 'get',
    );
    const redisSet = pick(
      'redis set',
      (s) => s.scope === '@opentelemetry/instrumentation-ioredis' && s.attributes['db.operation.name'] === 'set',
    );
    const fetchSpan = pick('fetch', (s) => s.scope === '@opentelemetry/instrumentation-undici');
    const axiosSpan = pick(
      'axios',
      (s) => s.scope === '@opentelemetry/instrumentation-http' && /client=axios$/.test(s.attributes['url.full'] ?? ''),
    );

    const children = [pgSpan, pjsSpan, mySpan, redisGet, redisSet, fetchSpan, axiosSpan];
    for (const s of children) {
      assert.ok(ancestors(s).includes(first), `${s.name} (${s.scope}) is under the server span`);
      assert.ok(
        !ancestors(s).some((a) => a.kind === CLIENT && a !== root),
        `${s.name} is no child of another client span`,
      );
    }
    assert.equal(new Set(children.map((s) => s.parentSpanId)).size, 1, 'siblings under the route handler');

    // Attributes, as in the per-library tests.
    for (const s of [pgSpan, pjsSpan]) {
      assert.equal(s.attributes['db.system.name'], 'postgresql');
      assert.equal(s.attributes['db.namespace'], 'test');
      assert.equal(s.attributes['server.port'], 5432);
      assert.equal(s.attributes['db.operation.name'], 'SELECT');
      assert.match(s.attributes['db.collection.name'], table);
      assert.equal(s.name, `SELECT ${s.attributes['db.collection.name']}`);
    }
    assert.match(pgSpan.attributes['db.query.text'], /^SELECT id, name FROM stack_users_\d+ WHERE id = \$1$/);
    assert.match(pjsSpan.attributes['db.query.text'], /^SELECT count\(\*\)::int AS n FROM "stack_users_\d+"$/);
    assert.equal(mySpan.attributes['db.system.name'], 'mysql');
    assert.equal(mySpan.attributes['server.port'], 3306);
    assert.equal(mySpan.attributes['db.operation.name'], 'SELECT');
    assert.match(mySpan.attributes['db.collection.name'], table);
    assert.match(mySpan.attributes['db.query.text'], /^SELECT plan FROM stack_users_\d+ WHERE id = \?$/);
    for (const s of [redisGet, redisSet]) {
      assert.equal(s.attributes['db.system.name'], 'redis');
      assert.equal(s.attributes['server.port'], 6379);
      assert.equal(s.attributes['db.query.text'], s.attributes['db.operation.name'], 'no key by default');
    }
    // Start times are whole milliseconds (the SDK takes them from Date.now()): two spans the
    // handler starts in one millisecond have the same start.
    assert.ok(
      redisGet.startTimeUnixNano <= pgSpan.startTimeUnixNano &&
        redisSet.startTimeUnixNano >= axiosSpan.startTimeUnixNano,
      'in the order the handler ran them',
    );

    // The downstream service's server spans are the children of the client spans that called it.
    for (const client of [fetchSpan, axiosSpan]) {
      assert.equal(client.attributes['http.request.method'], 'GET');
      assert.equal(client.attributes['http.response.status_code'], 200);
      const downstream = trace.filter((s) => s.kind === SERVER && s.parentSpanId === client.spanId);
      assert.equal(downstream.length, 1, `${client.scope}: one downstream server span joined by traceparent`);
      assert.match(downstream[0].attributes['url.path'], /^\/quota\/1$/);
    }

    // The second request was served from the cache: a Redis get and nothing else below it.
    const secondTrace = spans.filter(
      (s) => s.traceId === second.traceId && s.kind === CLIENT && s.spanId !== second.parentSpanId,
    );
    assert.deepEqual(
      secondTrace.map((s) => `${s.scope} ${s.attributes['db.operation.name']}`),
      ['@opentelemetry/instrumentation-ioredis get'],
    );
  } finally {
    await receiver.close();
  }
});
