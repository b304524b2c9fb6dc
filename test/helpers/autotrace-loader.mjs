// Test loader for the auto-trace rewrite: `node --import ./test/helpers/autotrace-loader.mjs
// fixtures/autotrace/x.mjs`. Rewrites every module under fixtures/autotrace/ with
// rewriteModule (imported as TypeScript source: Node 24 strips the types), attaches the map
// inline, and installs a stub runtime that counts enter/exit/fail/async calls and checks
// that they pair up; what it saw is printed on stderr at exit, one line:
//   AUTOTRACE_STATS {"enter":..,"exit":..,"fail":..,"async":..,"settled":..,"names":{..},"sites":{..},"errors":[..],"rewritten":[..]}
// AUTOTRACE_TS=typescript rewrites .ts files as TypeScript (typescript: true, Node strips the
// result); the default rewrites the JavaScript that Node's own type stripping makes of them.
import { registerHooks, stripTypeScriptTypes } from 'node:module';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { rewriteModule } from '../../src/autotrace/transform/rewrite.ts';
import { inlineMapComment } from '../../src/autotrace/transform/source-map.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixturesUrl = new URL('../../fixtures/autotrace/', import.meta.url).href;
const tsMode = process.env.AUTOTRACE_TS ?? 'strip';

process.setSourceMapsEnabled(true);

const stats = {
  enter: 0,
  exit: 0,
  fail: 0,
  async: 0,
  settled: 0,
  rejected: 0,
  names: {},
  sites: {},
  errors: [],
  rewritten: [],
};
const open = []; // tokens of the synchronous calls in progress, innermost last
let nextToken = 1;
const count = (name, what, site) => {
  const n = (stats.names[name] ??= {});
  n[what] = (n[what] ?? 0) + 1;
  stats.sites[name] ??= site;
};
globalThis[Symbol.for('budobserve.autotrace')] = {
  enter(name, path, line, column) {
    stats.enter++;
    count(name, 'enter', `${path}:${line}:${column}`);
    const token = nextToken++;
    open.push(token);
    return token;
  },
  exit(token) {
    stats.exit++;
    const top = open.pop();
    if (top !== token) stats.errors.push(`exit(${token}) while ${top} was the innermost call`);
  },
  fail(token, error) {
    void error;
    if (typeof token === 'object') {
      stats.rejected++;
      return;
    }
    stats.fail++;
    if (open[open.length - 1] !== token)
      stats.errors.push(`fail(${token}) while ${open[open.length - 1]} was the innermost call`);
  },
  // An async call's token is an object, so fail() can tell it from the synchronous ones.
  enterAsync(name, path, line, column) {
    stats.async++;
    count(name, 'async', `${path}:${line}:${column}`);
    return { async: name };
  },
  away(token, value) {
    return value;
  },
  loop(token, value) {
    return value;
  },
  back(token, value) {
    return value;
  },
  resume() {},
  ret(token, value) {
    return value;
  },
  exitAsync() {
    stats.settled++;
  },
};

process.on('exit', () => {
  if (open.length > 0) stats.errors.push(`${open.length} calls never exited`);
  process.stderr.write(`AUTOTRACE_STATS ${JSON.stringify(stats)}\n`);
});

registerHooks({
  load(url, context, nextLoad) {
    const result = nextLoad(url, context);
    if (!url.startsWith(fixturesUrl) || result.source === undefined || result.source === null) return result;
    let source = typeof result.source === 'string' ? result.source : Buffer.from(result.source).toString('utf8');
    let format = result.format;
    let typescript = false;
    if (format === 'module-typescript' || format === 'commonjs-typescript') {
      if (tsMode === 'typescript') typescript = true;
      else {
        source = stripTypeScriptTypes(source);
        format = format.replace('-typescript', '');
      }
    }
    const filename = fileURLToPath(url);
    const relPath = relative(root, filename).replace(/\\/g, '/');
    const out = rewriteModule(source, {
      filename,
      relPath,
      format: format.startsWith('module') ? 'module' : 'commonjs',
      typescript,
    });
    if (out === undefined) return result;
    stats.rewritten.push(relPath);
    return { format, source: `${out.code}\n${inlineMapComment(out.map)}\n`, shortCircuit: true };
  },
});
