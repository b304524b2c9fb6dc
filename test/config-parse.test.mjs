// Unit tests of the configuration value parsers (src/config/parse.ts), one parser at a time:
// what each accepts and turns it into, what it rejects and the words of "expected …" it says,
// and what a list or map parser drops while the rest stands. They never throw, whatever the
// input. The header character rules are checked against node:http in config-values.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as p from '../src/config/parse.ts';

const ok = (value) => ({ ok: true, value });
const bad = (expected) => ({ ok: false, expected });
/** A value as a failure message shows it (String() throws for a null-prototype object). */
const show = (v) => {
  try {
    return typeof v === 'string' ? JSON.stringify(v) : String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
};
const ODD = [
  undefined,
  null,
  0,
  1,
  -1,
  Number.NaN,
  Infinity,
  true,
  false,
  '',
  ' ',
  {},
  [],
  [1],
  () => 1,
  Symbol('s'),
  10n,
  new Date(0),
  /x/,
  Object.create(null),
];

test('every parser returns a result, never throws, for values of every type', () => {
  const parsers = {
    string: p.string,
    boolean: p.boolean,
    number: p.number(0, 1),
    oneOf: p.oneOf(['a']),
    list: p.list,
    patterns: p.patterns,
    duration: p.duration,
    url: p.url,
    keyValues: p.keyValues,
    headers: p.headers,
    headerText: p.headerText,
    names: p.names(() => ['a'], 'thing'),
    regexps: p.regexps,
    prices: p.prices,
    fileOnly: p.fileOnly((v) => v === 1, 'one'),
  };
  for (const [name, parse] of Object.entries(parsers)) {
    for (const raw of ODD) {
      for (const fromEnv of [true, false]) {
        const r = parse(raw, fromEnv);
        assert.equal(typeof r.ok, 'boolean', `${name}(${show(raw)})`);
        if (!r.ok) assert.equal(typeof r.expected, 'string', `${name}(${show(raw)})`);
      }
    }
  }
});

test('string: trimmed, and not empty', () => {
  assert.deepEqual(p.string('  svc  ', true), ok('svc'));
  assert.deepEqual(p.string('a b', false), ok('a b'));
  for (const raw of ['', '   ', '\t\n', 5, null, undefined, ['x']])
    assert.deepEqual(p.string(raw, true), bad('a non-empty string'), show(raw));
});

test('boolean: true/false and the words for them, any case, trimmed', () => {
  for (const raw of [true, 'true', 'TRUE', ' yes ', 'On', '1'])
    assert.deepEqual(p.boolean(raw, true), ok(true), show(raw));
  for (const raw of [false, 'false', 'No', 'OFF', '0', ' false\n'])
    assert.deepEqual(p.boolean(raw, true), ok(false), show(raw));
  for (const raw of ['maybe', '', 'y', 'truee', 1, 0, null, undefined, ['true']])
    assert.deepEqual(p.boolean(raw, true), bad('true or false'), show(raw));
});

test('number: within [min, max] inclusive, from a number or its text; integer when asked', () => {
  const rate = p.number(0, 1);
  assert.deepEqual(rate(0, true), ok(0));
  assert.deepEqual(rate(1, true), ok(1));
  assert.deepEqual(rate('0.25', true), ok(0.25));
  assert.deepEqual(rate(' 1e-1 ', true), ok(0.1));
  for (const raw of [
    -0.001,
    1.0001,
    '1.5',
    '-1',
    '',
    '   ',
    'abc',
    '0.5x',
    Number.NaN,
    Infinity,
    -Infinity,
    null,
    true,
    [0.5],
  ]) {
    assert.deepEqual(rate(raw, true), bad('a number from 0 to 1'), show(raw));
  }
  const size = p.number(1, 10, true);
  assert.deepEqual(size('10', true), ok(10));
  assert.deepEqual(size(1, false), ok(1));
  for (const raw of [0, 11, 5.5, '2.5', '1e400'])
    assert.deepEqual(size(raw, true), bad('an integer from 1 to 10'), show(raw));
});

test('oneOf: one of the values, any case, trimmed; the message lists them', () => {
  const protocol = p.oneOf(['http/protobuf', 'http/json', 'grpc']);
  assert.deepEqual(protocol(' GRPC ', true), ok('grpc'));
  assert.deepEqual(protocol('http/json', false), ok('http/json'));
  for (const raw of ['http', 'grpcs', '', 5, null, ['grpc']])
    assert.deepEqual(protocol(raw, true), bad("one of 'http/protobuf', 'http/json', 'grpc'"), show(raw));
});

test('list: comma-separated text or an array of strings, items trimmed, empty ones left out', () => {
  assert.deepEqual(p.list(' a, b,,c ,', true), ok(['a', 'b', 'c']));
  assert.deepEqual(p.list('', true), ok([]));
  assert.deepEqual(p.list([' x ', '', 'y'], false), ok(['x', 'y']));
  assert.deepEqual(p.list(['a,b'], false), ok(['a,b']), 'an array item is one item, commas and all');
  const expected = 'a list of strings (comma-separated in an environment variable)';
  for (const raw of [['a', 1], 5, null, undefined, { a: 1 }])
    assert.deepEqual(p.list(raw, false), bad(expected), show(raw));
});

test('patterns: globs split at commas, RegExps kept as they are', () => {
  const re = /^src\//;
  assert.deepEqual(p.patterns('src/**, lib/*.js', true), ok(['src/**', 'lib/*.js']));
  assert.deepEqual(p.patterns(re, false), ok([re]));
  const r = p.patterns(['a,b', re, ' '], false);
  assert.deepEqual(r, ok(['a', 'b', re]));
  assert.equal(r.value[2], re, 'the same RegExp object');
  const expected = 'glob strings or RegExps (a comma-separated list in an environment variable)';
  for (const raw of [[1], ['a', null], 5, null, { a: 1 }])
    assert.deepEqual(p.patterns(raw, false), bad(expected), show(raw));
});

test('duration: a number of ns, us, µs, ms, s or m (any case, spaces allowed); a bare number is ms', () => {
  const cases = {
    '5ms': 5,
    '0.5s': 500,
    '.5s': 500,
    '250us': 0.25,
    '250µs': 0.25,
    7: 7,
    '1m': 60_000,
    ' 2 S ': 2000,
    '5 ms': 5,
    '2000ns': 0.002,
    0: 0,
  };
  for (const [raw, ms] of Object.entries(cases)) assert.deepEqual(p.duration(raw, true), ok(ms), raw);
  assert.deepEqual(p.duration(3, false), ok(3));
  assert.deepEqual(p.duration(0, false), ok(0));
  const expected = "a duration such as '5ms', '0.5s' or '250us' (a bare number is milliseconds)";
  for (const raw of [
    '-5ms',
    '5h',
    '1e3',
    '5msec',
    'ms',
    '',
    ' ',
    '5 5ms',
    -1,
    Number.NaN,
    Infinity,
    null,
    true,
    ['5ms'],
  ]) {
    assert.deepEqual(p.duration(raw, true), bad(expected), show(raw));
  }
});

test('url: http:// or https:// only, returned as written, trimmed', () => {
  assert.deepEqual(p.url(' http://collector:4318 ', true), ok('http://collector:4318'));
  assert.deepEqual(p.url('HTTPS://Example.com/otlp/', true), ok('HTTPS://Example.com/otlp/'));
  for (const raw of ['ftp://x', 'collector:4318', 'not a url', '//x', 'http//x', '', 5, null])
    assert.deepEqual(p.url(raw, true), bad('an http:// or https:// URL'), show(raw));
});

test('keyValues: k=v pairs percent-decoded in text; an object of strings, numbers and booleans in a file', () => {
  assert.deepEqual(p.keyValues('a=1, b = two ,', true), ok({ a: '1', b: 'two' }));
  assert.deepEqual(p.keyValues('k%3D=v%2C%20w', true), ok({ 'k=': 'v, w' }));
  assert.deepEqual(p.keyValues('a=b=c', true), ok({ a: 'b=c' }), 'the first = splits');
  assert.deepEqual(p.keyValues('a=1,a=2', true), ok({ a: '2' }), 'the last one wins');
  assert.deepEqual(p.keyValues('a=', true), ok({ a: '' }));
  assert.deepEqual(p.keyValues('', true), ok({}));
  assert.deepEqual(p.keyValues({ a: 1, b: true, c: 'x' }, false), ok({ a: '1', b: 'true', c: 'x' }));
  const expected = 'key=value pairs separated by commas (an object of strings in a file)';
  for (const raw of [
    'a',
    '=v',
    'a=1,b',
    'a=%zz',
    '%E0%A4%A=x',
    { a: {} },
    { a: null },
    { a: [1] },
    ['a=1'],
    5,
    null,
    new Map([['a', '1']]),
  ]) {
    assert.deepEqual(p.keyValues(raw, typeof raw === 'string'), bad(expected), show(raw));
  }
  // A key named __proto__ neither pollutes Object.prototype nor becomes the result's prototype.
  const r = p.keyValues('__proto__=polluted,x=1', true);
  assert.equal(r.ok, true);
  assert.equal(Object.getPrototypeOf(r.value), Object.prototype);
  assert.equal({}.polluted, undefined);
  assert.equal(r.value.x, '1');
});

test('headers: what no request can carry is dropped and said, never its value; the rest stands', () => {
  assert.deepEqual(p.headers('x-a=1,x-b=2', true), ok({ 'x-a': '1', 'x-b': '2' }));
  assert.deepEqual(p.headers('x-a=1,bad name=s3cret', true), {
    ok: true,
    value: { 'x-a': '1' },
    dropped: [
      'entry 2 is not a valid HTTP header name (not printed: it may hold a secret); export runs without it, the other headers are sent',
    ],
  });
  assert.deepEqual(p.headers('x-a=v%0D%0AX-Injected: 1', true), {
    ok: true,
    value: {},
    dropped: [
      "the value of header 'x-a' has a character no HTTP header can carry (CR, LF or another control character); ignored, no header is left",
    ],
  });
  assert.deepEqual(p.headers({ 'x-f': 'a\nb', 'x-ok': 'y' }, false).value, { 'x-ok': 'y' });
  assert.deepEqual(
    p.headers('nope', true),
    bad('key=value pairs separated by commas (an object of strings in a file)'),
  );
});

test('headerText: a non-empty string a header can carry', () => {
  assert.deepEqual(p.headerText(' tok-1 ', true), ok('tok-1'));
  assert.deepEqual(p.headerText('tab\tok', true), ok('tab\tok'), 'HTAB is allowed');
  for (const raw of ['a\nb', 'a\rb', 'a\u0000b', 'a\u0100b'])
    assert.deepEqual(
      p.headerText(raw, true),
      bad('text an HTTP header can carry (no CR, LF or other control character)'),
      JSON.stringify(raw),
    );
  assert.deepEqual(p.headerText('', true), bad('a non-empty string'));
});

test('names: unknown names are dropped with one message (a did-you-mean for one or two, five named at most); the rest stands', () => {
  const known = () => ['http', 'express', 'pg'];
  const inst = p.names(known, 'instrumentation');
  assert.deepEqual(inst('http,pg', true), ok(['http', 'pg']));
  assert.deepEqual(inst('http,expres', true), {
    ok: true,
    value: ['http'],
    dropped: ["unknown instrumentation 'expres' (did you mean 'express'?); ignored, the rest of the list is used"],
  });
  assert.deepEqual(inst('zzz', true), {
    ok: true,
    value: [],
    dropped: ["unknown instrumentation 'zzz'; ignored, no name is left"],
  });
  // Two unknown names are typos, each with its did-you-mean; three are something else.
  assert.deepEqual(inst('htp,expres', true).dropped, [
    "unknown instrumentations 'htp' (did you mean 'http'?), 'expres' (did you mean 'express'?); ignored, no name is left",
  ]);
  assert.deepEqual(inst('htp,expres,pgg', true).dropped, [
    "unknown instrumentations 'htp', 'expres', 'pgg'; ignored, no name is left",
  ]);
  assert.deepEqual(inst('a,b,c,d,e,f,g,http', true), {
    ok: true,
    value: ['http'],
    dropped: ["unknown instrumentations 'a', 'b', 'c', 'd', 'e' and 2 more; ignored, the rest of the list is used"],
  });
  const withHint = p.names(known, 'exporter', "known: 'otlp', 'console'");
  assert.deepEqual(withHint('zipkin', true).dropped, [
    "unknown exporter 'zipkin' (known: 'otlp', 'console'); ignored, no name is left",
  ]);
  // A long unknown name is cut, and gets no did-you-mean.
  const long = `${'x'.repeat(200)}http`;
  assert.deepEqual(inst(long, true).dropped, [
    `unknown instrumentation '${'x'.repeat(77)}...'; ignored, no name is left`,
  ]);
  assert.equal(inst(5, true).ok, false, 'not a list at all');
});

test('compilePattern: case-insensitive, a leading (?i) dropped', () => {
  assert.deepEqual(p.compilePattern('(?i)Secret'), /Secret/i);
  assert.throws(() => p.compilePattern('a(?i)b'), SyntaxError, 'only a leading (?i) is dropped');
  assert.ok(p.compilePattern('api[-_]key').test('API_KEY'));
  assert.throws(() => p.compilePattern('('), SyntaxError);
});

test('regexps: patterns that do not compile are dropped, five named at most, each with the reason', () => {
  assert.deepEqual(p.regexps('a+,(?i)b', true), ok(['a+', '(?i)b']));
  assert.deepEqual(p.regexps('a+,(', true), {
    ok: true,
    value: ['a+'],
    dropped: [
      "pattern '(' is not a valid regular expression (Unterminated group); ignored, the other patterns are used",
    ],
  });
  assert.deepEqual(p.regexps(['[b-a]'], false), {
    ok: true,
    value: [],
    dropped: [
      "pattern '[b-a]' is not a valid regular expression (Range out of order in character class); ignored, no pattern is left",
    ],
  });
  const many = p.regexps(
    Array.from({ length: 7 }, (_, i) => `(${i}`),
    false,
  );
  assert.deepEqual(many.value, []);
  assert.equal(many.dropped.length, 5);
  assert.equal(p.regexps(5, true).ok, false);
});

test('prices: per model, input and output USD per million tokens, from JSON text or an object', () => {
  assert.deepEqual(
    p.prices('{"gpt-4o": {"input": 2.5, "output": 10}}', true),
    ok({ 'gpt-4o': { input: 2.5, output: 10 } }),
  );
  assert.deepEqual(
    p.prices({ m: { input: 0, output: 0, cached: 1 } }, false),
    ok({ m: { input: 0, output: 0 } }),
    'other keys are left out',
  );
  assert.deepEqual(p.prices({}, false), ok({}));
  const expected =
    'an object of { "<model>": { "input": <USD per 1M tokens>, "output": <USD per 1M tokens> } } (JSON text in a variable)';
  for (const raw of [
    'not json',
    '[]',
    '5',
    'null',
    '{"m": {"input": 1}}',
    { m: { input: -1, output: 1 } },
    { m: { input: 1, output: -1 } },
    { m: { input: '1', output: 1 } },
    { m: { input: Number.NaN, output: 1 } },
    { m: null },
    { m: [1, 2] },
    [],
    null,
    5,
  ]) {
    assert.deepEqual(
      p.prices(raw, typeof raw === 'string'),
      bad(expected),
      typeof raw === 'string' ? raw : JSON.stringify(raw),
    );
  }
});

test('fileOnly: a value only a config file can give, never from the environment', () => {
  const fn = p.fileOnly((v) => typeof v === 'function', 'a function');
  const f = () => 1;
  assert.deepEqual(fn(f, false), ok(f));
  assert.deepEqual(fn(f, true), bad('a function'), 'not from env, even if it passed the check');
  assert.deepEqual(fn('() => 1', false), bad('a function'));
});

test('isPlainObject: object literals and null-prototype objects only', () => {
  for (const v of [{}, { a: 1 }, Object.create(null), JSON.parse('{"a":1}')])
    assert.equal(p.isPlainObject(v), true, show(v));
  for (const v of [
    null,
    undefined,
    [],
    new Map(),
    new Date(),
    /x/,
    Object.create({}),
    new (class A {})(),
    'x',
    1,
    () => ({}),
  ])
    assert.equal(p.isPlainObject(v), false, show(v));
});
