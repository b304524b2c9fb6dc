// Scrubbing, on by default: secrets in attributes, JSON inside attributes, HTTP headers,
// query strings, the agent's own token, exception events, status messages, SQL literals,
// the values in formatted messages and log records are replaced before they leave the
// process, in OTLP and on the console, and each replacement is listed in logfire.scrubbed. Options: extra patterns, a callback that
// keeps a match (or throws), scrubbing off, SQL literals always.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures } from './helpers/run.mjs';

const app = `${fixtures}scrubbing/app.mjs`;
const config = (name) => `${fixtures}scrubbing/${name}`;
const TOKEN = 'bud-tok-98765';
// Every secret the fixture puts somewhere; none may reach the collector or the console.
const SECRETS = ['hunter2', 'tok-query-1', 'key-query-2', 'header-secret-3', 'xkey-4', TOKEN];
const SERVER = 2;
const CLIENT = 3;
const scrubbed = (pattern) => `[Scrubbed due to '${pattern}']`;
const warnings = (stderr) => stderr.split('\n').filter((l) => l.includes('[BUDOBSERVE_'));
const plain = await runApp({ script: app, preload: [] });

/** Runs the fixture against a receiver, over OTLP/JSON so log records can be read too. */
async function run(env = {}) {
  const receiver = await startReceiver();
  try {
    const r = await runApp({ script: app, env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_PROTOCOL: 'http/json', BUD_OBSERVE_TOKEN: TOKEN, ...env } });
    const spans = await receiver.waitFor((s) => s.some((x) => x.kind === SERVER) && s.some((x) => x.kind === CLIENT) && s.some((x) => x.name === 'checkout'));
    const bodies = receiver.received.requests.filter((q) => q.path !== '/v1/metrics').map((q) => q.body.toString('utf8')).join('\n');
    const logRequest = receiver.received.requests.find((q) => q.path === '/v1/logs');
    const log = logRequest === undefined ? undefined : JSON.parse(logRequest.body).resourceLogs[0].scopeLogs[0].logRecords[0];
    const logAttrs = Object.fromEntries((log?.attributes ?? []).map((a) => [a.key, a.value.stringValue]));
    const msg = (template) => spans.find((s) => s.attributes['logfire.span_type'] === 'log' && s.attributes['logfire.msg_template'] === template)?.attributes;
    return { ...r, bodies, logAttrs, msg, manual: spans.find((s) => s.name === 'checkout'), server: spans.find((s) => s.kind === SERVER), client: spans.find((s) => s.kind === CLIENT) };
  } finally {
    await receiver.close();
  }
}

