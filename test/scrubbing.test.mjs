// Scrubbing, on by default: secrets in attributes, JSON inside attributes, HTTP headers,
// query strings, the agent's own token, exception events, status messages, SQL literals,
// the values in formatted messages and log records are replaced before they leave the
// process, in OTLP and on the console, and each replacement is listed in logfire.scrubbed.
// Credentials known by their shape (URL userinfo, Bearer, AWS/GitHub/Stripe/OpenAI keys,
// JWTs) are replaced alone inside any string; what only looks like one stays (issue 14.7).
// Options: extra patterns, a callback that keeps a match (or throws), scrubbing off, SQL
// literals always. doctor hides endpoint credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, root, nodeBin, cleanEnv } from './helpers/run.mjs';
import { doctor } from './helpers/doctor.mjs';
import { startProviderServer } from '../fixtures/integrations-llm/provider-server.mjs';
import { Scrubber } from '../src/processors/scrubbing.ts';
import { replaceSqlLiterals, SqlLiterals } from '../src/processors/scrub-rules.ts';

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
    const r = await runApp({
      script: app,
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_PROTOCOL: 'http/json', BUD_OBSERVE_TOKEN: TOKEN, ...env },
    });
    const spans = await receiver.waitFor(
      (s) =>
        s.some((x) => x.kind === SERVER) && s.some((x) => x.kind === CLIENT) && s.some((x) => x.name === 'checkout'),
    );
    const bodies = receiver.received.requests
      .filter((q) => q.path !== '/v1/metrics')
      .map((q) => q.body.toString('utf8'))
      .join('\n');
    const logRequest = receiver.received.requests.find((q) => q.path === '/v1/logs');
    const log =
      logRequest === undefined ? undefined : JSON.parse(logRequest.body).resourceLogs[0].scopeLogs[0].logRecords[0];
    const logAttrs = Object.fromEntries((log?.attributes ?? []).map((a) => [a.key, a.value.stringValue]));
    const msg = (template) =>
      spans.find(
        (s) => s.attributes['logfire.span_type'] === 'log' && s.attributes['logfire.msg_template'] === template,
      )?.attributes;
    return {
      ...r,
      bodies,
      logAttrs,
      msg,
      manual: spans.find((s) => s.name === 'checkout'),
      server: spans.find((s) => s.kind === SERVER),
      client: spans.find((s) => s.kind === CLIENT),
    };
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
  assert.deepEqual(
    JSON.parse(a['app.payload']),
    { user: { name: 'ada', password: scrubbed('password') }, items: [1, 2] },
    'JSON scrubbed inside, re-serialized',
  );
  assert.equal(a['app.echo'], scrubbed('BUD_OBSERVE_TOKEN'), "the agent's own token, named, never shown");
  assert.equal(a.author, 'Ada Lovelace', "'auth' does not hit 'author'");
  assert.equal(a['app.ref'], 'order ACME-12345', 'not a pattern unless configured');
  assert.equal(a['logfire.msg_template'], 'reset password for {user}', 'safe key');
  assert.deepEqual(a['logfire.tags'], ['secret-sauce'], 'safe key');
  assert.equal(a['code.function'], 'resetPassword', 'code.* is safe');
  assert.equal(
    a['db.statement'],
    'UPDATE users SET password = ? WHERE id = ?',
    'a matching statement loses its literals, keeps its shape',
  );
  assert.equal(
    a['db.query.text'],
    'SELECT * FROM users WHERE email = ? AND age > ?',
    'literals replaced by default (scrubbing.dbStatements)',
  );
  assert.equal(r.manual.status.message, scrubbed('password'));
  const exception = r.manual.events.find((e) => e.name === 'exception').attributes;
  assert.equal(exception['exception.message'], scrubbed('password'));
  assert.equal(exception['exception.type'], 'Error');
  assert.match(
    exception['exception.stacktrace'],
    /^\[Scrubbed due to 'password'\]\n {4}at .*app\.mjs/,
    'the message goes, the frames stay',
  );
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

  assert.equal(
    r.msg('reset password for {user}')['logfire.msg'],
    'reset password for ada',
    "the template's own words are not data",
  );
  const login = r.msg('login {user} with {password}');
  assert.equal(
    login['logfire.msg'],
    `login ada with ${scrubbed('password')}`,
    'a value in the message is scrubbed in place',
  );
  assert.equal(login.password, scrubbed('password'));

  const s = r.server.attributes;
  assert.deepEqual(s['http.request.header.authorization'], [scrubbed('auth')], 'header arrays keep their type');
  assert.deepEqual(s['http.request.header.x-api-key'], [scrubbed('api_key')]);
  assert.equal(s['url.query'], `token=${scrubbed('token')}&api_key=${scrubbed('api_key')}&page=3`);
  assert.equal(s['url.path'], '/orders');
  assert.deepEqual(
    JSON.parse(s['logfire.scrubbed']).map((n) => n.path.slice(1).join(' ')),
    ['url.query token', 'url.query api_key', 'http.request.header.authorization', 'http.request.header.x-api-key'],
  );
  const c = r.client.attributes;
  assert.match(
    c['url.full'],
    /^http:\/\/127\.0\.0\.1:\d+\/orders\?token=\[Scrubbed due to 'token'\]&api_key=\[Scrubbed due to 'api_key'\]&page=3$/,
  );
  assert.deepEqual(c['http.request.header.authorization'], [scrubbed('auth')]);

  assert.equal(r.logAttrs['user.password'], scrubbed('password'), 'log records are scrubbed too');
  assert.equal(r.logAttrs['user.name'], 'ada');
  assert.deepEqual(JSON.parse(r.logAttrs['logfire.scrubbed']), [
    { path: ['attributes', 'user.password'], matched_substring: 'password' },
  ]);
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
  assert.ok(
    !JSON.parse(r.manual.attributes['logfire.scrubbed']).some((n) => n.path.includes('app.keep')),
    'a kept value is not listed',
  );
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
  for (const secret of SECRETS)
    assert.ok(r.bodies.includes(secret), `the fixture exports '${secret}' when nothing scrubs it`);
  assert.ok(!r.bodies.includes('Scrubbed due to'), 'nothing scrubbed');
  assert.ok(!r.bodies.includes('logfire.scrubbed'));
  assert.deepEqual(r.server.attributes['http.request.header.authorization'], ['Bearer header-secret-3']);
  assert.equal(r.manual.attributes['db.statement'], "UPDATE users SET password = 'hunter2-sql' WHERE id = 7");
  assert.equal(r.logAttrs['user.password'], 'hunter2-log');
});

