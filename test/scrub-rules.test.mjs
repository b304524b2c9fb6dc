// Unit tests of what looks like a secret (src/processors/scrub-rules.ts): the built-in
// patterns against keys that are credentials and keys that only look like them, the agent's
// token and extra patterns (one that does not compile is warned about and skipped), the
// combined value pattern, safe and shaped keys, secret query and header names, message
// templates, and SQL literals per dialect (and what the statement cache keeps: never a
// statement that held data). test/scrubbing.test.mjs has the scrubber on real spans.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import {
  anyOf,
  compilePatterns,
  compileTemplate,
  keyInfo,
  replaceSqlLiterals,
  SAFE_KEYS,
  secretName,
  SqlLiterals,
  TOKEN_NAME,
} from '../src/processors/scrub-rules.ts';

const BUILT_IN = [
  'password',
  'passwd',
  'mysql_pwd',
  'secret',
  'auth',
  'credential',
  'private_key',
  'api_key',
  'session',
  'cookie',
  'social_security',
  'credit_card',
  'csrf',
  'xsrf',
  'jwt',
  'ssn',
  'token',
];
const patterns = compilePatterns([], undefined);
/** The pattern a key is scrubbed for, by name; null when none. */
const hit = (key, list = patterns) => keyInfo(key, list).pattern?.name ?? null;

/** The warnings emitted while `fn` runs, as their messages. */
function warningsOf(fn) {
  const emitted = mock.method(process, 'emitWarning', () => {});
  try {
    fn();
    return emitted.mock.calls.map((c) => `${c.arguments[0].code} ${c.arguments[0].message}`);
  } finally {
    emitted.mock.restore();
  }
}

test('compilePatterns: the built-ins in order, the token first when there is one, extra patterns last', () => {
  assert.deepEqual(
    patterns.map((x) => x.name),
    BUILT_IN,
  );
  assert.deepEqual(
    compilePatterns(['acme-\\d+'], 'tok').map((x) => x.name),
    [TOKEN_NAME, ...BUILT_IN, 'acme-\\d+'],
  );
  assert.deepEqual(
    compilePatterns([], '').map((x) => x.name),
    BUILT_IN,
    'an empty token is no pattern',
  );
  assert.deepEqual(
    patterns.filter((x) => x.keyOnly).map((x) => x.name),
    ['token'],
    "only 'token' is for keys alone",
  );
  assert.ok(
    patterns.filter((x) => x.name !== 'token').every((x) => x.whole instanceof RegExp),
    'each built-in word has its whole-value form',
  );
  assert.ok(
    patterns.find((x) => x.name === 'password').whole.test('PASSWORD') &&
      !patterns.find((x) => x.name === 'password').whole.test('my password'),
  );
});

test('compilePatterns: the token is matched literally, any case, as key and value', () => {
  const [token] = compilePatterns([], 'a.b+c(1)');
  assert.equal(token.name, TOKEN_NAME);
  assert.ok(token.value.test('xx A.B+C(1) yy'));
  assert.ok(!token.value.test('aXb+c(1)'), 'metacharacters are literal');
  assert.equal(hit('header a.b+c(1)', compilePatterns([], 'a.b+c(1)')), TOKEN_NAME);
});

test('compilePatterns: extra patterns are case-insensitive, (?i) dropped; one that does not compile is warned about once and skipped', () => {
  let list;
  const warned = warningsOf(() => {
    list = compilePatterns(['(?i)Acme-\\d+', '(', 'ok'], undefined);
  });
  assert.deepEqual(
    list.slice(BUILT_IN.length).map((x) => [x.name, x.value.source, x.value.flags]),
    [
      ['(?i)Acme-\\d+', 'Acme-\\d+', 'i'],
      ['ok', 'ok', 'i'],
    ],
  );
  assert.ok(list.at(-2).value.test('ACME-12'));
  assert.deepEqual(warned, [
    "BUDOBSERVE_CONFIG_INVALID budobserve: scrubbing.extraPatterns: '(' is not a valid regular expression (Invalid regular expression: /(/i: Unterminated group); it is ignored",
  ]);
});