test('defaults: no secret reaches the collector; shapes, safe keys and harmless words are kept', async () => {
  const r = await run({ BUD_OBSERVE_CONFIG: config('headers.config.json') });
  assert.equal(r.code, plain.code, r.stderr);
  assert.equal(r.stdout, plain.stdout);
  assert.equal(r.stderr, '');
  for (const secret of SECRETS) assert.ok(!r.bodies.includes(secret), `'${secret}' was exported`);

  const a = r.manual.attributes;
  assert.deepEqual(JSON.parse(a['app.payload']), { user: { name: 'ada', password: scrubbed('password') }, items: [1, 2] }, 'JSON scrubbed inside, re-serialized');
  assert.equal(a['app.echo'], scrubbed('BUD_OBSERVE_TOKEN'), "the agent's own token, named, never shown");
  assert.equal(a.author, 'Ada Lovelace', "'auth' does not hit 'author'");
  assert.equal(a['app.ref'], 'order ACME-12345', 'not a pattern unless configured');
  assert.equal(a['logfire.msg_template'], 'reset password for {user}', 'safe key');
  assert.deepEqual(a['logfire.tags'], ['secret-sauce'], 'safe key');
  assert.equal(a['code.function'], 'resetPassword', 'code.* is safe');
  assert.equal(a['db.statement'], 'UPDATE users SET password = ? WHERE id = ?', 'a matching statement loses its literals, keeps its shape');
  assert.equal(a['db.query.text'], 'SELECT * FROM users WHERE email = ? AND age > ?', 'literals replaced by default (scrubbing.dbStatements)');
  assert.equal(r.manual.status.message, scrubbed('password'));
  const exception = r.manual.events.find((e) => e.name === 'exception').attributes;
  assert.equal(exception['exception.message'], scrubbed('password'));
  assert.equal(exception['exception.type'], 'Error');
  assert.match(exception['exception.stacktrace'], /^\[Scrubbed due to 'password'\]\n {4}at .*app\.mjs/, 'the message goes, the frames stay');
  assert.deepEqual(JSON.parse(a['logfire.scrubbed']), [
    { path: ['attributes', 'app.payload', 'user', 'password'], matched_substring: 'password' },
    { path: ['attributes', 'app.echo'], matched_substring: 'BUD_OBSERVE_TOKEN' },
    { path: ['attributes', 'app.keep'], matched_substring: 'session' },
    // db.statement is not listed: its literals go first (scrubbing.dbStatements), and what
    // is left names a column, not a secret.
    { path: ['otel_events', 0, 'attributes', 'exception.message'], matched_substring: 'password' },
    { path: ['otel_events', 0, 'attributes', 'exception.stacktrace'], matched_substring: 'password' },
    { path: ['otel_status_message'], matched_substring: 'password' },
  ]);

  assert.equal(r.msg('reset password for {user}')['logfire.msg'], 'reset password for ada', "the template's own words are not data");
  const login = r.msg('login {user} with {password}');
  assert.equal(login['logfire.msg'], `login ada with ${scrubbed('password')}`, 'a value in the message is scrubbed in place');
  assert.equal(login.password, scrubbed('password'));

  const s = r.server.attributes;
  assert.deepEqual(s['http.request.header.authorization'], [scrubbed('auth')], 'header arrays keep their type');
  assert.deepEqual(s['http.request.header.x-api-key'], [scrubbed('api_key')]);
  assert.equal(s['url.query'], `token=${scrubbed('token')}&api_key=${scrubbed('api_key')}&page=3`);
  assert.equal(s['url.path'], '/orders');
  assert.deepEqual(JSON.parse(s['logfire.scrubbed']).map((n) => n.path.slice(1).join(' ')), ['url.query token', 'url.query api_key', 'http.request.header.authorization', 'http.request.header.x-api-key']);
  const c = r.client.attributes;
  assert.match(c['url.full'], /^http:\/\/127\.0\.0\.1:\d+\/orders\?token=\[Scrubbed due to 'token'\]&api_key=\[Scrubbed due to 'api_key'\]&page=3$/);
  assert.deepEqual(c['http.request.header.authorization'], [scrubbed('auth')]);

  assert.equal(r.logAttrs['user.password'], scrubbed('password'), 'log records are scrubbed too');
  assert.equal(r.logAttrs['user.name'], 'ada');
  assert.deepEqual(JSON.parse(r.logAttrs['logfire.scrubbed']), [{ path: ['attributes', 'user.password'], matched_substring: 'password' }]);
});

test('BUD_OBSERVE_SCRUBBING_PATTERNS adds patterns, named as written', async () => {
  const r = await run({ BUD_OBSERVE_SCRUBBING_PATTERNS: String.raw`acme-\d+` });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.manual.attributes['app.ref'], scrubbed(String.raw`acme-\d+`), 'case-insensitive');
  assert.ok(!r.bodies.includes('hunter2'), 'the built-in patterns still apply');
});

test('a callback keeps the matches it returns a value for; the rest are scrubbed', async () => {
  const r = await run({ BUD_OBSERVE_CONFIG: config('keep.config.mjs') });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(r.manual.attributes['app.keep'], 'session-kept-by-callback');
  assert.ok(!JSON.parse(r.manual.attributes['logfire.scrubbed']).some((n) => n.path.includes('app.keep')), 'a kept value is not listed');
  assert.deepEqual(r.server.attributes['http.request.header.authorization'], [scrubbed('auth')]);
  for (const secret of SECRETS) assert.ok(!r.bodies.includes(secret), `'${secret}' was exported`);
});