test('process.exit() right after the spans: the exit flush sends them scrubbed', async () => {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: app,
      env: {
        BUD_OBSERVE_ENDPOINT: receiver.url,
        BUD_OBSERVE_PROTOCOL: 'http/json',
        BUD_OBSERVE_TOKEN: TOKEN,
        EXIT_AT_ONCE: '1',
      },
    });
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
  assert.equal(
    r.manual.attributes['db.query.text'],
    "SELECT * FROM users WHERE email = 'ada@example.com' AND age > 30",
  );
  assert.equal(
    r.manual.attributes['db.statement'],
    'UPDATE users SET password = ? WHERE id = ?',
    'a matching statement still loses its literals',
  );
});

test('the console view never prints a secret', async () => {
  const r = await runApp({
    script: app,
    env: {
      BUD_OBSERVE_CONSOLE_VERBOSE: 'true',
      BUD_OBSERVE_TOKEN: TOKEN,
      BUD_OBSERVE_CONFIG: config('headers.config.json'),
      OTEL_LOGS_EXPORTER: 'none',
    },
  });
  assert.equal(r.code, plain.code, r.stderr);
  assert.equal(r.stdout, plain.stdout);
  assert.match(r.stderr, /http\.request\.header\.authorization=\["\[Scrubbed due to 'auth'\]"\]/, r.stderr);
  assert.match(r.stderr, /Scrubbed due to 'password'/);
  for (const secret of SECRETS) assert.ok(!r.stderr.includes(secret), `'${secret}' was printed:\n${r.stderr}`);
});

// Issue 14.7: fixtures/scrubbing/tokens.mjs puts these where the default scrubbing once let them through.
const TOKEN_SECRETS = [
  'at-5f4e3d2c1b',
  'rt-0a9b8c7d6e',
  'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8',
  'nested-at-77',
  'pw-dsn-31',
  'IOSFODNN7EXAMPLE',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'eyJhbGciOiJIUzI1NiJ9',
  'tmpl-tok-42',
  'bx7Qm2ZpL9vR4tW8',
  '51HxYzAbCdEfGhIjKlMnOpQr',
  'pwd-query-5',
  'pass-query-6',
];