test('keys that are credentials, as words, in camelCase, snake_case, kebab-case and dotted', () => {
  const secrets = {
    password: 'password',
    'user.password': 'password',
    userPassword: 'password',
    passwd: 'passwd',
    MYSQL_PWD: 'mysql_pwd',
    'mysql.pwd': 'mysql_pwd',
    client_secret: 'secret',
    Authorization: 'auth',
    oauth_state: 'auth',
    'x-auth': 'auth',
    credentials: 'credential',
    privateKey: 'private_key',
    'private-key': 'private_key',
    apiKey: 'api_key',
    'x-api-key': 'api_key',
    API_KEY: 'api_key',
    sessionId: 'session',
    'set-cookie': 'cookie',
    social_security_number: 'social_security',
    creditCard: 'credit_card',
    csrf: 'csrf',
    csrfToken: 'csrf',
    'x-xsrf-token': 'xsrf',
    jwt: 'jwt',
    user_ssn: 'ssn',
    SSN: 'ssn',
    token: 'token',
    accessToken: 'token',
    refresh_token: 'token',
    id_token: 'token',
    GITHUB_TOKEN: 'token',
    bearerToken: 'token',
    csrftoken: 'token',
    'x-token': 'token',
  };
  for (const [key, name] of Object.entries(secrets)) assert.equal(hit(key), name, key);
});

test('keys that only look like credentials stay', () => {
  for (const key of [
    'author',
    'authors',
    'author_id',
    'author.name',
    'tokenizer',
    'tokens_used',
    'token_count',
    'tokenType',
    'gen_ai.usage.input_tokens',
    'gen_ai.usage.output_tokens',
    'max_tokens',
    'token_limit',
    'tokenBudget',
    'token.length',
    'visits_total',
    'cache_key',
    'pwd',
    'monkey',
    'keyboard',
    'ssnake',
    'xssn',
    'jwtx',
    'nojwt',
    'mycsrfish',
    'description',
  ]) {
    assert.equal(hit(key), null, key);
  }
});

test('keyInfo: safe keys are never matched; shaped keys are named with their shape', () => {
  for (const key of SAFE_KEYS)
    assert.deepEqual(keyInfo(key, patterns), { safe: true, pattern: null, shape: undefined }, key);
  assert.deepEqual(
    keyInfo('code.function.name', compilePatterns(['function'], undefined)),
    { safe: true, pattern: null, shape: undefined },
    'code.* is safe, whatever the patterns',
  );
  assert.deepEqual(keyInfo('http.route', compilePatterns(['route'], undefined)), {
    safe: true,
    pattern: null,
    shape: undefined,
  });
  const shapes = {
    'url.full': 'url',
    'http.url': 'url',
    'http.target': 'url',
    'url.original': 'url',
    'url.query': 'query',
    'db.query.text': 'sql',
    'db.statement': 'sql',
    'exception.stacktrace': 'stack',
    'logfire.msg': 'message',
  };
  for (const [key, shape] of Object.entries(shapes))
    assert.deepEqual(keyInfo(key, patterns), { safe: false, pattern: null, shape }, key);
  assert.deepEqual(keyInfo('app.data', patterns), { safe: false, pattern: null, shape: undefined });
});

test('keyInfo: header and gRPC metadata keys are also matched by the names that carry credentials', () => {
  const cases = {
    'http.request.header.x-amz-signature': 'signature',
    'http.request.header.x-sig': 'sig',
    'http.response.header.x-request-key': 'key',
    'rpc.grpc.request.metadata.x-pwd': 'pwd',
    'rpc.grpc.response.metadata.otp': 'otp',
    'http.request.header.x-api-key': 'api_key',
    'http.request.header.bypass': null,
    'http.request.header.accept': null,
    'app.x-sig': null,
  };
  for (const [key, name] of Object.entries(cases)) assert.equal(hit(key), name, key);
});

