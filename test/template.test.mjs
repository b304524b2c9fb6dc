// Unit tests of message templates and attribute values (src/api/template.ts): every lookup
// form of formatMessage, each format spec, what stays as written (missing keys, braces, a
// broken template, a throwing getter: formatting never throws), how values display, the JSON
// of odd values (cycles, Maps, Sets, BigInts, Errors, binary data, huge ones), their JSON
// Schema, and which values become attributes as they are. test/api.test.mjs has the same
// through the public API in a real process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { display, formatMessage, jsonSchemaOf, safeStringify, toAttributes } from '../src/api/template.ts';

const DT = 'x-budobserve-datatype';

test('formatMessage: lookups by name, dotted path, index, quoted key and Map key; a dotted key as written first', () => {
  const attrs = {
    name: 'ada',
    user: { name: 'grace', roles: ['admin', 'ops'], 'full name': 'Grace Hopper' },
    items: [{ id: 7 }],
    byId: new Map([['k1', 'from a map']]),
    'user.name': 'the dotted key',
    empty: '',
    zero: 0,
    nothing: null,
    undef: undefined,
    obj: { u: undefined },
  };
  const cases = {
    'Hello {name}': 'Hello ada',
    '{ name }': 'ada',
    '{user.name}': 'the dotted key',
    '{user.roles[1]}': 'ops',
    "{user['full name']}": 'Grace Hopper',
    '{user["full name"]}': 'Grace Hopper',
    '{items[0].id}': '7',
    '{byId.k1}': 'from a map',
    '{empty}|{zero}|{nothing}|{undef}': '|0|null|undefined',
    '{user.roles}': '["admin","ops"]',
    '{name.length}': '3',
    '{obj.u} {obj.v}': 'undefined {obj.v}',
  };
  for (const [template, expected] of Object.entries(cases))
    assert.equal(formatMessage(template, attrs), expected, template);
});

test('formatMessage: what it cannot fill stays as written', () => {
  const attrs = { a: { b: null }, n: 1 };
  const cases = {
    'no placeholders at all': 'no placeholders at all',
    'Missing {nope} and {a.nope} and {a.b.c}': 'Missing {nope} and {a.nope} and {a.b.c}',
    '{{literal}} and }} and {{': '{literal} and } and {',
    'Empty {} and { }': 'Empty {} and { }',
    'Broken {': 'Broken {',
    'Broken } too': 'Broken } too',
    '{n': '{n',
    '{=}': '{=}',
  };
  for (const [template, expected] of Object.entries(cases))
    assert.equal(formatMessage(template, attrs), expected, template);
  // A getter that throws: the template is returned whole rather than half formatted.
  const throwing = {
    ok: 1,
    get bad() {
      throw new Error('getter');
    },
  };
  assert.equal(formatMessage('{ok} then {bad}', throwing), '{ok} then {bad}');
});

test('formatMessage: {name=} shows the name and the value, strings quoted', () => {
  assert.equal(formatMessage('{word=}', { word: 'hi' }), 'word="hi"');
  assert.equal(formatMessage('{price=}', { price: 1234.5 }), 'price=1234.5');
  assert.equal(formatMessage('{ user.id = }', { user: { id: 7 } }), 'user.id=7');
  assert.equal(formatMessage('{price=:.2f}', { price: 2 }), 'price=2.00', 'with a spec after the =, as in Python');
  assert.equal(formatMessage('{price:.2f=}', { price: 2 }), '2', 'a spec it cannot read: the value as it is');
});

test('formatMessage: format specs for numbers (fixed, thousands, percent, exponent, width, fill, alignment) and strings', () => {
  const v = { n: 1234.5, big: 1234567, r: 0.256, s: 'hi', long: 'abcdef', i: 7 };
  const cases = {
    '{n:.2f}': '1234.50',
    '{n:f}': '1234.500000',
    '{big:,}': '1,234,567',
    '{n:,.2f}': '1,234.50',
    '{r:.1%}': '25.6%',
    '{r:%}': '25.600000%',
    '{n:e}': '1.2345e+3',
    '{i:5}': '    7',
    '{s:5}': 'hi   ',
    '{s:>5}': '   hi',
    '{s:*^6}': '**hi**',
    '{s:-^5}': '-hi--',
    '{i:0>3}': '007',
    '{long:.3}': 'abc',
    '{long:2}': 'abcdef',
    '{n:zz}': '1234.5',
    '{s:.2f}': 'hi',
  };
  for (const [template, expected] of Object.entries(cases))
    assert.equal(formatMessage(template, v), expected, template);
});

test('display: strings as they are, other primitives as text, errors and dates readable, the rest as JSON', () => {
  assert.equal(display('plain'), 'plain');
  assert.equal(display(undefined), 'undefined');
  assert.equal(display(null), 'null');
  assert.equal(display(1.5), '1.5');
  assert.equal(display(false), 'false');
  assert.equal(display(10n), '10');
  assert.equal(display(new TypeError('bad thing')), 'TypeError: bad thing');
  assert.equal(display(new Date(Date.UTC(2026, 0, 2))), '2026-01-02T00:00:00.000Z');
  assert.equal(display(new Date(Number.NaN)), 'Invalid Date');
  assert.equal(display({ a: [1, 'b'] }), '{"a":[1,"b"]}');
});