async function runTokens(env = {}) {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: `${fixtures}scrubbing/tokens.mjs`,
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_PROTOCOL: 'http/json', ...env },
    });
    const spans = await receiver.waitFor(
      (s) =>
        s.filter((x) => x.kind === SERVER || x.kind === CLIENT).length >= 2 &&
        s.some((x) => x.name === 'sync') &&
        s.some((x) => x.name === 'charge {customer}'),
    );
    await receiver.waitFor(() => receiver.received.requests.some((q) => q.path === '/v1/logs'));
    const bodies = receiver.received.requests
      .filter((q) => q.path !== '/v1/metrics')
      .map((q) => q.body.toString('utf8'))
      .join('\n');
    const log = JSON.parse(receiver.received.requests.find((q) => q.path === '/v1/logs').body).resourceLogs[0]
      .scopeLogs[0].logRecords[0];
    const by = (f) => spans.find(f);
    return {
      ...r,
      bodies,
      log,
      sync: by((s) => s.name === 'sync').attributes,
      charge: by((s) => s.name === 'charge {customer}'),
      refresh: by((s) => s.attributes['logfire.msg_template'] === 'refreshing with {token}')?.attributes,
      server: by((s) => s.kind === SERVER).attributes,
      client: by((s) => s.kind === CLIENT).attributes,
    };
  } finally {
    await receiver.close();
  }
}

test('regression 14.7: default scrubbing catches accessToken, refresh_token, github_token, nested JSON, {token}, a DSN, Bearer and sk_live_ in exception and status messages, AWS keys, pwd= and pass=', async () => {
  const bare = await runApp({ script: `${fixtures}scrubbing/tokens.mjs`, preload: [] });
  const r = await runTokens();
  assert.equal(r.code, bare.code, r.stderr);
  assert.equal(r.stdout, bare.stdout);
  assert.equal(r.stderr, '');
  for (const secret of TOKEN_SECRETS) assert.ok(!r.bodies.includes(secret), `'${secret}' was exported`);

  const a = r.sync;
  assert.equal(a.accessToken, scrubbed('token'));
  assert.equal(a.refresh_token, scrubbed('token'));
  assert.equal(a.github_token, scrubbed('token'));
  assert.deepEqual(
    JSON.parse(a['app.body']),
    { user: { name: 'ada', accessToken: scrubbed('token') } },
    'a key inside JSON text',
  );
  assert.equal(a.conn, `postgres://app:${scrubbed('password')}@db:5432/app`, 'a DSN under any key keeps its shape');
  assert.equal(a['app.aws'], `${scrubbed('aws_access_key_id')} ${scrubbed('aws_secret_access_key')}`);
  assert.equal(a['app.callback'], `https://hooks.example.com/cb?state=ok&access_token=${scrubbed('token')}`);
  assert.deepEqual(
    JSON.parse(a['logfire.scrubbed']).map((n) => [n.path.slice(1).join(' '), n.matched_substring]),
    [
      ['accessToken', 'token'],
      ['refresh_token', 'token'],
      ['github_token', 'token'],
      ['app.body user accessToken', 'token'],
      ['conn password', 'password'],
      ['app.aws', 'aws_access_key_id'],
      ['app.aws', 'aws_secret_access_key'],
      ['app.callback access_token', 'token'],
    ],
  );

  assert.equal(r.refresh['logfire.msg'], `refreshing with ${scrubbed('token')}`, 'a {token} argument, in place');
  assert.equal(r.refresh.token, scrubbed('token'));

  // Only the credentials go: the message around them stays readable.
  const message = `charge failed: upstream said Bearer ${scrubbed('bearer')} for key ${scrubbed('stripe_key')}`;
  const exception = r.charge.events.find((e) => e.name === 'exception').attributes;
  assert.equal(exception['exception.message'], message);
  assert.match(
    exception['exception.stacktrace'],
    new RegExp(`^Error: ${message.replace(/[[\]().*+?]/g, '\\$&')}\\n {4}at .*tokens\\.mjs`),
    'the frames stay',
  );
  assert.equal(r.charge.status.message, message);

  assert.equal(r.server['url.query'], `user=ada&pwd=${scrubbed('pwd')}&pass=${scrubbed('pass')}`);
  assert.match(
    r.client['url.full'],
    new RegExp(`/login\\?user=ada&pwd=\\[Scrubbed due to 'pwd'\\]&pass=\\[Scrubbed due to 'pass'\\]$`),
  );

  assert.equal(r.log.body.stringValue, `deploy used ${scrubbed('github_token')}`, 'a log record body');
  assert.equal(
    r.log.attributes.find((x) => x.key === 'deploy.key').value.stringValue,
    `${scrubbed('aws_access_key_id')} ${scrubbed('aws_secret_access_key')}`,
  );
});

