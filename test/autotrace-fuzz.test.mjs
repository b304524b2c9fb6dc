// Bad and odd input for the auto-trace rewrite, never a crash: every script of a few real
// packages (a minified bundle among them), plus syntax errors, non-UTF-8 bytes, BOMs,
// shebangs, JSX, TypeScript, Flow and a huge file. Each input either throws (the agent then
// loads the module unchanged, with one warning) or comes back as code that still parses and,
// for scripts, compiles in V8. The number of inputs tried is printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compileFunction } from 'node:vm';
import { parse } from '@babel/parser';
import { transformSync } from 'esbuild';
import { rewriteModule } from '../src/autotrace/transform/rewrite.ts';
import { root } from './helpers/run.mjs';

const PACKAGES = ['express', 'router', 'body-parser', 'qs', 'js-yaml', 'cosmiconfig', 'esbuild', '@babel/parser', 'require-in-the-middle', 'import-in-the-middle', '@grpc/grpc-js', 'protobufjs'];

function* scripts(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) yield* scripts(p);
    else if (/\.(c|m)?js$/.test(entry.name) && statSync(p).size < 2_000_000) yield p;
  }
}

function check(name, source, format, filename = `/fuzz/${name}`) {
  let out;
  try {
    out = rewriteModule(source, { filename, relPath: name, format });
  } catch (error) {
    // A parse error is reported as such: the agent warns and loads the module as it is.
    assert.ok(error instanceof Error, `${name}: threw a non-Error`);
    return 'rejected';
  }
  if (out === undefined) return 'unchanged';
  assert.doesNotThrow(() => parse(out.code, { sourceType: format === 'module' ? 'module' : 'commonjs', plugins: /\.[jt]sx$/.test(name) ? ['jsx'] : [] }), `${name}: output does not parse`);
  // What Node's CommonJS loader does with a module's source (a hashbang line included).
  if (format === 'commonjs') assert.doesNotThrow(() => compileFunction(out.code, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: name }), `${name}: output does not compile in V8`);
  assert.equal(typeof out.map.mappings, 'string');
  return 'rewritten';
}

test('every script of real packages, and a minified bundle', (t) => {
  const counts = { rewritten: 0, unchanged: 0, rejected: 0 };
  let bytes = 0;
  for (const pkg of PACKAGES) {
    const dir = join(root, 'node_modules', pkg);
    for (const file of scripts(dir)) {
      const source = readFileSync(file, 'utf8');
      bytes += source.length;
      const format = file.endsWith('.mjs') || /^\s*(import|export)\s/m.test(source) ? 'module' : 'commonjs';
      counts[check(file.slice(root.length), source, format)]++;
    }
  }
  const bundle = transformSync(readFileSync(join(root, 'node_modules/qs/lib/utils.js'), 'utf8'), { minify: true, format: 'cjs' }).code;
  counts[check('minified-qs-utils.js', bundle, 'commonjs')]++;
  const total = counts.rewritten + counts.unchanged + counts.rejected;
  t.diagnostic(`inputs tried: ${total} files, ${(bytes / 1e6).toFixed(1)} MB: ${JSON.stringify(counts)}`);
  assert.ok(total > 200, `only ${total} inputs`);
  assert.ok(counts.rewritten > total / 2, 'most real code is rewritten');
});

test('syntax errors, odd bytes, BOMs, shebangs, JSX, TypeScript, Flow, a huge file', (t) => {
  const cases = {
    'syntax-error.js': ['function f( { return 1 }', 'commonjs', 'rejected'],
    'unterminated.mjs': ['export const s = "abc;\nexport function f() {}', 'module', 'rejected'],
    'non-utf8.js': [Buffer.from([0x66, 0x75, 0x6e, 0x63, 0x74, 0x69, 0x6f, 0x6e, 0x20, 0x66, 0x28, 0x29, 0x7b, 0x72, 0x65, 0x74, 0x75, 0x72, 0x6e, 0x20, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('utf8'), 'commonjs', 'rewritten'],
    'bom.js': ['\ufefffunction f() { return 1; }\nmodule.exports = f;\n', 'commonjs', 'rewritten'],
    'shebang.js': ['#!/usr/bin/env node\nfunction main() { return 0; }\nmain();\n', 'commonjs', 'rewritten'],
    'component.jsx': ['export function App() { return <div onClick={() => 1}>hi</div>; }\n', 'module', 'rewritten'],
    'typed.ts': ['export function add(a: number, b: number): number { return a + b; }\n', 'module', 'rewritten'],
    'flow.js': ['// @flow\nfunction f(x: number): string { return String(x); }\n', 'commonjs', 'rejected'],
    'empty.js': ['', 'commonjs', 'unchanged'],
    'only-comments.js': ['// nothing here\n/* at all */\n', 'commonjs', 'unchanged'],
    'huge.js': [Array.from({ length: 20_000 }, (_, i) => `function f${i}(a) { return a + ${i}; }`).join('\n'), 'commonjs', 'rewritten'],
    'deep.js': [`module.exports = ${'['.repeat(1500)}1${']'.repeat(1500)};\nfunction f() {}\n`, 'commonjs', 'rejected'],
  };
  for (const [name, [source, format, expected]] of Object.entries(cases)) {
    const filename = `/fuzz/${name}`;
    const got = name.endsWith('.ts') ? (() => { try { return rewriteModule(source, { filename, relPath: name, format, typescript: true }) ? 'rewritten' : 'unchanged'; } catch { return 'rejected'; } })() : check(name, source, format, filename);
    assert.equal(got, expected, name);
  }
  t.diagnostic(`inputs tried: ${Object.keys(cases).length} edge cases`);
});