test('safeStringify: cycles cut; Maps, Sets, BigInts, functions, symbols, Errors and binary data readable', () => {
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  assert.equal(safeStringify(cyclic), '{"a":1,"self":"[Circular]"}');
  assert.equal(
    safeStringify(
      new Map([
        ['k', { x: 1 }],
        [2, 'two'],
      ]),
    ),
    '{"2":"two","k":{"x":1}}',
    'a key that is no string as its JSON',
  );
  assert.equal(safeStringify(new Map([[{ id: 1 }, 'v']])), '{"{\\"id\\":1}":"v"}');
  assert.equal(safeStringify(new Set(['s', 1])), '["s",1]');
  assert.equal(safeStringify({ n: 10n }), '{"n":"10"}');
  assert.equal(
    safeStringify({ f: function named() {}, g: [function () {}] }),
    '{"f":"[Function named]","g":["[Function anonymous]"]}',
  );
  assert.equal(safeStringify({ s: Symbol('tag') }), '{"s":"Symbol(tag)"}');
  const err = new RangeError('out');
  assert.deepEqual(JSON.parse(safeStringify({ err })), {
    err: { name: 'RangeError', message: 'out', stack: err.stack },
  });
  assert.equal(safeStringify(Buffer.from('hey')), '"aGV5"');
  assert.equal(safeStringify({ b: Buffer.from('hey') }), '{"b":"aGV5"}');
  assert.equal(safeStringify(new Uint16Array([1, 2])), '[1,2]');
  assert.equal(safeStringify(new Date(Date.UTC(2026, 0, 2))), '"2026-01-02T00:00:00.000Z"');
  assert.equal(safeStringify(undefined), 'undefined');
  assert.equal(safeStringify('text'), '"text"');
});

test('safeStringify: at most 64 KiB of JSON, and never a throw', () => {
  const huge = safeStringify('x'.repeat(70_000));
  assert.equal(huge.length, 64 * 1024 + 1);
  assert.ok(huge.startsWith('"xxx') && huge.endsWith('x…'), huge.slice(-5));
  assert.equal(safeStringify('x'.repeat(100)).length, 102, 'shorter JSON is whole');
  assert.equal(
    safeStringify({
      toJSON() {
        throw new Error('no');
      },
    }),
    '"[unserializable]"',
  );
  assert.equal(
    safeStringify(
      new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('trap');
          },
        },
      ),
    ),
    '"[unserializable]"',
  );
});

test('jsonSchemaOf: the JSON Schema type of each value, and what it was in JavaScript', () => {
  class Money {}
  const cases = [
    [null, { type: 'null' }],
    [undefined, { type: 'null' }],
    ['s', { type: 'string' }],
    [1, { type: 'number' }],
    [true, { type: 'boolean' }],
    [1n, { type: 'string', [DT]: 'BigInt' }],
    [() => 1, { type: 'string', [DT]: 'Function' }],
    [new Date(0), { type: 'string', format: 'date-time', [DT]: 'Date' }],
    [new TypeError('x'), { type: 'object', [DT]: 'Error', title: 'TypeError' }],
    [new Map(), { type: 'object', [DT]: 'Map' }],
    [new Set(), { type: 'array', [DT]: 'Set' }],
    [Buffer.from('x'), { type: 'string', format: 'base64', [DT]: 'Buffer' }],
    [new Float32Array(1), { type: 'array', [DT]: 'Float32Array' }],
    [[1, 2], { type: 'array' }],
    [{ a: 1 }, { type: 'object' }],
    [Object.create(null), { type: 'object' }],
    [new Money(), { type: 'object', [DT]: 'Money' }],
  ];
  for (const [value, schema] of cases)
    assert.deepEqual(jsonSchemaOf(value), schema, Object.prototype.toString.call(value));
});

test('toAttributes: primitives and homogeneous primitive arrays as they are, the rest as JSON described in logfire.json_schema', () => {
  assert.deepEqual(toAttributes({ s: 'x', n: 1, b: false, arr: [1, 2], strs: ['a'], none: [], skipped: undefined }), {
    s: 'x',
    n: 1,
    b: false,
    arr: [1, 2],
    strs: ['a'],
    none: [],
  });
  const attrs = toAttributes({
    mixed: [1, 'a'],
    nul: null,
    big: 12n,
    when: new Date(Date.UTC(2026, 0, 2)),
    obj: { k: [1] },
  });
  assert.deepEqual(attrs, {
    mixed: '[1,"a"]',
    nul: 'null',
    big: '12',
    when: '2026-01-02T00:00:00.000Z',
    obj: '{"k":[1]}',
    'logfire.json_schema': JSON.stringify({
      type: 'object',
      properties: {
        mixed: { type: 'array' },
        nul: { type: 'null' },
        big: { type: 'string', [DT]: 'BigInt' },
        when: { type: 'string', format: 'date-time', [DT]: 'Date' },
        obj: { type: 'object' },
      },
    }),
  });
  // Into existing attributes, which are kept; no schema when nothing was serialized.
  const into = { keep: 1 };
  assert.equal(toAttributes({ a: 'x' }, into), into);
  assert.deepEqual(into, { keep: 1, a: 'x' });
});
