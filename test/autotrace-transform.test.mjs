// Unit checks of the auto-trace rewrite (src/autotrace/): the wrapper shapes of the runtime
// protocol, qualified names and positions, what is skipped, idempotence, parse errors, and
// the source map (onto the original, chained onto a compiler's inline map).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SourceMap } from 'node:module';
import { parse } from '@babel/parser';
import { transformSync } from 'esbuild';
import { rewriteModule, RewriteDeclined } from '../src/autotrace/transform/rewrite.ts';

const FILE = '/app/src/mod.js';
const rw = (source, options = {}) =>
  rewriteModule(source, { filename: FILE, relPath: 'src/mod.js', format: 'module', ...options });

/** The enter/async calls of rewritten code, as [name, line, column]. */
function sites(code) {
  return [...code.matchAll(/\.(?:enter|enterAsync)\(("(?:[^"\\]|\\.)*"), "[^"]*", (\d+), (\d+)/g)].map((m) => [
    JSON.parse(m[1]),
    Number(m[2]),
    Number(m[3]),
  ]);
}
const names = (source, options) => sites(rw(source, options).code).map((s) => s[0]);

/** The output must parse, as what it claims to be. */
function assertParses(code, format = 'module', plugins = []) {
  assert.doesNotThrow(() => parse(code, { sourceType: format, plugins }), code);
}

test('the wrapper shapes of the protocol, and the runtime footer', () => {
  const out = rw(`function f(a) {\n  return a + 1;\n}\n`);
  assert.equal(out.functions, 1);
  assert.equal(
    out.code,
    `function f(a) { var __budT = __budRt().enter("f", "src/mod.js", 1, 0); try {\n  return a + 1;\n } catch (__budE) { __budRt().fail(__budT, __budE); throw __budE; } finally { __budRt().exit(__budT); } }\n
var __budR;
function __budRt() { return __budR || (__budR = globalThis[Symbol.for('budobserve.autotrace')] || { enter() { return 0; }, exit() {}, fail() {}, enterAsync() { return 0; }, away(T, v) { return v; }, loop(T, v) { return v; }, back(T, v) { return v; }, resume() {}, ret(T, v) { return v; }, exitAsync() {} }); }
`,
  );
  const asyncOut = rw(`async function g() { 'use strict'\n  await 1; }`).code;
  assert.equal(
    asyncOut.slice(0, asyncOut.indexOf('\nvar __budR')),
    `async function g() { 'use strict'; var __budT = __budRt().enterAsync("g", "src/mod.js", 1, 0); try {\n  __budRt().back(__budT, await __budRt().away(__budT, 1));  } catch (__budE) { __budRt().fail(__budT, __budE); throw __budE; } finally { __budRt().exitAsync(__budT); } }`,
  );
  assert.match(
    rw('const h = (x) => ({ x });').code,
    /^const h = \(x\) => \{ var __budT = __budRt\(\)\.enter\("h", "src\/mod\.js", 1, 10\); try \{ return \(\{ x \}\); \} catch/,
  );
  assert.match(
    rw('const k = async (x) => (x);').code,
    /^const k = async \(x\) => \{ var __budT = __budRt\(\)\.enterAsync\("k", "src\/mod\.js", 1, 10\); try \{ return __budRt\(\)\.ret\(__budT, \(\(x\)\)\); \} catch \(__budE\) \{ __budRt\(\)\.fail\(__budT, __budE\); throw __budE; \} finally \{ __budRt\(\)\.exitAsync\(__budT\); \} \};/,
  );
  // Inside an async body: every await, return, catch and finally block, and for-await loop
  // (its labels inside the block); nothing in nested functions or class static blocks.
  const body = (code) => code.slice(code.indexOf('try {') + 6, code.lastIndexOf(' } catch (__budE)')).trim();
  assert.equal(
    body(rw('async function a() { try { return await f(); } catch (e) { g(); } finally { h(); } }').code),
    'try { return __budRt().ret(__budT, (__budRt().back(__budT, await __budRt().away(__budT, f())))); } catch (e) { __budRt().back(__budT); g(); } finally { __budRt().back(__budT); h(); }',
  );
  assert.equal(
    body(rw('async function b() { l: for await (const x of xs) if (x) continue l; return a, b; }').code),
    '{ l: for await (const x of __budRt().loop(__budT, xs)) { __budRt().resume(__budT); if (x) continue l; } __budRt().back(__budT); } return __budRt().ret(__budT, (a, b));',
  );
  const nested = rw(
    'async function c() { class K { static { try {} catch {} } } return function () { try { return 1; } catch {} }; }',
  ).code;
  assert.equal(nested.match(/\.back\(|\.ret\(/g).length, 1, 'only the outer return');
  assert.equal(
    body(rw('async function d() { await(x); await await y; }').code),
    '__budRt().back(__budT, await __budRt().away(__budT,(x))); __budRt().back(__budT, await __budRt().away(__budT, __budRt().back(__budT, await __budRt().away(__budT, y))));',
  );
  // Empty bodies keep their halves together.
  assert.equal(
    rw('function e() {}').code.split('\n')[0],
    'function e() { var __budT = __budRt().enter("e", "src/mod.js", 1, 0); try { } catch (__budE) { __budRt().fail(__budT, __budE); throw __budE; } finally { __budRt().exit(__budT); } }',
  );
  for (const src of [
    'function f() {}',
    "function f() { 'use strict' }",
    'const f = () => () => ((1))',
    'async function f() { return function* () {} }',
    'x => y => z => x + y + z',
    'f(function () { return 1 }, () => 2)',
  ]) {
    assertParses(rw(src).code);
  }
});

test('lines stay where they were: insertions hold no line break', () => {
  const src = `class A {\n  m() {\n    return 1;\n  }\n  static s = () =>\n    2;\n}\nfunction f() {\n  return g();\n  function g() { return 3; }\n}\n`;
  const out = rw(src).code.split('\n');
  const lines = src.split('\n');
  assert.equal(out.length, lines.length + 3, 'three footer lines');
  for (let i = 0; i < lines.length; i++) {
    for (const token of lines[i].match(/[\w.]+/g) ?? [])
      assert.ok(out[i].includes(token), `line ${i + 1} keeps ${token}: ${out[i]}`);
  }
});

test('qualified names and positions', () => {
  const src = [
    'class UserService {',
    '  constructor() { this.handler = function () {}; }',
    '  getUser() { const inner = () => 1; function helper() {} }',
    '  static create() {}',
    '  #secret() {}',
    '  get name() { return 1; } set name(v) {}',
    '  field = () => 1;',
    '  [Symbol.iterator]() {}',
    "  'a b'() {}",
    '}',
    'const obj = { method() {}, nested: { deep() {} }, arrow: () => 1 };',
    'function Legacy() {}',
    'Legacy.prototype.run = function () {};',
    'exports.exported = function () {};',
    'const f = function realName() {};',
    'someCall(() => 1);',
    'const kept = __name((x) => x, "kept");',
    'export default function () {}',
  ].join('\n');
  assert.deepEqual(sites(rw(src).code), [
    ['UserService.constructor', 2, 2],
    ['UserService.handler', 2, 33],
    ['UserService.getUser', 3, 2],
    ['UserService.getUser.inner', 3, 28],
    ['UserService.getUser.helper', 3, 37],
    ['UserService.create', 4, 2],
    ['UserService.#secret', 5, 2],
    ['UserService.name', 6, 2],
    ['UserService.name', 6, 27],
    ['UserService.field', 7, 10],
    ['UserService[Symbol.iterator]', 8, 2],
    ['UserService["a b"]', 9, 2],
    ['obj.method', 11, 14],
    ['obj.nested.deep', 11, 37],
    ['obj.arrow', 11, 57],
    ['Legacy', 12, 0],
    ['Legacy.run', 13, 23],
    ['exports.exported', 14, 19],
    ['realName', 15, 10],
    ['<anonymous>', 16, 9],
    ['kept', 17, 20],
    ['default', 18, 15],
  ]);
  assert.deepEqual(names('export default () => 1;'), ['default']);
  assert.deepEqual(names('export default class { m() {} }'), ['default.m']);
  assert.deepEqual(
    names('module.exports = class Thing { m() {} }; module.exports.helper = () => 1;', { format: 'commonjs' }),
    ['Thing.m', 'module.exports.helper'],
  );
  assert.deepEqual(names('function outer(cb = () => 1) { return { m() { this.x = () => 2; } }; }'), [
    'outer.cb',
    'outer',
    'outer.m',
    'outer.x',
  ]);
});

test('left untouched: generators, direct eval, budobserve-ignore, asm.js, `with` bodies, bodies whose declarations a wrapper would rebind', () => {
  assert.deepEqual(
    names('function* g() {} async function* ag() {} class C { *m() {} async *n() {} } function f() {}'),
    ['f'],
  );
  assert.deepEqual(
    names(
      'function outer() { const inner = () => eval("1"); const other = () => 2; } function indirect() { (0, eval)("1"); }',
    ),
    ['outer.other', 'indirect'],
    'direct eval: the functions around it stay as they are',
  );
  const ignored = [
    '// budobserve-ignore\nfunction a() { function nested() {} }',
    '/* budobserve-ignore */ export function b() {}',
    '// budobserve-ignore\nconst c = () => 1;',
    'const o = { /* budobserve-ignore */ m() {}, kept() {} };',
    '// budobserve-ignore\nclass D { m() {} }',
    'class E { /** budobserve-ignore */ m() {} kept() {} }',
    'function asm() { "use asm"; return {}; }',
  ].join('\n');
  assert.deepEqual(names(ignored), ['o.kept', 'E.kept']);
  assert.equal(rw('// budobserve-ignore-file\nfunction f() {}'), undefined);
  // A declaration in a try block would be block-scoped: these stay unwrapped (the functions
  // declared in them are wrapped as any other).
  assert.deepEqual(
    names(
      'function v() { var x; function x() {} } function p(x) { function x() {} } function d() { function q() {} function q() {} } function fine() { let n = 0; inc(); function inc() { n++; } }',
    ),
    ['v.x', 'p.x', 'd.q', 'd.q', 'fine', 'fine.inc'],
  );
  // An async body stays in its function: `var` over a parameter is the same binding.
  assert.deepEqual(
    names(
      'async function a(o) { var o = o || {}; } async function b() { var arguments; } async function c(o) { var p = o; }',
      { format: 'commonjs' },
    ),
    ['a', 'b', 'c'],
  );
  // An async function awaiting inside `with`: the names of its marks would be looked up on the object.
  assert.deepEqual(
    names('async function aw(o) { with (o) { await x; } } async function ok(o) { with (o) {} await o; }', {
      format: 'commonjs',
    }),
    ['ok'],
  );
  // `await using` awaits at the end of its block, where no mark can go.
  assert.deepEqual(
    names('async function au() { await using r = open(); } async function u() { using r = open(); await r; }'),
    ['u'],
  );
  // Functions whose source runs elsewhere (a browser) have no runtime there.
  assert.deepEqual(
    names(
      'async function t(page) { await page.evaluate(() => document.title); await page.$eval("a", function (a) { return a.href; }); }',
    ),
    ['t'],
  );
  // Inside `with`, the wrapper's own names would be looked up on the object first.
  assert.deepEqual(names('function w(o) { with (o) { return [() => x, function () {}]; } }', { format: 'commonjs' }), [
    'w',
  ]);
  assert.equal(rw('const x = 1;'), undefined, 'nothing to wrap');
});

test('idempotent; identifiers that would collide get a suffix', () => {
  const once = rw('function f() { return 1; }').code;
  assert.equal(rw(once), undefined, 'already rewritten');
  const out = rw('var __budT = 1; function f() { return __budT; }').code;
  assert.match(out, /var __budT_1 = __budRt_1\(\)\.enter\("f"/);
  assert.match(out, /function __budRt_1\(\)/);
  assertParses(out);
});

test('parse errors throw; CommonJS, TypeScript, JSX, hashbang and BOM are handled', () => {
  assert.throws(
    () => rw('function ( {'),
    (e) =>
      e instanceof RewriteDeclined && e.reason === 'syntax' && e.cause instanceof SyntaxError && e.cause.loc.line === 1,
  );
  const cjs = rw(
    '#!/usr/bin/env node\n"use strict"\nif (!module.parent) return;\nfunction f() { return new.target; }\n',
    { format: 'commonjs' },
  );
  assert.ok(cjs.code.startsWith('#!/usr/bin/env node\n"use strict"\n'));
  assertParses(cjs.code, 'commonjs');
  assert.deepEqual(
    sites(rw('\uFEFFfunction f() {}').code),
    [['f', 1, 0]],
    'positions count without the byte-order mark',
  );
  assert.ok(!rw('\uFEFFfunction f() {}').code.startsWith('\uFEFF'));
  assert.deepEqual(
    names('import x from "y"; export function f() {}', { format: 'commonjs' }),
    ['f'],
    'module syntax in a file called CommonJS',
  );
  const ts = rw(
    'function f<T>(x: T): T { return x; }\nclass A { private m(): void {} }\nconst g = (x: number): string => `${x}`;',
    { filename: '/app/src/mod.ts' },
  );
  assert.deepEqual(
    sites(ts.code).map((s) => s[0]),
    ['f', 'A.m', 'g'],
  );
  assertParses(ts.code, 'module', ['typescript']);
  assert.deepEqual(names('const C = () => <div onClick={() => 1} />;', { filename: '/app/src/c.jsx' }), [
    'C',
    'C.<anonymous>',
  ]);
});

test("the source map points at the original file, token by token, through Node's own SourceMap", () => {
  const src = 'export class A { m() { return this.x.y; } }\nexport const f = (o) => o.deep.call();\n';
  const out = rw(src);
  assert.deepEqual(out.map.sources, ['file:///app/src/mod.js']);
  assert.equal(out.map.sourcesContent, undefined, 'the original is on disk');
  const sm = new SourceMap(out.map);
  const lines = out.code.split('\n');
  for (const [line, token] of [
    [0, '.y;'],
    [0, 'this.x'],
    [1, '.call()'],
    [1, 'o.deep'],
  ]) {
    const entry = sm.findEntry(line, lines[line].indexOf(token));
    assert.deepEqual([entry.originalLine, entry.originalColumn], [line, src.split('\n')[line].indexOf(token)], token);
  }
});

test("a compiler's map is chained: inline, passed as an object or as JSON; positions and paths of the TypeScript", () => {
  const ts =
    'interface P { x: number }\n\nexport function area(p: P): number {\n  return p.x * 2;\n}\nexport class Shape {\n  grow(by: number): void { throw new Error(`${by}`); }\n}\n';
  const compiled = transformSync(ts, {
    loader: 'ts',
    sourcemap: 'inline',
    sourcefile: '/app/src/shape.ts',
    format: 'esm',
  }).code;
  const opts = { filename: '/app/dist/shape.js', relPath: 'dist/shape.js', format: 'module' };
  const inline = rewriteModule(compiled, opts);
  assert.deepEqual(inline.map.sources, ['file:///app/src/shape.ts']);
  assert.equal(inline.map.sourcesContent[0], ts);
  assert.ok(!inline.code.includes('sourceMappingURL'), "the compiler's comment is dropped (the caller attaches ours)");
  assert.deepEqual(
    sites(inline.code),
    [
      ['area', 3, 7],
      ['Shape.grow', 7, 2],
    ],
    'positions of the TypeScript source',
  );
  assert.match(inline.code, /"src\/shape\.ts"/, 'path of the TypeScript source, relative to the root');
  const sm = new SourceMap(inline.map);
  const lines = inline.code.split('\n');
  const at = lines.findIndex((l) => l.includes('new Error'));
  const entry = sm.findEntry(at, lines[at].indexOf('new Error'));
  assert.deepEqual(
    [entry.originalSource, entry.originalLine, entry.originalColumn],
    ['file:///app/src/shape.ts', 6, ts.split('\n')[6].indexOf('new Error')],
  );

  const external = transformSync(ts, {
    loader: 'ts',
    sourcemap: 'external',
    sourcefile: '/app/src/shape.ts',
    format: 'esm',
  });
  for (const given of [JSON.parse(external.map), external.map]) {
    const out = rewriteModule(external.code, { ...opts, inputSourceMap: given });
    assert.deepEqual(sites(out.code), [
      ['area', 3, 7],
      ['Shape.grow', 7, 2],
    ]);
    assert.deepEqual(out.map.sources, ['file:///app/src/shape.ts']);
  }
});