test('a throwing callback: the app runs as without the agent, one warning, values scrubbed', async () => {
  const r = await run({ BUD_OBSERVE_CONFIG: config('throwing.config.mjs') });
  assert.equal(r.code, plain.code);
  assert.equal(r.stdout, plain.stdout);
  const w = warnings(r.stderr);
  assert.equal(w.length, 1, r.stderr);
  assert.match(w[0], /\[BUDOBSERVE_INTERNAL\].*scrubbing\.callback threw/);
  for (const secret of SECRETS) assert.ok(!r.bodies.includes(secret), `'${secret}' was exported`);
});

test('BUD_OBSERVE_SCRUBBING=false exports everything as it is', async () => {
  const r = await run({ BUD_OBSERVE_SCRUBBING: 'false', BUD_OBSERVE_CONFIG: config('headers.config.json') });
  assert.equal(r.code, 0, r.stderr);
  for (const secret of SECRETS) assert.ok(r.bodies.includes(secret), `the fixture exports '${secret}' when nothing scrubs it`);
  assert.ok(!r.bodies.includes('Scrubbed due to'), 'nothing scrubbed');
  assert.ok(!r.bodies.includes('logfire.scrubbed'));
  assert.deepEqual(r.server.attributes['http.request.header.authorization'], ['Bearer header-secret-3']);
  assert.equal(r.manual.attributes['db.statement'], "UPDATE users SET password = 'hunter2-sql' WHERE id = 7");
  assert.equal(r.logAttrs['user.password'], 'hunter2-log');
});

test('process.exit() right after the spans: the exit flush sends them scrubbed', async () => {
  const receiver = await startReceiver();
  try {
    const r = await runApp({ script: app, env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_PROTOCOL: 'http/json', BUD_OBSERVE_TOKEN: TOKEN, EXIT_AT_ONCE: '1' } });
    assert.equal(r.code, 0, r.stderr);
    const [manual] = await receiver.waitFor((s) => s.some((x) => x.name === 'checkout'));
    assert.equal(manual.status.message, scrubbed('password'));
    const bodies = receiver.received.requests.map((q) => q.body.toString('utf8')).join('\n');
    for (const secret of SECRETS) assert.ok(!bodies.includes(secret), `'${secret}' was exported`);
  } finally {
    await receiver.close();
  }
});

test('BUD_OBSERVE_SCRUB_DB_STATEMENTS=false exports query text as written, unless a secret pattern matches it', async () => {
  const r = await run({ BUD_OBSERVE_SCRUB_DB_STATEMENTS: 'false' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.manual.attributes['db.query.text'], "SELECT * FROM users WHERE email = 'ada@example.com' AND age > 30");
  assert.equal(r.manual.attributes['db.statement'], 'UPDATE users SET password = ? WHERE id = ?', 'a matching statement still loses its literals');
});

test('the console view never prints a secret', async () => {
  const r = await runApp({ script: app, env: { BUD_OBSERVE_CONSOLE_VERBOSE: 'true', BUD_OBSERVE_TOKEN: TOKEN, BUD_OBSERVE_CONFIG: config('headers.config.json'), OTEL_LOGS_EXPORTER: 'none' } });
  assert.equal(r.code, plain.code, r.stderr);
  assert.equal(r.stdout, plain.stdout);
  assert.match(r.stderr, /http\.request\.header\.authorization=\["\[Scrubbed due to 'auth'\]"\]/, r.stderr);
  assert.match(r.stderr, /Scrubbed due to 'password'/);
  for (const secret of SECRETS) assert.ok(!r.stderr.includes(secret), `'${secret}' was printed:\n${r.stderr}`);
});