test('issue 14.7, must stay: what is not a credential: tokenizer, token counts, URLs without credentials, hex ids, "Unexpected token"', async () => {
  const r = await runTokens();
  assert.equal(r.code, 0, r.stderr);
  const a = r.sync;
  assert.equal(a.tokenizer, 'cl100k_base');
  assert.equal(a.tokens_used, 1234);
  assert.equal(a['gen_ai.usage.input_tokens'], 19);
  assert.equal(a['gen_ai.usage.output_tokens'], 11);
  assert.equal(a['gen_ai.request.max_tokens'], 50);
  assert.equal(a['app.docs'], 'https://docs.example.com/guide?page=2&lang=en');
  assert.equal(a['app.trace_ref'], '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(a['app.commit'], 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
  assert.equal(a['app.parse_error'], 'Unexpected token < in JSON at position 0');
  assert.equal(r.server['url.path'], '/login');
  assert.equal(r.charge.attributes['logfire.msg'], 'charge ada');
});

test('issue 14.7, must stay: the token counts of real LLM calls (openai, anthropic) are not scrubbed', async () => {
  const provider = await startProviderServer();
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: `${fixtures}integrations-llm/app.mjs`,
      env: { LLM_BASE_URL: provider.url, BUD_OBSERVE_ENDPOINT: receiver.url },
    });
    assert.equal(r.code, 0, r.stderr);
    const spans = await receiver.waitFor(
      (s) => s.filter((x) => x.attributes['gen_ai.usage.input_tokens'] !== undefined).length >= 8,
    );
    const genai = spans.filter((s) => s.attributes['gen_ai.system'] !== undefined);
    const counted = genai.filter((s) => s.attributes['gen_ai.usage.input_tokens'] !== undefined);
    for (const s of counted) {
      for (const k of [
        'gen_ai.usage.input_tokens',
        'gen_ai.usage.output_tokens',
        'gen_ai.usage.total_tokens',
        'gen_ai.request.max_tokens',
      ]) {
        if (k in s.attributes) assert.equal(typeof s.attributes[k], 'number', `${s.name}: ${k} = ${s.attributes[k]}`);
      }
    }
    assert.ok(
      counted.some((s) => s.attributes['gen_ai.request.max_tokens'] === 50),
      'max_tokens as sent',
    );
    for (const s of genai)
      assert.equal(s.attributes['logfire.scrubbed'], undefined, `${s.name}: ${s.attributes['logfire.scrubbed']}`);
  } finally {
    await provider.close();
    await receiver.close();
  }
});

test('regression 14.7: budobserve doctor hides the credentials and secret query values of the endpoints it prints', () => {
  // Port 9 refuses at once: doctor's probe answers "unreachable" without waiting.
  const env = {
    BUD_OBSERVE_ENDPOINT: 'http://ada:pw-endpoint-1@127.0.0.1:9/?token=tok-endpoint-2&tenant=acme&pwd=pwd-endpoint-3',
  };
  const shown = 'http://[hidden]@127.0.0.1:9/?token=[hidden]&tenant=acme&pwd=[hidden]';
  const report = doctor(root, env);
  assert.equal(report.value('export.endpoint'), shown);
  assert.deepEqual(
    report.endpoints.map((e) => e.url),
    [shown, shown, shown],
  );
  const text = spawnSync(nodeBin, [`${root}dist/cli.mjs`, 'doctor'], {
    cwd: root,
    env: cleanEnv(env),
    encoding: 'utf8',
  });
  assert.equal(text.status, 0, text.stderr);
  assert.ok(text.stdout.includes(shown), text.stdout);
  for (const secret of ['pw-endpoint-1', 'tok-endpoint-2', 'pwd-endpoint-3']) {
    assert.ok(
      !JSON.stringify(report).includes(secret) && !text.stdout.includes(secret) && !text.stderr.includes(secret),
      `doctor printed '${secret}'`,
    );
  }
});

