// SQL integrations against the machine's real PostgreSQL and MariaDB: pg (Pool), postgres.js
// (Bud's own instrumentation; ES-module and CommonJS builds), mysql2, and knex / drizzle-orm on
// top. Every query is a CLIENT span under the HTTP server span of the request that ran it, with
// the stable database attributes, and its text has its literals replaced by default.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, root } from './helpers/run.mjs';
import { requireService } from './helpers/services.mjs';

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;
const app = `${fixtures}integrations-data/sql-app.mjs`;
const LITERALS = ['Ada Lovelace', 'Grace Hopper', 'Katherine Johnson', 'Hedy Lamarr', 'Radia Perlman'];

before(async () => {
  await requireService('postgres');
  await requireService('mariadb');
});

async function run(env = {}, script = app, preload) {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script,
      ...(preload ? { preload } : {}),
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_SERVICE_NAME: 'sql-test', ...env },
    });
    assert.equal(r.code, 0, r.stderr);
    return { r, spans: await receiver.waitFor((s) => s.some((x) => x.kind === SERVER)).then(() => settle(receiver)) };
  } finally {
    await receiver.close();
  }
}

/** Waits until no new span arrived for a moment (the app's exit flush is one batch, usually). */
async function settle(receiver) {
  let n = -1;
  while (n !== receiver.spans.length) {
    n = receiver.spans.length;
    await new Promise((r) => setTimeout(r, 150));
  }
  return receiver.spans;
}

const serverSpan = (spans, path) => spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === path);

/** Whether `span` sits (at any depth) under `ancestor`, by parent ids within one trace. */
function under(spans, span, ancestor) {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (let s = span; s !== undefined; s = byId.get(s.parentSpanId)) {
    if (s.spanId === ancestor.spanId) return s.traceId === span.traceId;
  }
  return false;
}

/** The CLIENT spans of one scope under the server span of `path`. */
function dbSpans(spans, path, scope) {
  const server = serverSpan(spans, path);
  assert.ok(server, `a server span for ${path}`);
  const list = spans.filter((s) => s.kind === CLIENT && s.scope === scope && under(spans, s, server));
  assert.ok(
    list.length > 0,
    `${scope} spans under ${path}; got ${spans
      .filter((s) => s.scope === scope)
      .map((s) => s.name)
      .join(', ')}`,
  );
  return list;
}

function one(list, pred, what) {
  const found = list.filter(pred);
  assert.equal(
    found.length,
    1,
    `one ${what}; got ${list.map((s) => `${s.name}: ${s.attributes['db.query.text']}`).join(' | ')}`,
  );
  return found[0];
}

function assertConnection(span, system, port) {
  assert.equal(span.attributes['db.system.name'], system, span.name);
  assert.equal(span.attributes['db.namespace'], 'test', span.name);
  assert.equal(span.attributes['server.address'], '127.0.0.1', span.name);
  assert.equal(span.attributes['server.port'], port, span.name);
}

