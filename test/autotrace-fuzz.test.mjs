// Bad and odd input for the auto-trace rewrite, never a crash: every script of a few real
// packages (a minified bundle among them), plus syntax errors, non-UTF-8 bytes, BOMs,
// shebangs, JSX, TypeScript, Flow, deep nesting, broken source maps and a huge file.
// Every input ends in exactly one of these outcomes, and the test says which it expects:
// - rewritten: the output parses as what it claims to be and compiles in V8 (the module
//   hook loads it instead), its map has mappings, and it wrapped at least one function;
// - unchanged (rewriteModule returned undefined): the input has no function to wrap;
// - declined, for a reason the rewriter names (RewriteDeclined, src/autotrace/transform/rewrite.ts):
//   'syntax', the parser rejects the input, and V8 rejects it too (the rewrite must not
//   refuse code Node would run); 'too-deep', the input nests deeper than the parser's or the
//   rewrite's recursion goes. The agent then loads the module unchanged, with one warning;
// - crashed: any other exception out of the rewriter. There must be none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';
import { compileFunction } from 'node:vm';
import { parse } from '@babel/parser';
import { transformSync } from 'esbuild';
import { rewriteModule, RewriteDeclined } from '../src/autotrace/transform/rewrite.ts';
import { root, nodeBin } from './helpers/run.mjs';

const PACKAGES = [
  'express',
  'router',
  'body-parser',
  'qs',
  'js-yaml',
  'cosmiconfig',
  'esbuild',
  '@babel/parser',
  'require-in-the-middle',
  'import-in-the-middle',
  '@grpc/grpc-js',
  'protobufjs',
];
const CJS_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname'];
const FUNCTION_TYPES = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
  'ObjectMethod',
  'ClassMethod',
  'ClassPrivateMethod',
]);

function* scripts(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) yield* scripts(p);
    else if (/\.(c|m)?js$/.test(entry.name) && statSync(p).size < 2_000_000) yield p;
  }
}

const pluginsFor = (name, typescript) => [
  ...(typescript ? ['typescript'] : []),
  ...(/\.[jt]sx$/.test(name) ? ['jsx'] : []),
];

/** Functions a rewrite could wrap (not generators), counted by an independent walk of Babel's AST. */
function wrappable(source, format, plugins) {
  let ast;
  try {
    ast = parse(source, { sourceType: format === 'module' ? 'module' : 'commonjs', plugins });
  } catch {
    ast = parse(source, { sourceType: 'module', plugins });
  }
  let n = 0;
  const stack = [ast.program];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) stack.push(...node);
    else if (node !== null && typeof node === 'object' && typeof node.type === 'string') {
      if (FUNCTION_TYPES.has(node.type) && node.generator !== true) n++;
      for (const [k, v] of Object.entries(node)) if (k !== 'loc' && !k.endsWith('Comments')) stack.push(v);
    }
  }
  return n;
}

function parses(source, sourceType, plugins) {
  try {
    parse(source, { sourceType, plugins });
    return true;
  } catch {
    return false;
  }
}

/** Whether V8 compiles `code` as a CommonJS module body (what Node's CommonJS loader does). */
function v8CompilesScript(code) {
  try {
    compileFunction(code, CJS_PARAMS);
    return true;
  } catch {
    return false;
  }
}

/**
 * Which of `codes` V8 compiles as an ES module (vm.SourceTextModule: parsed, neither linked
 * nor run), in one child process: the API needs --experimental-vm-modules.
 */
