// The Logfire-style API through the package's public entry, with and without the agent
// preloaded: templates, levels, tags, exceptions, instrument() and the method decorator,
// `using`, metrics, and calls made before configure().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, rmSync } from 'node:fs';
import { transformSync } from 'esbuild';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { spawnSync } from 'node:child_process';
import { runApp, fixtures, nodeBin } from './helpers/run.mjs';

async function collect(script, { env = {}, preload } = {}) {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: `${fixtures}api/${script}`,
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, ...env },
      ...(preload === undefined ? {} : { preload }),
    });
    return { r, spans: receiver.spans, requests: receiver.received.requests };
  } finally {
    await receiver.close();
  }
}

const byName = (spans, name) => spans.find((s) => s.name === name);

// `using` declarations are syntax from Node 24 on; the Node under test may be 22.
const hasUsing =
  spawnSync(nodeBin, ['-e', '{ using x = { [Symbol.dispose]() {} }; }'], { stdio: 'ignore' }).status === 0;

test('spans and logs with the agent preloaded: names, messages, nesting, status, tags, JSON values', async () => {
  const { r, spans } = await collect('app.mjs', { env: { USING: hasUsing ? '1' : '0' } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '99.5 5 add 2\n', 'results returned, instrument() keeps name and length');
  const checkout = byName(spans, 'Checkout {orderId} for {user.name}');
  assert.equal(checkout.attributes['logfire.msg'], 'Checkout 42 for ada');
  assert.equal(checkout.attributes['logfire.msg_template'], 'Checkout {orderId} for {user.name}');
  assert.equal(checkout.attributes['logfire.span_type'], 'span');
  assert.equal(checkout.attributes.paid, true);
  assert.deepEqual(JSON.parse(checkout.attributes.user), { name: 'ada', id: 7, roles: ['admin'] });
  assert.equal(JSON.parse(checkout.attributes['logfire.json_schema']).properties.user.type, 'object');
  const cart = byName(spans, 'Cart has {count} items');
  assert.equal(cart.parentSpanId, checkout.spanId, 'a log inside a span callback is its child');
  assert.equal(cart.attributes['logfire.span_type'], 'log');
  assert.equal(cart.attributes['logfire.level_num'], 9);
  assert.equal(
    byName(spans, 'inside async {missing} stays').parentSpanId,
    byName(spans, 'Async {step}').spanId,
    'async callbacks keep the context',
  );
  const failing = byName(spans, 'Failing {what}');
  assert.equal(failing.status.code, 2);
  assert.equal(failing.events[0].attributes['exception.type'], 'TypeError');
  assert.equal(byName(spans, 'Rejecting').events[0].attributes['exception.message'], 'async bad');
  const exc = byName(spans, '{exception.type}: {exception.message}');
  assert.equal(exc.attributes['logfire.msg'], 'Error: boom');
  assert.equal(exc.attributes['logfire.level_num'], 17);
  const charged = byName(spans, 'Charged {amount:,.2f} {currency}');
  assert.equal(charged.attributes['logfire.msg'], 'Charged 1,234.50 EUR');
  assert.deepEqual(charged.attributes['logfire.tags'], ['billing']);
  if (hasUsing)
    assert.equal(
      byName(spans, 'inside using').parentSpanId,
      byName(spans, 'Using block').spanId,
      '`using` makes the span active for its block',
    );
  const add = byName(spans, 'Calling add');
  assert.equal(add.attributes.a, 2);
  assert.equal(add.attributes.return, 5);
  assert.equal(add.attributes['code.function.name'], 'add');
});

test('levels: Logfire numbers, and BUD_OBSERVE_MIN_LEVEL drops what is below', async () => {
  const all = await collect('levels.mjs');
  assert.deepEqual(
    all.spans.map((s) => [s.name, s.attributes['logfire.level_num']]),
    [
      ['at trace', 1],
      ['at debug', 5],
      ['at info', 9],
      ['at notice', 10],
      ['at warn', 13],
      ['at error', 17],
      ['at fatal', 21],
    ],
  );
  const some = await collect('levels.mjs', { env: { BUD_OBSERVE_MIN_LEVEL: 'warn' } });
  assert.deepEqual(
    some.spans.map((s) => s.name),
    ['at warn', 'at error', 'at fatal'],
  );
});

test('message templates: every lookup form, format specs, missing keys never throw', async () => {
  const { r, spans } = await collect('templates.mjs');
  assert.equal(r.code, 0, r.stderr);
  const msgs = spans.map((s) => s.attributes['logfire.msg']);
  assert.deepEqual(msgs, [
    'Hello ada',
    'First first, tag y',
    'word="hi"',
    'price=1234.5',
    'Price 1,234.50',
    'Ratio 25.6%',
    'Padded [   hi]',
    'Missing {nope} and {user.nope}',
    'Braces {literal} hi',
    'Date 2026-01-02T00:00:00.000Z',
    'Broken {',
    'Empty {}',
  ]);
  const a = spans[0].attributes;
  const schema = JSON.parse(a['logfire.json_schema']).properties;
  assert.equal(a.price, 1234.5);
  assert.deepEqual(a.nums, [1, 2, 3], 'primitive arrays stay arrays');
  assert.equal(a.big, '12345678901234567890');
  assert.equal(schema.big['x-budobserve-datatype'], 'BigInt');
  assert.equal(a.when, '2026-01-02T00:00:00.000Z');
  assert.equal(schema.when.format, 'date-time');
  assert.deepEqual(JSON.parse(a.map), { k: 1 });
  assert.equal(schema.map['x-budobserve-datatype'], 'Map');
  assert.deepEqual(JSON.parse(a.set), ['s']);
  assert.equal(schema.set['x-budobserve-datatype'], 'Set');
  assert.equal(JSON.parse(a.err).message, 'nope');
  assert.equal(schema.err['x-budobserve-datatype'], 'Error');
  assert.equal(JSON.parse(a.buf), Buffer.from('hey').toString('base64'));
  assert.equal(schema.buf['x-budobserve-datatype'], 'Buffer');
  assert.deepEqual(JSON.parse(a.money), { amount: 5 });
  assert.equal(schema.money['x-budobserve-datatype'], 'Money');
});

test('without preload: calls before configure() are replayed, nesting kept; metrics too', async () => {
  const { r, spans, requests } = await collect('preconfig.mjs', { preload: [] });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'done\n');
  assert.deepEqual(spans.map((s) => s.name).sort(), [
    'after configure',
    'before configure {n}',
    'early child',
    'early parent',
  ]);
  assert.equal(byName(spans, 'early child').parentSpanId, byName(spans, 'early parent').spanId);
  assert.equal(byName(spans, 'before configure {n}').attributes['logfire.msg'], 'before configure 1');
  assert.equal(spans[0].resource['service.name'], 'configured-in-code');
  const metrics = Buffer.concat(requests.filter((q) => q.path === '/v1/metrics').map((q) => q.body)).toString('latin1');
  assert.ok(metrics.includes('early.hits'), 'the counter created before configure() is exported');
});

