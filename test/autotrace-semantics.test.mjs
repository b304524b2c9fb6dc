// The auto-trace rewrite changes no program's behaviour (issue 9, point 3): every fixture
// under fixtures/autotrace/ runs once as written and once with each of its modules
// rewritten (test/helpers/autotrace-loader.mjs, with a stub runtime that counts calls), and
// must print the same stdout and end with the same code; stack positions the fixtures print
// must be the same (the rewritten run maps them through the inline source map); and the stub
// must have seen balanced enter/exit calls, every async call settle, and the expected names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runApp, fixtures, root } from './helpers/run.mjs';

const loader = ['--import', `${root}test/helpers/autotrace-loader.mjs`];
const dir = `${fixtures}autotrace/`;

/** Runs `script` plainly and rewritten; returns both results and the stub's statistics. */
async function both(script, { preload = [], env = {}, code = 0 } = {}) {
  const plain = await runApp({ script: `${dir}${script}`, preload, env });
  assert.equal(plain.code, code, `${script} itself fails:\n${plain.stderr}`);
  const rewritten = await runApp({ script: `${dir}${script}`, preload: [...preload, ...loader], env });
  const line = rewritten.stderr.split('\n').find((l) => l.startsWith('AUTOTRACE_STATS '));
  assert.ok(line, `no statistics from the stub runtime:\n${rewritten.stderr}`);
  const stats = JSON.parse(line.slice('AUTOTRACE_STATS '.length));
  // Node 22 names a source-mapped static method's frame by its receiver type (Function.make,
  // where 24 prints Widget.make): the same frame, only printed otherwise.
  const frames = (out) =>
    out
      .replace(/\bFunction\.(\w+) /g, '<static>.$1 ')
      .replace(/\b[A-Z]\w*\.(\w+) (fixtures\/autotrace\/stack\.cjs:33:)/g, '<static>.$1 $2');
  assert.equal(
    frames(rewritten.stdout),
    frames(plain.stdout),
    `stdout differs for ${script}\n--- stderr:\n${rewritten.stderr}`,
  );
  assert.equal(rewritten.code, plain.code, `exit code differs for ${script}:\n${rewritten.stderr}`);
  assert.deepEqual(stats.errors, [], 'enter/exit/fail calls pair up');
  assert.equal(stats.exit, stats.enter, 'every synchronous call exits');
  assert.equal(stats.settled, stats.async, 'every async call settles');
  assert.ok(stats.enter + stats.async > 0, 'something was traced');
  return { plain, rewritten, stats };
}

const calls = (stats, name) => stats.names[name] ?? {};

test('CommonJS, sloppy: this, mapped arguments, hoisting, new.target, names and lengths, thrown values, generators, eval, exports', async () => {
  const { stats } = await both('cjs-sloppy.cjs');
  assert.deepEqual(
    stats.rewritten,
    ['cjs-sloppy.cjs', 'cjs-exports-fn.cjs', 'cjs-exports-class.cjs', 'cjs-exports-props.cjs'].map(
      (f) => `fixtures/autotrace/${f}`,
    ),
  );
  assert.equal(calls(stats, 'fib').enter, 1973);
  assert.equal(calls(stats, 'Animal.speak').enter, 3);
  assert.equal(calls(stats, 'usesInnerBeforeDeclaration.inner').enter, 1);
  assert.equal(calls(stats, 'labelled.lf').enter, 1);
  assert.equal(calls(stats, 'obj.prop').enter, 2, 'getter and setter');
  assert.equal(calls(stats, 'square').enter, 1, 'module.exports = function square');
  assert.equal(calls(stats, 'Thing.constructor').enter, 1, 'module.exports = class Thing (file with a BOM)');
  assert.equal(calls(stats, 'exports.add').enter, 2);
  assert.equal(calls(stats, 'indirectEval').enter, 1);
  assert.equal(stats.names.withEval, undefined, 'direct eval: untouched');
  assert.equal(stats.names.counter, undefined, 'generators: untouched');
  assert.equal(stats.fail, 12, 'six thrown values, each through two functions');
  assert.equal(stats.sites.early, 'fixtures/autotrace/cjs-sloppy.cjs:6:0');
  assert.equal(stats.sites['Animal.speak'], 'fixtures/autotrace/cjs-sloppy.cjs:30:25');
});

test('CommonJS, strict (hashbang, directive without semicolon): classes, super, block-scoped functions', async () => {
  const { stats } = await both('cjs-strict.cjs');
  assert.equal(calls(stats, 'Derived.constructor').enter, 1);
  assert.equal(calls(stats, 'Base.constructor').enter, 2);
  assert.equal(calls(stats, 'Derived.value').enter, 3);
  assert.equal(calls(stats, 'FakeDerivedReturn.X.constructor').enter, 1);
  assert.equal(calls(stats, 'twoDeclarations.d').enter, 1);
  assert.equal(stats.sites['Base.create'], 'fixtures/autotrace/cjs-strict.cjs:37:2');
  assert.equal(calls(stats, 'closure.add').enter, 2, 'a declaration after statements, closing over a const');
  assert.equal(
    calls(stats, 'redeclaresParam').async,
    1,
    'async, `var` redeclaring a parameter: the same binding, in the same function',
  );
});

