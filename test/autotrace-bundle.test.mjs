// Auto-tracing inside a bundle: the TypeScript service of fixtures/autotrace-bundle/ bundled with
// esbuild (ES module and CommonJS output, the source map beside the bundle and inline) into a
// temp folder, and run there with autoTrace.modules selecting src/services/** by the source
// paths the map names. Its services must give the same `Calling …` spans (names, code
// attributes, parents, status) as the same service run unbundled (Node strips its types), its
// output must be that of the bundle run without the agent (errors still point at the .ts
// files), and the rewrite must leave every line outside the selected sources as it was. A
// bundle whose map names no selected source is not rewritten at all. Min-duration 0: every call
// is a span, so nothing depends on how long a call takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SourceMap } from 'node:module';
import { buildSync } from 'esbuild';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, hasSyncLoadHooks, nodeVersion } from './helpers/run.mjs';
import { mapSources } from '../src/autotrace/hook/map-sources.ts';
import { rewriteModule } from '../src/autotrace/transform/rewrite.ts';
import { decodeMappings, loadInputMap, traceSegment, vlq } from '../src/autotrace/transform/source-map.ts';
import { Splice } from '../src/autotrace/transform/splice.ts';
import { mapOntoLines } from '../src/autotrace/transform/line-map.ts';
import { lineStarts } from '../src/autotrace/transform/bundle.ts';

const dir = `${fixtures}autotrace-bundle/`;
// The project has a node_modules/ (as a bundled service's build has): the agent caches there.
const cacheDir = join(dir, 'node_modules/.cache/budobserve/autotrace');
mkdirSync(join(dir, 'node_modules'), { recursive: true });
const out = mkdtempSync(join(tmpdir(), 'budobserve-autotrace-bundle-'));
test.after(() => rmSync(out, { recursive: true, force: true }));

const VARIANTS = [
  { format: 'esm', sourcemap: true },
  { format: 'esm', sourcemap: 'inline' },
  { format: 'cjs', sourcemap: true },
  { format: 'cjs', sourcemap: 'inline' },
  // On one line: the selected sources' lines cannot be parsed apart, the whole bundle is.
  { format: 'esm', sourcemap: true, minifyWhitespace: true },
];

/** Bundles the service (with its two libraries) into the temp folder; returns the bundle's path. */
function bundle({ format, sourcemap, minifyWhitespace = false }) {
  const outfile = join(
    out,
    `${format}-${sourcemap === true ? 'file' : sourcemap}${minifyWhitespace ? '-one-line' : ''}`,
    `app.${format === 'esm' ? 'mjs' : 'cjs'}`,
  );
  buildSync({
    entryPoints: [join(dir, 'src/main.ts')],
    bundle: true,
    platform: 'node',
    format,
    sourcemap,
    minifyWhitespace,
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

const skip = hasSyncLoadHooks
  ? false
  : `Node ${nodeVersion} cannot run synchronous load hooks (nodejs/node#59929): the agent warns and does not rewrite there`;

async function traced(script, modules = 'src/services/**', extra = {}) {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script,
      cwd: dir,
      env: {
        BUD_OBSERVE_ENDPOINT: receiver.url,
        BUD_OBSERVE_AUTOTRACE_MODULES: modules,
        BUD_OBSERVE_AUTOTRACE_MIN_DURATION: '0',
        OTEL_METRICS_EXPORTER: 'none',
        ...extra,
      },
    });
    return { r, spans: receiver.spans };
  } finally {
    await receiver.close();
  }
}

/** The auto-trace spans as comparable rows: name, code attributes, parent's name, status. */
function calls(spans) {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  return spans
    .filter((s) => s.name.startsWith('Calling '))
    .map((s) =>
      [
        s.name,
        s.attributes['code.function.name'],
        s.attributes['code.file.path'],
        s.attributes['code.line.number'],
        s.attributes['code.column.number'],
        byId.get(s.parentSpanId)?.name ?? '-',
        s.status.code,
      ].join(' | '),
    )
    .sort();
}

/** The cache entries' code, by file name. */
const entries = () =>
  readdirSync(cacheDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(cacheDir, f), 'utf8')).code);

