// Redis integrations against the machine's real Redis, one test per library version line:
// ioredis 6, node-redis 5 (the root) and node-redis 4 (the fixtures/versions/redis4 workspace).
// Each command is a CLIENT span under the request's server span with db.system.name=redis, the
// command as db.operation.name and server address/port; db.query.text is the command name alone
// unless BUD_OBSERVE_CAPTURE_REDIS_KEYS=true adds the key and arguments.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures } from './helpers/run.mjs';
import { requireService } from './helpers/services.mjs';

const SERVER = 2;
const CLIENT = 3;

before(() => requireService('redis'));

const lines = [
  {
    name: 'ioredis 6',
    script: 'integrations-data/redis-app.mjs',
    args: ['ioredis'],
    scope: '@opentelemetry/instrumentation-ioredis',
    commands: ['set', 'get', 'incr', 'del', 'del'],
    version: undefined,
  },
  {
    name: 'node-redis 5',
    script: 'integrations-data/redis-app.mjs',
    args: ['redis'],
    scope: '@opentelemetry/instrumentation-redis',
    commands: ['SET', 'GET', 'INCR', 'DEL', 'DEL'],
    version: undefined,
  },
  {
    name: 'node-redis 4',
    script: 'versions/redis4/app.mjs',
    args: [],
    scope: '@opentelemetry/instrumentation-redis',
    commands: ['SET', 'GET', 'INCR', 'DEL', 'DEL'],
    version: /^redis 4\./,
  },
];

async function run(line, env = {}) {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: `${fixtures}${line.script}`,
      args: line.args,
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_SERVICE_NAME: 'redis-test', ...env },
    });
    assert.equal(r.code, 0, r.stderr);
    if (line.version) assert.match(r.stdout, line.version);
    assert.match(r.stdout, /^200 Ada Lovelace 1$/m);
    const spans = await receiver.waitFor(
      (s) =>
        s.some((x) => x.kind === SERVER) &&
        s.filter((x) => x.scope === line.scope && x.parentSpanId !== '').length >= line.commands.length,
    );
    const server = spans.find((s) => s.kind === SERVER);
    const commands = spans.filter((s) => s.scope === line.scope && s.parentSpanId === server.spanId);
    commands.sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
    return { server, commands };
  } finally {
    await receiver.close();
  }
}

for (const line of lines) {
  test(`${line.name}: command spans under the request; the key only when opted in`, async () => {
    const { server, commands } = await run(line);
    assert.deepEqual(
      commands.map((s) => s.attributes['db.operation.name']),
      line.commands,
    );
    for (const s of commands) {
      assert.equal(s.kind, CLIENT);
      assert.equal(s.traceId, server.traceId);
      assert.equal(s.attributes['db.system.name'], 'redis');
      assert.equal(s.attributes['server.address'], '127.0.0.1');
      assert.equal(s.attributes['server.port'], 6379);
      assert.equal(
        s.attributes['db.query.text'],
        s.attributes['db.operation.name'],
        'the command name alone by default',
      );
    }
    assert.ok(!JSON.stringify(commands.map((s) => s.attributes)).includes('bud:user:'), 'no key by default');
    assert.ok(!JSON.stringify(commands.map((s) => s.attributes)).includes('Ada Lovelace'), 'no value by default');

    const opted = await run(line, { BUD_OBSERVE_CAPTURE_REDIS_KEYS: 'true' });
    const texts = opted.commands.map((s) => s.attributes['db.query.text']);
    const [set, get, incr] = texts;
    assert.match(set, /^set bud:user:\d+ Ada Lovelace$/i);
    assert.match(get, /^get bud:user:\d+$/i);
    assert.match(incr, /^incr bud:user:\d+:hits$/i);
  });
}