test('pg, postgres.js, mysql2, knex and drizzle: CLIENT spans under the request, stable attributes, literals replaced', async () => {
  const { r, spans } = await run();
  assert.match(r.stdout, /^\/pg 200 Ada Lovelace 1 42P01$/m);
  assert.match(r.stdout, /^\/postgres 200 Grace Hopper 2 42P01$/m);
  assert.match(r.stdout, /^\/mysql 200 Katherine Johnson 1 ER_NO_SUCH_TABLE$/m);
  assert.match(r.stdout, /^\/knex 200 Hedy Lamarr$/m);
  assert.match(r.stdout, /^\/drizzle 200 Radia Perlman$/m);

  // pg: contrib instrumentation, enriched by src/integrations/enrich/db.ts (operation, table, span name).
  const pgs = dbSpans(spans, '/pg', '@opentelemetry/instrumentation-pg').filter(
    (s) => s.attributes['db.query.text'] !== undefined,
  );
  const pgTable = one(pgs, (s) => s.attributes['db.operation.name'] === 'CREATE', 'pg CREATE').attributes[
    'db.collection.name'
  ];
  assert.match(pgTable, /^bud_pg_\d+$/);
  const pgParam = one(pgs, (s) => /= \$1$/.test(s.attributes['db.query.text']), 'pg SELECT with $1');
  assert.equal(pgParam.name, `SELECT ${pgTable}`);
  assert.equal(pgParam.attributes['db.query.text'], `SELECT id, name FROM ${pgTable} WHERE name = $1`);
  assert.equal(pgParam.attributes['db.operation.name'], 'SELECT');
  assert.equal(pgParam.attributes['db.collection.name'], pgTable);
  assertConnection(pgParam, 'postgresql', 5432);
  assert.equal(pgParam.attributes['db.statement'], undefined, 'pg 0.77 writes only the stable names');
  const pgInline = one(pgs, (s) => /AND id/.test(s.attributes['db.query.text']), 'pg inline SELECT');
  assert.equal(pgInline.attributes['db.query.text'], `SELECT id, name FROM ${pgTable} WHERE name = ? AND id > ?`);
  const pgFail = one(pgs, (s) => s.status.code === ERROR, 'failed pg query');
  assert.match(pgFail.name, /^SELECT bud_missing_\d+$/);
  assert.equal(pgFail.events[0]?.name, 'exception');
  assert.match(pgFail.status.message, /does not exist/);

  // postgres.js: Bud's own instrumentation (tagged queries, unsafe, a transaction).
  const pjs = dbSpans(spans, '/postgres', '@budobserve/instrumentation-postgres');
  const pjsTable = one(pjs, (s) => s.attributes['db.operation.name'] === 'CREATE', 'postgres.js CREATE').attributes[
    'db.collection.name'
  ];
  assert.match(pjsTable, /^bud_pgjs_\d+$/);
  const tagged = one(
    pjs,
    (s) => s.attributes['db.operation.name'] === 'SELECT' && /\$1$/.test(s.attributes['db.query.text']),
    'tagged SELECT',
  );
  assert.equal(tagged.name, `SELECT ${pjsTable}`);
  assert.equal(tagged.attributes['db.query.text'], `SELECT id, name FROM "${pjsTable}" WHERE name = $1`);
  assert.equal(tagged.attributes['db.collection.name'], pjsTable);
  assert.equal(tagged.attributes['db.response.returned_rows'], 2);
  assertConnection(tagged, 'postgresql', 5432);
  const unsafe = one(pjs, (s) => /count\(\*\)/.test(s.attributes['db.query.text']), 'unsafe SELECT');
  assert.equal(unsafe.attributes['db.query.text'], `SELECT count(*)::int AS n FROM ${pjsTable} WHERE name = ?`);
  const begin = one(pjs, (s) => s.attributes['db.operation.name'] === 'BEGIN', 'BEGIN');
  const commit = one(pjs, (s) => s.attributes['db.operation.name'] === 'COMMIT', 'COMMIT');
  const inserts = pjs.filter((s) => s.attributes['db.operation.name'] === 'INSERT');
  assert.equal(inserts.length, 2, 'both inserts of the transaction');
  for (const s of [begin, commit, ...inserts]) assertConnection(s, 'postgresql', 5432);
  assert.deepEqual(
    inserts.map((s) => s.attributes['db.query.text']).sort(),
    [`INSERT INTO "${pjsTable}" (name) VALUES ($1)`, `INSERT INTO ${pjsTable} (name) VALUES (?)`].sort(),
  );
  // The SDK takes a span's start from Date.now(), whole milliseconds, and its end as start plus
  // a finer duration: spans a pipelined driver starts in one millisecond compare within 1 ms.
  const MS = 1_000_000n;
  for (const s of inserts)
    assert.ok(
      s.startTimeUnixNano >= begin.startTimeUnixNano && s.endTimeUnixNano < commit.endTimeUnixNano + MS,
      'inside the transaction',
    );
  const pjsFail = one(pjs, (s) => s.status.code === ERROR, 'failed postgres.js query');
  assert.match(pjsFail.name, /^SELECT bud_missing_\d+$/);
  assert.equal(pjsFail.events[0]?.name, 'exception');
  assert.equal(pjsFail.attributes['error.type'], '42P01');

  // mysql2 on MariaDB: the values are never formatted into the text while statements are scrubbed.
  const mys = dbSpans(spans, '/mysql', '@opentelemetry/instrumentation-mysql2');
  const myTable = one(mys, (s) => s.attributes['db.operation.name'] === 'CREATE', 'mysql2 CREATE').attributes[
    'db.collection.name'
  ];
  assert.match(myTable, /^bud_my_\d+$/);
  const myParam = one(mys, (s) => /WHERE name = \?$/.test(s.attributes['db.query.text']), 'mysql2 SELECT with ?');
  assert.equal(myParam.name, `SELECT ${myTable}`);
  assert.equal(myParam.attributes['db.collection.name'], myTable);
  assertConnection(myParam, 'mysql', 3306);
  const myInsert = one(mys, (s) => s.attributes['db.operation.name'] === 'INSERT', 'mysql2 INSERT (execute)');
  assert.equal(myInsert.attributes['db.query.text'], `INSERT INTO ${myTable} (name) VALUES (?)`);
  const myInline = one(mys, (s) => /AND id/.test(s.attributes['db.query.text']), 'mysql2 inline SELECT');
  assert.equal(myInline.attributes['db.query.text'], `SELECT id, name FROM ${myTable} WHERE name = ? AND id > ?`);
  const myFail = one(mys, (s) => s.status.code === ERROR, 'failed mysql2 query');
  assert.match(myFail.status.message, /doesn't exist/);
  // mysql2 0.70 calls no hook on failure: the DbSummaryProcessor completes the span.
  assert.match(myFail.name, /^SELECT bud_missing_\d+$/);
  assert.equal(myFail.attributes['db.operation.name'], 'SELECT');
  assert.equal(myFail.events[0]?.name, 'exception', 'the failure is recorded as an exception event');
  assert.match(myFail.events[0].attributes['exception.message'], /doesn't exist/);

  // ORMs: their driver's spans sit under the request (knex adds its own spans between).
  const knexPg = dbSpans(spans, '/knex', '@opentelemetry/instrumentation-pg').filter((s) =>
    /bud_knex_/.test(s.attributes['db.collection.name'] ?? ''),
  );
  assert.deepEqual([...new Set(knexPg.map((s) => s.attributes['db.operation.name']))].sort(), [
    'CREATE',
    'DROP',
    'INSERT',
    'SELECT',
  ]);
  assert.ok(dbSpans(spans, '/knex', '@opentelemetry/instrumentation-knex').length >= 4, 'knex spans too');
  const drizzle = dbSpans(spans, '/drizzle', '@budobserve/instrumentation-postgres').filter((s) =>
    /bud_drizzle_/.test(s.attributes['db.collection.name'] ?? ''),
  );
  assert.deepEqual([...new Set(drizzle.map((s) => s.attributes['db.operation.name']))].sort(), [
    'CREATE',
    'DROP',
    'INSERT',
    'SELECT',
  ]);
  const drizzleSelect = one(drizzle, (s) => s.attributes['db.operation.name'] === 'SELECT', 'drizzle SELECT');
  assert.match(
    drizzleSelect.attributes['db.query.text'],
    /^select "id", "name" from "bud_drizzle_\d+" where "bud_drizzle_\d+"\."name" = \$1$/,
  );

  // No literal value anywhere in the exported spans.
  const all = JSON.stringify(spans.map((s) => s.attributes));
  for (const value of LITERALS) assert.ok(!all.includes(value), `${value} was exported`);
});

test('BUD_OBSERVE_SCRUB_DB_STATEMENTS=false exports the statements as sent', async () => {
  const { spans } = await run({ BUD_OBSERVE_SCRUB_DB_STATEMENTS: 'false' });
  const texts = spans.map((s) => s.attributes['db.query.text']).filter(Boolean);
  assert.ok(
    texts.some((t) => /^SELECT id, name FROM bud_pg_\d+ WHERE name = 'Ada Lovelace' AND id > 0$/.test(t)),
    'pg inline literal kept',
  );
  assert.ok(
    texts.some((t) => /^SELECT id, name FROM bud_pg_\d+ WHERE name = \$1$/.test(t)),
    'pg placeholder kept',
  );
  assert.ok(
    texts.some((t) => /^SELECT count\(\*\)::int AS n FROM bud_pgjs_\d+ WHERE name = 'Grace Hopper'$/.test(t)),
    'postgres.js unsafe literal kept',
  );
  assert.ok(
    texts.some((t) => /^SELECT id, name FROM bud_my_\d+ WHERE name = 'Katherine Johnson' AND id > 0$/.test(t)),
    'mysql2 inline literal kept',
  );
  assert.ok(
    texts.some((t) => /^SELECT id, name FROM bud_my_\d+ WHERE name = \?$/.test(t)),
    'mysql2 placeholder kept',
  );
});

test('postgres.js through require() (its CommonJS build) and through --require', async () => {
  const req = createRequire(`${root}package.json`);
  assert.match(req.resolve('postgres'), /postgres\/cjs\/src\/index\.js$/, 'require resolves the CommonJS build');
  assert.match(import.meta.resolve('postgres'), /postgres\/src\/index\.js$/, 'import resolves the ES-module build');
  for (const preload of [undefined, ['--require', `${root}register.cjs`]]) {
    const { r, spans } = await run({}, `${fixtures}integrations-data/postgres-cjs.cjs`, preload);
    assert.equal(r.stdout, 'postgres/cjs/src/index.js\n200 cjs\n');
    const [span] = dbSpans(spans, '/cjs', '@budobserve/instrumentation-postgres').filter(
      (s) => s.attributes['db.collection.name'] === 'pg_catalog.pg_namespace',
    );
    assert.ok(span, 'the query span');
    assert.equal(span.name, 'SELECT pg_catalog.pg_namespace');
    assert.equal(
      span.attributes['db.query.text'],
      'SELECT $1::text AS via FROM pg_catalog.pg_namespace WHERE nspname = ?',
    );
    assertConnection(span, 'postgresql', 5432);
  }
});