test('ES modules: private and static members, super in classes and objects, live bindings, circular imports, default exports', async () => {
  const { stats } = await both('esm-main.mjs');
  assert.equal(stats.rewritten.length, 8, 'and the CommonJS module imported by name');
  assert.equal(calls(stats, 'Counter.#bump').enter, 2);
  assert.equal(calls(stats, 'Dog.speak.base').enter, 1);
  assert.equal(calls(stats, 'proto.greet').enter, 2);
  assert.equal(calls(stats, 'helperForB').enter, 1, 'called by the other module of the cycle before its own ran');
  assert.equal(calls(stats, 'default').enter, 2, 'export default function () {} and export default () => {}');
  assert.equal(calls(stats, 'default.hi').enter, 1);
  assert.equal(stats.sites.increment, 'fixtures/autotrace/esm-counter.mjs:2:7');
});

test('async functions, methods and arrows: order, this/arguments/super, rejections', async () => {
  const { stats } = await both('async.mjs');
  assert.equal(calls(stats, 'worker').async, 5);
  assert.equal(calls(stats, 'Service.fetch').async, 7);
  assert.equal(calls(stats, 'Service.#secret').async, 1);
  assert.equal(calls(stats, 'Special.arrowSuper.f').async, 1);
  assert.equal(calls(stats, 'exprBody').async, 1);
  assert.equal(stats.names.pages, undefined, 'async generators: untouched');
  assert.equal(stats.rejected, 3);
});

test('stack traces and error positions point at the original file, line and column', async () => {
  const { plain, stats } = await both('stack.cjs');
  assert.match(
    plain.stdout,
    /moved declarations:\n {2}helper fixtures\/autotrace\/stack\.cjs:20:29\n {2}inner fixtures\/autotrace\/stack\.cjs:18:29/,
  );
  assert.equal(calls(stats, 'outer.helper').enter, 1);
  assert.equal(calls(stats, 'recurse').enter, 4);
  await both('stack-esm.mjs');
});

test('an uncaught error: same exit code, same stack frames and source line', async () => {
  const { plain, rewritten } = await both('uncaught.cjs', { code: 1 });
  const frames = (s) => s.split('\n').filter((l) => /^\s+at .*fixtures\/autotrace\//.test(l));
  assert.deepEqual(frames(rewritten.stderr), frames(plain.stderr));
  // The header names the file and line and quotes the line. Node takes them from the first
  // stack frame of a source-mapped error, and from the throw otherwise: the caret may differ.
  const header = (s) =>
    s
      .split('\n')
      .filter((l) => !l.startsWith('AUTOTRACE_STATS'))
      .slice(0, 2);
  assert.deepEqual(header(rewritten.stderr), header(plain.stderr));
});

test('budobserve-ignore, budobserve-ignore-file, direct eval and generators are left untouched', async () => {
  const { stats } = await both('ignore.mjs');
  assert.deepEqual(Object.keys(stats.names).sort(), [
    'Mixed.traced',
    'handlers.traced',
    'indirectEvalIsFine',
    'tracedWithEvalInside.sibling',
  ]);
  assert.deepEqual(stats.rewritten, ['fixtures/autotrace/ignore.mjs'], 'the ignored file is not rewritten');
});

for (const [label, options] of [
  ["TypeScript through Node's type stripping, the stripped JavaScript rewritten", {}],
  [
    "TypeScript through Node's type stripping, rewritten as TypeScript (typescript: true)",
    { env: { AUTOTRACE_TS: 'typescript' } },
  ],
  [
    "TypeScript through tsx, its output rewritten with the map chained onto tsx's inline map",
    { preload: ['--import', 'tsx'] },
  ],
]) {
  test(label, async () => {
    const { plain, stats } = await both('ts-app.ts', options);
    assert.match(
      plain.stdout,
      /error at: fixtures\/autotrace\/ts-lib\.ts:10:34 < fixtures\/autotrace\/ts-app\.ts:45:12/,
    );
    assert.equal(calls(stats, 'Users.load').async, 1);
    assert.equal(calls(stats, 'Users.find').enter, 3);
    assert.equal(calls(stats, 'overloaded').enter, 2);
    assert.equal(
      stats.sites['Repository.get'],
      'fixtures/autotrace/ts-lib.ts:8:2',
      'positions in the TypeScript source',
    );
    assert.equal(stats.sites['Base.add'], 'fixtures/autotrace/ts-app.ts:17:2');
    if (options.preload === undefined) assert.equal(calls(stats, 'greet').enter, 1, 'the .cts module too');
    else assert.equal(stats.names.__name, undefined, "tsx's helpers (no original position) are not traced");
  });
}