// The formats one by one, through the scrubber itself (the end-to-end runs above show the
// wiring): each is replaced alone, with its name, and look-alikes stay.
function scrubValue(value, key = 'app.value', options = { dbStatements: true }) {
  const span = {
    name: 'x',
    kind: 0,
    spanContext: () => ({}),
    startTime: [0, 0],
    endTime: [0, 0],
    status: { code: 0 },
    attributes: { [key]: value },
    links: [],
    events: [],
    duration: [0, 0],
    ended: true,
    resource: {},
    instrumentationScope: { name: 't' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
  return new Scrubber(options).scrubSpan(span).attributes[key];
}
const part = (...p) => p.join('');

test('regression 14.7: credential formats inside any string are replaced alone', () => {
  const cases = [
    [`AWS ${part('AKIA', 'IOSFODNN7EXAMPLE')} used`, `AWS ${scrubbed('aws_access_key_id')} used`],
    [`session creds ${part('ASIA', 'Y34FZKBOKMUTVV7A')}`, scrubbed('session')], // a word first: the whole value, as Logfire does
    [`git ${part('ghp_', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8')}`, `git ${scrubbed('github_token')}`],
    [
      `git ${part('github_pat_', '11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP')}`,
      `git ${scrubbed('github_token')}`,
    ],
    [`ci ${part('glpat-', 'AbCdEf0123456789xyzW')}`, `ci ${scrubbed('gitlab_token')}`],
    [`charge ${part('rk_live_', '51HxYzAbCdEfGhIjKl')}`, `charge ${scrubbed('stripe_key')}`],
    [`llm ${part('sk-proj-', 'Abc123Def456Ghi789Jkl012Mno345')}`, `llm ${scrubbed('openai_key')}`],
    [`llm ${part('sk-ant-api03-', 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789')}`, `llm ${scrubbed('anthropic_key')}`],
    [
      `id ${part('eyJhbGciOiJIUzI1NiJ9', '.eyJzdWIiOiJhZGEifQ', '.c2lnbmF0dXJl')} expired`,
      `id ${scrubbed('jwt')} expired`,
    ],
    [`slack ${part('xoxb-', '123456789012-abcdefABCDEF')}`, `slack ${scrubbed('slack_token')}`],
    [`maps ${part('AIza', 'SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q')}`, `maps ${scrubbed('google_api_key')}`],
    [`publish ${part('npm_', 'abcdefghijABCDEFGHIJ0123456789abcdef')}`, `publish ${scrubbed('npm_token')}`],
    ['upstream: Bearer bx7Qm2ZpL9vR4tW8', `upstream: Bearer ${scrubbed('bearer')}`],
    [`upstream: Basic ${btoa('ada:pw-basic')}`, `upstream: Basic ${scrubbed('basic')}`],
    ['refresh_token: "rt-9f8e7d6c5b"', `refresh_token: "${scrubbed('token')}"`],
    ['GET /cb?code=abc123&state=x failed', `GET /cb?code=${scrubbed('code')}&state=x failed`],
    ['redis://:pw-redis@cache:6379', `redis://:${scrubbed('password')}@cache:6379`],
    ['connect to amqp://app:pw-amqp@mq:5672 failed', `connect to amqp://app:${scrubbed('password')}@mq:5672 failed`],
    ['postgres://app:p@ss@db/app', `postgres://app:${scrubbed('password')}@db/app`, 'an unencoded @ in the password'],
    [
      'https://x/api?X-Amz-Signature=abc123&passwd=pw',
      `https://x/api?X-Amz-Signature=${scrubbed('signature')}&passwd=${scrubbed('passwd')}`,
    ],
    [
      'https://x/p?apikey=k1&api_key=k2&secret=s&sig=z&mysql_pwd=m',
      `https://x/p?apikey=${scrubbed('api_key')}&api_key=${scrubbed('api_key')}&secret=${scrubbed('secret')}&sig=${scrubbed('sig')}&mysql_pwd=${scrubbed('mysql_pwd')}`,
    ],
  ];
  for (const [value, expected, why] of cases) assert.equal(scrubValue(value), expected, why ?? value);
  assert.deepEqual(scrubValue(['Bearer bx7Qm2ZpL9vR4tW8'], 'http.request.header.x-forwarded-auth'), [scrubbed('auth')]);
  assert.deepEqual(scrubValue(['ok', 'Bearer bx7Qm2ZpL9vR4tW8'], 'app.list'), ['ok', `Bearer ${scrubbed('bearer')}`]);
  const asked = [];
  const keepBearer = (m) => {
    asked.push(m);
    return m.pattern === 'bearer' ? m.value : undefined;
  };
  assert.equal(
    scrubValue(`Bearer bx7Qm2ZpL9vR4tW8 then ${part('AKIA', 'IOSFODNN7EXAMPLE')}`, 'app.value', {
      callback: keepBearer,
    }),
    `Bearer bx7Qm2ZpL9vR4tW8 then ${scrubbed('aws_access_key_id')}`,
    'a callback decides per credential',
  );
  assert.deepEqual(
    asked.map((m) => [m.path, m.value, m.pattern]),
    [
      [['attributes', 'app.value'], 'bx7Qm2ZpL9vR4tW8', 'bearer'],
      [['attributes', 'app.value'], part('AKIA', 'IOSFODNN7EXAMPLE'), 'aws_access_key_id'],
    ],
  );
  for (const key of [
    'accessToken',
    'refresh_token',
    'id_token',
    'GITHUB_TOKEN',
    'csrftoken',
    'x-auth-token',
    'api.token',
    'tokenValue',
  ])
    assert.equal(scrubValue('v', key), scrubbed(key.startsWith('x-auth') ? 'auth' : 'token'), key);
});

test('issue 14.7, must stay: look-alikes of credentials and token counts stay as they are', () => {
  const stay = [
    'Unexpected token < in JSON at position 0',
    'token: undefined',
    'Basic realm="api"',
    'Bearer realm',
    'installed sk-learn-model-selection-crossval',
    '4bf92f3577b34da6a3ce929d0e0e4736',
    'da39a3ee5e6b4b0d3255bfef95601890afd80709',
    '7f3c2a9e-5b1d-4c8e-9a2f-0d6b8e1f4a73',
    '00f067aa0ba902b7',
    `${part('AKIA', 'IOSFODNN7EXAMPL')} is too short`,
    'https://api.example.com/v1/items?id=3&page=2',
    'https://h/p?bypass=1&compass=n',
    'see https://github.com/org/repo/pull/42#issuecomment-1',
    'ssh://git@github.com/org/repo.git',
    'mailto:ada@example.com',
    'x=1&y=2',
    '{"user":"ada","items":[1,2]}',
    'The tokens used were 42',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  ];
  for (const value of stay) assert.equal(scrubValue(value), value);
  for (const [key, value] of [
    ['tokenizer', 'cl100k'],
    ['tokens_used', 5],
    ['gen_ai.usage.input_tokens', 3],
    ['gen_ai.usage.cache_read.input_tokens', 2],
    ['gen_ai.request.max_tokens', 100],
    ['gen_ai.token.type', 'input'],
    ['token_count', 5],
    ['tokenCount', 5],
    ['token_types', 'bpe'],
    ['llm.token_count.prompt', 10],
    ['http.response.header.x-ratelimit-remaining-tokens', ['99']],
    ['pwd', '/app'],
    ['passive', 'yes'],
    ['author', 'Ada'],
  ]) {
    assert.deepEqual(scrubValue(value, key), value, key);
  }
});

test('a remembered statement comes out as the first time, per dialect', () => {
  const literals = new SqlLiterals();
  const statements = [
    'SELECT id FROM items WHERE id = $1 LIMIT 50',
    `SELECT "name" FROM t WHERE a = 'x'`,
    'SELECT * FROM t WHERE card = 4111111111111111',
    `UPDATE t SET "v" = 1`,
  ];
  for (let round = 0; round < 2; round++) {
    for (const sql of statements) {
      for (const mysql of [false, true])
        assert.equal(
          literals.replace(sql, mysql),
          replaceSqlLiterals(sql, mysql),
          `${sql} (mysql: ${mysql}, round ${round})`,
        );
    }
  }
  assert.notEqual(
    literals.replace(`UPDATE t SET "v" = 1`, true),
    literals.replace(`UPDATE t SET "v" = 1`, false),
    '"v" is a string in MySQL, a name elsewhere',
  );
});