function v8CompilesModules(codes) {
  if (codes.length === 0) return [];
  const script =
    "const vm = require('node:vm'); let input = ''; process.stdin.setEncoding('utf8').on('data', (d) => { input += d; }).on('end', () => { process.stdout.write(JSON.stringify(JSON.parse(input).map((code) => { try { new vm.SourceTextModule(code); return true; } catch { return false; } }))); });";
  const r = spawnSync(nodeBin, ['--experimental-vm-modules', '--no-warnings', '-e', script], {
    input: JSON.stringify(codes),
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/**
 * Runs the rewrite on one input and classifies the outcome; checks what can be checked in
 * this process, and queues the ES-module compiles (`pending`) for one child process.
 */
function classify(name, source, format, { typescript = false, filename = `/fuzz/${name}` } = {}, pending = []) {
  const plugins = pluginsFor(name, typescript);
  const plainJs = plugins.length === 0;
  let out;
  try {
    out = rewriteModule(source, { filename, relPath: name, format, typescript });
  } catch (error) {
    if (!(error instanceof RewriteDeclined))
      return { outcome: 'crashed', detail: error instanceof Error ? error.stack : String(error) };
    if (error.reason === 'syntax') {
      assert.ok(
        error.cause instanceof SyntaxError && typeof error.cause.reasonCode === 'string',
        `${name}: a syntax decline carries Babel's error`,
      );
      // What Node would do with it: a CommonJS file with module syntax is loaded as a module.
      if (plainJs) {
        if (format === 'commonjs')
          assert.ok(!v8CompilesScript(source), `${name}: declined as a syntax error, but V8 compiles it as CommonJS`);
        pending.push({
          name,
          code: source,
          want: false,
          what: 'declined as a syntax error, but V8 compiles it as an ES module',
        });
      }
    }
    return { outcome: `declined:${error.reason}` };
  }
  if (out === undefined) {
    // Or the file asks not to be traced, or each function maps nowhere in the compiler's map.
    if (!/budobserve-ignore-file|sourceMappingURL=/.test(source))
      assert.equal(wrappable(source, format, plugins), 0, `${name}: left unchanged, but it has functions to wrap`);
    return { outcome: 'unchanged' };
  }
  // Parsed as the input parses: a file called CommonJS that has module syntax is a module.
  const sourceType = format === 'module' || !parses(source, 'commonjs', plugins) ? 'module' : 'commonjs';
  assert.doesNotThrow(() => parse(out.code, { sourceType, plugins }), `${name}: output does not parse`);
  assert.equal(typeof out.map.mappings, 'string', `${name}: the map has mappings`);
  assert.ok(out.functions > 0, `${name}: rewritten, but no function wrapped`);
  // Without a compiler's map every function but a generator is wrapped (behind one, the
  // compiler's own helpers, which map to no original line, are not).
  if (plainJs && !/sourceMappingURL=/.test(source))
    assert.equal(out.functions, wrappable(source, format, plugins), `${name}: functions wrapped`);
  const js = typescript ? stripTypeScriptTypes(out.code) : out.code;
  if (!/\.[jt]sx$/.test(name)) {
    // As Node loads it: CommonJS if the input is, an ES module if it has module syntax.
    if (format === 'commonjs' && v8CompilesScript(typescript ? stripTypeScriptTypes(source) : source))
      assert.ok(v8CompilesScript(js), `${name}: output does not compile in V8 as CommonJS`);
    else pending.push({ name, code: js, want: true, what: 'output does not compile in V8 as an ES module' });
  }
  return { outcome: 'rewritten', functions: out.functions };
}

/** Runs the queued ES-module compiles and checks each result. */
function settle(pending) {
  const got = v8CompilesModules(pending.map((p) => p.code));
  pending.forEach((p, i) => assert.equal(got[i], p.want, `${p.name}: ${p.what}`));
}

test('every script of real packages, and a minified bundle: zero crashes, every outcome explained', (t) => {
  const counts = {};
  const crashes = [];
  const perPackage = new Map(PACKAGES.map((p) => [p, 0]));
  const pending = [];
  let bytes = 0;
  const count = (name, result) => {
    counts[result.outcome] = (counts[result.outcome] ?? 0) + 1;
    if (result.outcome === 'crashed') crashes.push(`${name}: ${result.detail}`);
  };
  for (const pkg of PACKAGES) {
    for (const file of scripts(join(root, 'node_modules', pkg))) {
      const source = readFileSync(file, 'utf8');
      bytes += source.length;
      perPackage.set(pkg, perPackage.get(pkg) + 1);
      const format = file.endsWith('.mjs') || /^\s*(import|export)\s/m.test(source) ? 'module' : 'commonjs';
      const name = file.slice(root.length);
      count(name, classify(name, source, format, { filename: file }, pending));
    }
  }
  const bundle = transformSync(readFileSync(join(root, 'node_modules/qs/lib/utils.js'), 'utf8'), {
    minify: true,
    format: 'cjs',
  }).code;
  const minified = classify('minified-qs-utils.js', bundle, 'commonjs', {}, pending);
  count('minified-qs-utils.js', minified);
  settle(pending);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  t.diagnostic(
    `inputs tried: ${total} files, ${(bytes / 1e6).toFixed(1)} MB: ${JSON.stringify(counts)}; ${pending.length} compiled as ES modules`,
  );
  assert.deepEqual(crashes, [], 'the rewriter crashed');
  assert.deepEqual(
    [...perPackage].filter(([, n]) => n === 0).map(([p]) => p),
    [],
    'every package has scripts to try (is it installed?)',
  );
  assert.equal(minified.outcome, 'rewritten');
  // Published packages are valid JavaScript that the parser handles: nothing is declined.
  assert.deepEqual(
    Object.keys(counts).filter((o) => o.startsWith('declined')),
    [],
    JSON.stringify(counts),
  );
});

const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');
const mapped = (map) =>
  `function f(a) { return a; }\nconst g = () => 2;\n//# sourceMappingURL=data:application/json;base64,${b64(map)}\n`;

test('syntax errors, odd bytes, BOMs, shebangs, JSX, TypeScript, Flow, deep nesting, broken source maps, a huge file', (t) => {
  // [source, format, expected outcome, options]
  const cases = {
    'syntax-error.js': ['function f( { return 1 }', 'commonjs', 'declined:syntax'],
    'unterminated.mjs': ['export const s = "abc;\nexport function f() {}', 'module', 'declined:syntax'],
    'await-outside.js': ['function f() {}\nawait f();\n', 'commonjs', 'rewritten'], // top-level await: an ES module, as Node loads it
    'import-in-script.js': ['import x from "y";\nfunction f() { return x; }\n', 'commonjs', 'rewritten'],
    'non-utf8.js': [
      Buffer.from([
        0x66, 0x75, 0x6e, 0x63, 0x74, 0x69, 0x6f, 0x6e, 0x20, 0x66, 0x28, 0x29, 0x7b, 0x72, 0x65, 0x74, 0x75, 0x72,
        0x6e, 0x20, 0x22, 0xff, 0xfe, 0x22, 0x7d,
      ]).toString('utf8'),
      'commonjs',
      'rewritten',
    ],
    'bom.js': ['\ufefffunction f() { return 1; }\nmodule.exports = f;\n', 'commonjs', 'rewritten'],
    'shebang.js': ['#!/usr/bin/env node\nfunction main() { return 0; }\nmain();\n', 'commonjs', 'rewritten'],
    'component.jsx': ['export function App() { return <div onClick={() => 1}>hi</div>; }\n', 'module', 'rewritten'],
    'typed.ts': [
      'export function add(a: number, b: number): number { return a + b; }\n',
      'module',
      'rewritten',
      { typescript: true },
    ],
    'typed-error.ts': [
      'export function add(a: number, b: number): number { return a + ; }\n',
      'module',
      'declined:syntax',
      { typescript: true },
    ],
    'flow.js': ['// @flow\nfunction f(x: number): string { return String(x); }\n', 'commonjs', 'declined:syntax'],
    'empty.js': ['', 'commonjs', 'unchanged'],
    'only-comments.js': ['// nothing here\n/* at all */\n', 'commonjs', 'unchanged'],
    'only-generators.js': ['function* g() { yield 1; }\nmodule.exports = g;\n', 'commonjs', 'unchanged'],
    'ignored-file.js': ['// budobserve-ignore-file\nfunction f() {}\n', 'commonjs', 'unchanged'],
    'huge.js': [
      Array.from({ length: 20_000 }, (_, i) => `function f${i}(a) { return a + ${i}; }`).join('\n'),
      'commonjs',
      'rewritten',
    ],
    // Nesting the parser's recursion does not reach the end of (V8 compiles it, up to about 2,900
    // on 22.18). Where the parser overflows depends on its frames' sizes, smaller once V8 has
    // optimised it: after a warm-up it reached 500 but not 1,000, so 1,500 was near the edge
    // (a Node 26 matrix run failed this test once, its log not saying which case); 2,500 is past.
    'deep.js': [
      `module.exports = ${'['.repeat(2500)}1${']'.repeat(2500)};\nfunction f() {}\n`,
      'commonjs',
      'declined:too-deep',
    ],
    // A chain of 40,000 `+` in a function: the parser's loop reads it, the rewrite's recursive
    // walk (src/autotrace/transform/analyze.ts) overflows on it. Where exactly it overflows
    // depends on V8's frame sizes (about 3,000 before the walk became a class, more after),
    // so the chain is well past any of them.
    'long-chain.js': [
      `module.exports = function () { return ${Array(40000).fill('1').join(' + ')}; };\n`,
      'commonjs',
      'declined:too-deep',
    ],
    // A compiler's map the rewrite cannot use is ignored; one whose positions point nowhere
    // leaves no function with an original position.
    'map-bad-base64.js': [
      'function f(a) { return a; }\n//# sourceMappingURL=data:application/json;base64,!!!!\n',
      'commonjs',
      'rewritten',
    ],
    'map-not-json.js': [mapped('{nope'), 'commonjs', 'rewritten'],
    'map-bad-mappings.js': [
      mapped({ version: 3, sources: ['a.ts'], names: [], mappings: '!!!;@@' }),
      'commonjs',
      'rewritten',
    ],
    'map-missing-file.js': [
      'function f(a) { return a; }\n//# sourceMappingURL=does-not-exist.js.map\n',
      'commonjs',
      'rewritten',
    ],
    'map-source-out-of-range.js': [
      mapped({ version: 3, sources: ['a.ts'], names: [], mappings: 'AKAA,CAAC;AKAA' }),
      'commonjs',
      'unchanged',
    ],
    'map-null-source.js': [
      mapped({ version: 3, sources: [null], names: [], mappings: 'AAAA;AAAA' }),
      'commonjs',
      'unchanged',
    ],
  };
  const pending = [];
  const got = {};
  for (const [name, [source, format, , options]] of Object.entries(cases)) {
    const r = classify(name, source, format, { ...options, filename: `/fuzz/${name}` }, pending);
    got[name] = r.outcome === 'crashed' ? `crashed: ${r.detail}` : r.outcome;
  }
  settle(pending);
  assert.deepEqual(got, Object.fromEntries(Object.entries(cases).map(([name, [, , expected]]) => [name, expected])));
  t.diagnostic(`inputs tried: ${Object.keys(cases).length} edge cases`);
});