/** Every line of the bundle outside the selected sources' parts is the same after the rewrite. */
function unchangedLines(source, code) {
  const before = source.split('\n');
  const after = code.split('\n');
  // The map comment (the last line) gives way to the runtime footer.
  const end = before.findIndex((line) => line.startsWith('//# sourceMappingURL='));
  assert.ok(end > 0 && after.length > end);
  let section = '';
  let changed = 0;
  for (let i = 0; i < end; i++) {
    // esbuild starts each module's part with a comment naming it.
    section = /^\/\/ (\S+)$/.exec(before[i])?.[1] ?? section;
    if (before[i] === after[i]) continue;
    changed++;
    assert.match(section, /src\/services\/[a-z]+\.(ts|cjs)$/, `line ${i + 1} of ${section} changed:\n${after[i]}`);
    assert.match(after[i], /__budRt\(\)/);
  }
  assert.ok(changed >= 10, `the selected functions' lines were rewritten (${changed})`);
}

/**
 * On one line: what comes before the selected sources (esbuild's helpers, the two libraries)
 * and after them (src/util/, src/main.ts) is in the rewrite as it was.
 */
function unchangedOneLine(source, code) {
  // esbuild's order: its helpers, the libraries, then legacy.cjs, audit.ts, format.ts, users.ts.
  const first = source.indexOf('var require_legacy=');
  const last = source.indexOf('function stamp(');
  assert.ok(first > 0 && last > first);
  assert.ok(code.startsWith(source.slice(0, first)), 'helpers and libraries unchanged');
  const rest = source.slice(last, source.indexOf('//# sourceMappingURL='));
  assert.ok(code.includes(rest), 'src/util/ and src/main.ts unchanged');
  assert.ok(code.slice(first, code.indexOf(rest)).includes('__budRt()'));
}

let unbundled;
test('unbundled: the service run from its TypeScript, src/services/** auto-traced', { skip }, async () => {
  const plain = await runApp({ script: `${dir}src/main.ts`, cwd: dir, preload: [] });
  assert.equal(plain.code, 0, plain.stderr);
  const { r, spans } = await traced(`${dir}src/main.ts`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, plain.stdout);
  assert.doesNotMatch(r.stderr, /BUDOBSERVE_/);
  unbundled = { stdout: plain.stdout, calls: calls(spans) };
  const rows = unbundled.calls;
  // What the comparison below stands on: the spans a bundle must reproduce.
  assert.ok(
    rows.every((row) => row.split(' | ')[2].startsWith('src/services/')),
    rows.join('\n'),
  );
  for (const expected of [
    'Calling label | label | src/services/format.ts | 5 | 7 | Calling loadUser | 0',
    'Calling label | label | src/services/users.ts | 17 | 0 | Calling findUser | 0',
    'Calling loadUser | loadUser | src/services/users.ts | 27 | 7 | Calling UserService.get | 0',
    'Calling UserService.describe.cmp | UserService.describe.cmp | src/services/users.ts | 50 | 34 | Calling UserService.describe | 0',
    'Calling findUser | findUser | src/services/users.ts | 21 | 7 | - | 2',
    'Calling failLater | failLater | src/services/users.ts | 32 | 25 | - | 2',
  ])
    assert.ok(rows.includes(expected), `${expected}\nin\n${rows.join('\n')}`);
});

for (const variant of VARIANTS) {
  const label = `${variant.format}, source map ${variant.sourcemap === true ? 'in a file' : 'inline'}${variant.minifyWhitespace ? ', on one line' : ''}`;
  test(
    `bundled (${label}): the same spans as unbundled, the same output, and only the selected sources' lines rewritten`,
    { skip },
    async () => {
      assert.ok(unbundled, 'the unbundled run went first');
      const script = bundle(variant);
      const source = readFileSync(script, 'utf8');
      const plain = await runApp({ script, cwd: dir, preload: ['--enable-source-maps'] });
      assert.equal(plain.stdout, unbundled.stdout, 'the bundle, run without the agent, prints what the service does');
      rmSync(cacheDir, { recursive: true, force: true });
      const { r, spans } = await traced(script);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, plain.stdout, 'same output, and errors point at the same .ts file:line:column');
      assert.doesNotMatch(r.stderr, /BUDOBSERVE_/);
      assert.deepEqual(calls(spans), unbundled.calls);

      // The rewrite, as cached: one entry, the bundle with wrappers on the selected sources' lines only.
      const [code, ...more] = entries();
      assert.equal(more.length, 0, 'one rewrite: the bundle');
      if (variant.minifyWhitespace) unchangedOneLine(source, code);
      else unchangedLines(source, code);
    },
  );
}