test('CommonJS: require() of the API, configure() from code', async () => {
  const { r, spans } = await collect('preconfig.cjs', { preload: [] });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'function function\n');
  assert.equal(byName(spans, 'warned').parentSpanId, byName(spans, 'from {kind}').spanId);
});

test('configure() when preloaded: one warning, the preloaded configuration stays', async () => {
  const { r, spans } = await collect('preconfig.mjs');
  assert.equal(r.code, 0);
  assert.match(r.stderr, /BUDOBSERVE_CONFIG_INVALID.*configure\(\) was called but the agent is already running/);
  assert.notEqual(spans[0].resource['service.name'], 'configured-in-code');
  assert.equal(spans.length, 4);
});

test('the standard method decorator, as TypeScript compiles it', async (t) => {
  const out = `${fixtures}api/decorator.build.mjs`;
  writeFileSync(
    out,
    transformSync(readFileSync(`${fixtures}api/decorator.ts`, 'utf8'), {
      loader: 'ts',
      format: 'esm',
      target: 'es2022',
    }).code,
  );
  t.after(() => rmSync(out, { force: true }));
  const { r, spans } = await collect('decorator.build.mjs');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'user-7 K getUser\n');
  const get = byName(spans, 'Calling UserService.getUser');
  assert.ok(get, spans.map((s) => s.name).join());
  assert.equal(get.attributes.id, 7);
  assert.deepEqual(JSON.parse(get.attributes.return), { id: 7, name: 'user-7' });
  assert.deepEqual(get.attributes['logfire.tags'], ['users']);
  const lookup = byName(spans, 'Static lookup {key}');
  assert.equal(lookup.attributes['logfire.msg'], 'Static lookup k');
  assert.equal(lookup.attributes['code.function.name'], 'UserService.lookup');
  assert.equal(lookup.attributes._unused, undefined, 'only the listed arguments');
});