test('secretName: query and header names that carry credentials, named for the marker', () => {
  const cases = {
    access_token: 'token',
    'X-Amz-Security-Token': 'token',
    'X-Amz-Signature': 'signature',
    sig: 'sig',
    apikey: 'key',
    'user.pass': 'pass',
    pwd: 'pwd',
    'x-otp': 'otp',
    code: 'code',
    SID: 'sid',
  };
  for (const [name, marker] of Object.entries(cases)) assert.equal(secretName(name)?.name, marker, name);
  for (const name of ['bypass', 'compass', 'page', 'codes', 'mycode', 'sidebar', 'signal', 'keys', 'tokenizer'])
    assert.equal(secretName(name), null, name);
});

test('anyOf: the value patterns as one case-insensitive RegExp; the key-only ones apart, case-sensitive', () => {
  const values = anyOf(patterns);
  assert.equal(values.flags, 'i');
  for (const text of ['my PASSWORD is', 'the api-key', 'a session', 'x-csrf']) assert.ok(values.test(text), text);
  for (const text of ['Unexpected token < in JSON', 'tokenizer', 'the author'])
    assert.ok(!values.test(text), `${text}: 'token' is for keys only`);
  const keys = anyOf(patterns, true);
  assert.equal(keys.flags, '');
  assert.ok(keys.test('accessToken') && keys.test('ACCESS_TOKEN') && !keys.test('accesstokenizer'));
  assert.equal(anyOf([]).test(''), false, 'no pattern: a RegExp that matches nothing');
  assert.equal(
    anyOf(
      patterns.filter((x) => !x.keyOnly),
      true,
    ).test('anything'),
    false,
  );
});

test('anyOf: patterns that only compile alone (named groups repeated) give undefined where the engine rejects them together', () => {
  const extra = compilePatterns(['(?<n>a)x', '(?<n>b)y'], undefined);
  let together = true;
  try {
    new RegExp('(?:(?<n>a)x)|(?:(?<n>b)y)', 'i');
  } catch {
    together = false; // duplicate named groups across alternatives: Node 24's V8 takes them, Node 22's does not
  }
  const combined = anyOf(extra);
  if (together) assert.ok(combined.test('AX') && combined.test('by'));
  else assert.equal(combined, undefined);
});

test('compileTemplate: the literals between the placeholders, the field names, and a RegExp that reads them back', () => {
  const t = compileTemplate('User {name} paid {amount:,.2f} ({ cur = }) {{not a field}} in {a.b}.');
  assert.deepEqual(t.literals, ['User ', ' paid ', ' (', ') {not a field} in ', '.']);
  assert.deepEqual(t.fields, ['name', 'amount', 'cur', 'a.b']);
  assert.deepEqual(t.re.exec('User ada paid 1,234.50 (cur="EUR") {not a field} in x.y.').slice(1), [
    'ada',
    '1,234.50',
    'cur="EUR"',
    'x.y',
  ]);
  assert.equal(t.re.exec('User ada paid 1 (x) {not a field} in z'), null, 'the final literal must match');
  const plain = compileTemplate('a.b (c)? [d]');
  assert.deepEqual(plain, { re: plain.re, literals: ['a.b (c)? [d]'], fields: [] });
  assert.ok(plain.re.test('a.b (c)? [d]') && !plain.re.test('aXb (c)? [d]') && !plain.re.test('a.b (c)? [d] and more'));
  assert.deepEqual(compileTemplate('{x}{y}').literals, ['', '', '']);
  assert.deepEqual(
    compileTemplate('{x}{y}').re.exec('12').slice(1),
    ['', '12'],
    'adjacent fields: the first takes as little as it can',
  );
});