test('a bundle whose map names no selected source loads untouched, with no rewrite at all', { skip }, async () => {
  const script = bundle(VARIANTS[0]);
  // Without the map enabled: the agent turns source maps on only once it rewrote something.
  const plain = await runApp({ script, cwd: dir, preload: [] });
  rmSync(cacheDir, { recursive: true, force: true });
  const { r, spans } = await traced(script, 'src/jobs/**', { NODE_DEBUG: 'budobserve' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, plain.stdout);
  assert.deepEqual(calls(spans), []);
  assert.doesNotMatch(r.stderr, /auto-traced|auto-trace rewrite \(Babel\) loaded/, 'the rewrite (and Babel) never ran');
  assert.match(r.stderr, /auto-trace cache folder/, 'auto-tracing was on');
  assert.deepEqual(entries(), [], 'nothing rewritten, nothing cached');
});

test('the sources a map names: resolved against the map (after sourceRoot), webpack:// ones under the project, in a file or inline, index maps not', () => {
  const base = join(out, 'maps');
  mkdirSync(join(base, 'dist'), { recursive: true });
  mkdirSync(join(base, 'maps'), { recursive: true });
  const map = {
    version: 3,
    // Keys in webpack's order: mappings and sourcesContent first, sourceRoot last.
    mappings: 'AAAA',
    sourcesContent: ['const a = "\\"sources\\": [1]";', null],
    sources: ['services/a.ts', 'file:///elsewhere/b.ts', 'webpack://app/./c.ts'],
    names: ['sources'],
    sourceRoot: '../src/',
  };
  writeFileSync(join(base, 'maps/app.js.map'), JSON.stringify(map, null, 1));
  const code = 'console.log(1);\n//# sourceMappingURL=../maps/app.js.map\n';
  assert.deepEqual(mapSources(join(base, 'dist/app.js'), code, base), [
    join(base, 'src/services/a.ts'),
    '/elsewhere/b.ts',
    join(base, 'c.ts'),
  ]);
  const inline = `console.log(1);\n/*# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')} */`;
  assert.deepEqual(mapSources(join(base, 'maps/app.js'), inline, base), [
    join(base, 'src/services/a.ts'),
    '/elsewhere/b.ts',
    join(base, 'c.ts'),
  ]);
  const sections = { version: 3, sections: [{ offset: { line: 0, column: 0 }, map }] };
  const index = `x;\n//# sourceMappingURL=data:application/json,${encodeURIComponent(JSON.stringify(sections))}`;
  assert.deepEqual(mapSources(join(base, 'maps/app.js'), index, base), []);
  assert.deepEqual(mapSources(join(base, 'dist/app.js'), '//# sourceMappingURL=missing.map\n', base), []);
  assert.deepEqual(
    mapSources(join(base, 'dist/app.js'), '//# sourceMappingURL=app.js.map\nmore();\n', base),
    [],
    'not the last thing in the file',
  );
});

test("a module wrapper keyed by its own path is the bundler's, not the module's (webpack's shape)", () => {
  // What webpack's devtool 'source-map' gives, the factory mapped onto the module's first line.
  const code = [
    'var __webpack_modules__ = {',
    '  "./src/services/a.js": (module) => {',
    '    function one() { return 1; }',
    '    module.exports = { one };',
    '  },',
    '};',
  ].join('\n');
  // [generated column, source, line, column] per generated line, as VLQ deltas.
  const lines = [
    [],
    [[2, 0, 0, 0]],
    [
      [4, 0, 0, 0],
      [13, 0, 0, 9],
    ],
    [[4, 0, 1, 0]],
  ];
  const prev = [0, 0, 0, 0];
  const mappings = lines
    .map((segments) => {
      prev[0] = 0;
      return segments.map((seg) => seg.map((v, i) => vlq(v - prev[i]) + ((prev[i] = v), '')).join('')).join(',');
    })
    .join(';');
  const map = { version: 3, sources: ['file:///app/src/services/a.js'], names: [], mappings };
  const out = rewriteModule(code, {
    filename: '/app/dist/main.js',
    relPath: 'dist/main.js',
    format: 'commonjs',
    inputSourceMap: map,
    projectRoot: '/app',
    sources: ['/app/src/services/a.js'],
  });
  const sites = [...out.code.matchAll(/\.enter\(("[^"]*"), ("[^"]*"), (\d+), (\d+)/g)].map((m) => m.slice(1).join(' '));
  assert.deepEqual(sites, ['"one" "src/services/a.js" 1 0']);
});

test('minified returns (return`…`, return"…", return[…]) stay returns in an async function', async () => {
  const code = 'async function f(){await 0;return`a`}async function g(){return"b"}async function h(){return[1]}';
  const out = rewriteModule(code, { filename: '/app/src/m.js', relPath: 'src/m.js', format: 'module' });
  assert.equal(out.functions, 3);
  const run = new Function(`${out.code}\nreturn Promise.all([f(), g(), h()]);`);
  assert.deepEqual(await run(), ['a', 'b', [1]]);
});

test("a rewritten bundle's map is the bundler's, shifted: every token maps where the token-level map has it", () => {
  for (const variant of [VARIANTS[0], VARIANTS[4]]) {
    const file = bundle(variant);
    const text = readFileSync(file, 'utf8');
    const input = loadInputMap(text, file, undefined);
    const splice = new Splice(text);
    // Pieces where the rewrite puts them: at the start of functions and before closing braces,
    // several at one offset, and the map comment removed.
    for (const m of text.matchAll(/function [\w$]*\(|=> \{|\}/g)) {
      splice.insert(m.index, ' /*a*/ ', m.index, 1);
      if (m[0] === '}') splice.insert(m.index, '/*b*/', -1, 2);
    }
    // A piece attributed to a renamed binding (a mapping with a name) on a line of its own.
    const renamed = text.indexOf('label2(');
    splice.insert(text.indexOf('\n', renamed), ' /*c*/', renamed, 1);
    const comment = text.lastIndexOf('//# sourceMappingURL=');
    splice.remove(comment, text.length);
    const tokens = splice.build('\nvar x;\n', (line, column) => traceSegment(input, line, column));
    const mappings = mapOntoLines(input, splice.edits(), lineStarts(text), text.length);
    assert.equal(splice.text('\nvar x;\n'), tokens.code);
    const map = (m) => new SourceMap({ version: 3, sources: input.map.sources, names: input.map.names, mappings: m });
    const ours = map(mappings);
    let checked = 0;
    decodeMappings(tokens.mappings).forEach((segments, line) => {
      for (const s of segments) {
        if (s.length < 4) continue;
        const e = ours.findEntry(line, s[0]);
        assert.deepEqual(
          [e.originalSource, e.originalLine, e.originalColumn, e.name],
          [input.map.sources[s[1]], s[2], s[3], s.length > 4 ? input.map.names[s[4]] : undefined],
          `${line}:${s[0]}`,
        );
        checked++;
      }
    });
    assert.ok(checked > 500, `${checked} positions`);
  }
});

test("a line after a changed one is encoded again when the map's running state differs there (names)", () => {
  const text = 'a(); b();\nc(); d();\n';
  // Line 0: `a` named "A"; line 1: `c` named "C", `d` named "D".
  const rows = [
    [
      [0, 0, 0, 0, 0],
      [5, 0, 0, 5],
    ],
    [
      [0, 0, 1, 0, 1],
      [5, 0, 1, 5, 2],
    ],
  ];
  const prev = [0, 0, 0, 0, 0];
  const mappings = rows
    .map((segments) => {
      prev[0] = 0;
      return segments.map((seg) => seg.map((v, i) => vlq(v - prev[i]) + ((prev[i] = v), '')).join('')).join(',');
    })
    .join(';');
  const input = loadInputMap(text, '/app/dist/x.js', {
    version: 3,
    sources: ['/app/src/x.ts'],
    names: ['A', 'C', 'D'],
    mappings,
  });
  const splice = new Splice(text);
  // At the end of line 0, a piece attributed to `c` (named "C") on line 1.
  splice.insert(9, ' /*p*/', 10, 1);
  const ours = new SourceMap({
    version: 3,
    sources: input.map.sources,
    names: input.map.names,
    mappings: mapOntoLines(input, splice.edits(), lineStarts(text), text.length),
  });
  assert.equal(ours.findEntry(0, 9).name, 'C', 'the piece');
  assert.equal(ours.findEntry(1, 0).name, 'C');
  assert.equal(ours.findEntry(1, 5).name, 'D');
  assert.equal(ours.findEntry(0, 0).name, 'A');
});

test('rollup and webpack bundles: the selected functions named and placed as unbundled (webpack: lines, its map is coarser)', async () => {
  const { rollup } = await import('rollup');
  const { default: webpack } = await import('webpack');
  const project = join(out, 'js-project');
  mkdirSync(join(project, 'src/services'), { recursive: true });
  const files = {
    'src/services/a.js': [
      'export function label(x) { return `#${x}`; }',
      'export const fmt = (u) => label(u.id);',
      'export class Svc { run(u) { return [u].map((v) => fmt(v)); } static make() { return new Svc(); } }',
      'export default async function () { await null; return 1; }',
    ].join('\n'),
    'src/services/b.js': 'function label(y) { return `b${y}`; }\nexport function useB(y) { return label(y); }\n',
    'src/main.js':
      "import def, { Svc } from './services/a.js';\nimport { useB } from './services/b.js';\nconsole.log(Svc.make().run({ id: 1 }), useB(2), await def());\n",
  };
  for (const [path, text] of Object.entries(files)) writeFileSync(join(project, path), text);
  const selected = ['src/services/a.js', 'src/services/b.js'];
  const sitesOf = (code) =>
    [...(code ?? '').matchAll(/\.enter(?:Async)?\(("[^"]*"), ("[^"]*"), (\d+), (\d+)/g)].map((m) => m.slice(1)).sort();
  const unbundled = selected.flatMap((p) =>
    sitesOf(rewriteModule(files[p], { filename: join(project, p), relPath: p, format: 'module' }).code),
  );
  const rewrite = (file, format) =>
    sitesOf(
      rewriteModule(readFileSync(file, 'utf8'), {
        filename: file,
        relPath: 'dist/x.js',
        format,
        projectRoot: project,
        sources: selected.map((p) => join(project, p)),
      })?.code,
    );
  const r = await rollup({ input: join(project, 'src/main.js') });
  await r.write({ file: join(project, 'dist/rollup.mjs'), format: 'es', sourcemap: true });
  assert.deepEqual(rewrite(join(project, 'dist/rollup.mjs'), 'module'), unbundled);
  assert.deepEqual(
    mapSources(
      join(project, 'dist/rollup.mjs'),
      readFileSync(join(project, 'dist/rollup.mjs'), 'utf8'),
      project,
    ).sort(),
    [...selected, 'src/main.js'].map((p) => join(project, p)).sort(),
  );
  await new Promise((resolve, reject) =>
    webpack(
      {
        mode: 'none',
        target: 'node',
        devtool: 'source-map',
        context: project,
        entry: join(project, 'src/main.js'),
        experiments: { topLevelAwait: true },
        output: { path: join(project, 'dist'), filename: 'webpack.js' },
      },
      (error, stats) => (error || stats.hasErrors() ? reject(error ?? new Error(stats.toString())) : resolve()),
    ),
  );
  // Its sources are webpack:///./src/services/a.js: read under the project root.
  const webpackSites = rewrite(join(project, 'dist/webpack.js'), 'commonjs');
  const named = mapSources(
    join(project, 'dist/webpack.js'),
    readFileSync(join(project, 'dist/webpack.js'), 'utf8'),
    project,
  );
  assert.deepEqual(named.sort(), [...selected, 'src/main.js'].map((p) => join(project, p)).sort(), 'not its runtime');
  const withoutColumn = (sites) => sites.map((s) => s.slice(0, 3).join(' ')).sort();
  assert.deepEqual(withoutColumn(webpackSites), withoutColumn(unbundled));
});