test('replaceSqlLiterals: strings, numbers, hex, bit and dollar-quoted literals become ?; the statement keeps its shape', () => {
  const cases = {
    "SELECT * FROM t WHERE a = 'x' AND b = 42": 'SELECT * FROM t WHERE a = ? AND b = ?',
    'UPDATE t1 SET col_2 = 1.5e10, c3 = .5, d = 0xFF WHERE id = -7':
      'UPDATE t1 SET col_2 = ?, c3 = ?, d = ? WHERE id = -?',
    "SELECT 'it''s', 'a\\'b', E'\\n', N'nat', X'FF', B'01', U&'d\\0061t'": 'SELECT ?, ?, ?, ?, ?, ?, ?',
    "SELECT $$a body; with $ and 'quotes'$$, $fn$ x $fn$": 'SELECT ?, ?',
    'SELECT * FROM t WHERE a = $1 AND b = :name AND c = @p AND d = ?':
      'SELECT * FROM t WHERE a = $1 AND b = :name AND c = @p AND d = ?',
    "SELECT 1 -- a 'comment' 2\nFROM t /* 'block' 3 */": "SELECT ? -- a 'comment' 2\nFROM t /* 'block' 3 */",
    'SELECT "col 1", `col 2` FROM "t2"': 'SELECT "col 1", `col 2` FROM "t2"',
    "SELECT 'unterminated and 42": 'SELECT ?',
    'SELECT 1 /* unterminated': 'SELECT ? /* unterminated',
    'SELECT x FROM t': 'SELECT x FROM t',
    '': '',
  };
  for (const [sql, out] of Object.entries(cases)) assert.equal(replaceSqlLiterals(sql), out, sql);
});

test('replaceSqlLiterals: in MySQL and MariaDB "text" is a string, with backslash escapes', () => {
  assert.equal(replaceSqlLiterals('SELECT "a\\"b" FROM `t`', true), 'SELECT ? FROM `t`');
  assert.equal(replaceSqlLiterals('SELECT "a""b", \'c\'', true), 'SELECT ?, ?');
  assert.equal(replaceSqlLiterals('SELECT "col" FROM t', false), 'SELECT "col" FROM t', 'not in PostgreSQL');
  assert.equal(replaceSqlLiterals('SELECT "unterminated', true), 'SELECT ?');
});

test('SqlLiterals: keeps only statements that held no data (never one with a string or a long number), and stays bounded', () => {
  const kept = [];
  const mapSet = Map.prototype.set;
  const set = mock.method(Map.prototype, 'set', function (key, value) {
    if (typeof key === 'string' && key.startsWith('SELECT')) kept.push(key);
    return mapSet.call(this, key, value);
  });
  const clear = mock.method(Map.prototype, 'clear');
  try {
    const literals = new SqlLiterals();
    assert.equal(literals.replace("SELECT * FROM u WHERE pw = 'hunter2'", false), 'SELECT * FROM u WHERE pw = ?');
    assert.equal(
      literals.replace('SELECT * FROM u WHERE card = 4111111111111111', false),
      'SELECT * FROM u WHERE card = ?',
    );
    assert.equal(
      literals.replace('SELECT * FROM u WHERE id = $1 LIMIT 50', false),
      'SELECT * FROM u WHERE id = $1 LIMIT ?',
    );
    assert.equal(
      literals.replace('SELECT * FROM u WHERE id = $1 LIMIT 50', false),
      'SELECT * FROM u WHERE id = $1 LIMIT ?',
      'from the cache',
    );
    assert.equal(literals.replace(`SELECT ${'x, '.repeat(1100)}y`, false), `SELECT ${'x, '.repeat(1100)}y`);
    assert.deepEqual(
      kept,
      ['SELECT * FROM u WHERE id = $1 LIMIT 50'],
      'neither the statements with data nor one over 2 KB are kept',
    );
    for (let i = 0; i < 512; i++) literals.replace(`SELECT c${i} FROM t`, false);
    assert.equal(clear.mock.callCount(), 1, 'a stream of one-off statements clears the cache at 512');
  } finally {
    set.mock.restore();
    clear.mock.restore();
  }
});
