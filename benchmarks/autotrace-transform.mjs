// Load-time cost of the auto-trace rewrite, in MB of source per second, on real files of
// 25-135 kB from node_modules. Variants, all from the source text:
//   parse                 @babel/parser alone: the floor of any Babel-based rewrite
//   parse+analyze         + the rewrite's walk (names, what to skip; src/autotrace/transform/analyze.ts)
//   rewrite (splice)      rewriteModule as shipped: + insertions into the original text and a
//                         token-level source map (chained onto the file's own map if any)
//   rewrite, no chain     the same with the files' sourceMappingURL comments removed
//   parse+analyze+gen     the same analysis, then @babel/generator with a source map over the
//                         parsed AST instead of splicing: a lower bound for regeneration (the
//                         wrapped AST only has more nodes to print)
//   parse+traverse+gen    the pipeline the issue suggested, @babel/traverse for the walk (a
//                         visitor that does nothing: also a lower bound)
// Each variant runs in processes of its own; a figure is the best of 3 processes x N runs
// after warm-up (the machine this runs on is shared: the best run is the least disturbed).
//
// Emit strategy, decided on these figures: splicing into the original text. The generator
// costs as much as a second parse or more, and reprints the user's code (formatting, and
// every line moves unless retainLines, which is slower still and does not keep columns).
// Splicing keeps every byte and line of the original, and its map is exact token by token;
// the one thing it cannot do, moving code, the rewrite does not need (function declarations
// stay in place: see src/autotrace/transform/wrap.ts). @babel/traverse is not used either: its paths
// and scopes cost several parses, and the rewrite needs neither (analyze.ts).
//
//   node benchmarks/autotrace-transform.mjs [--runs N]
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from '@babel/parser';
import traverseModule from '@babel/traverse';
import generateModule from '@babel/generator';
import { rewriteModule } from '../src/autotrace/transform/rewrite.ts';
import { analyze } from '../src/autotrace/transform/analyze.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const runsAt = process.argv.indexOf('--runs');
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 15;
const traverse = traverseModule.default ?? traverseModule;
const generate = generateModule.default ?? generateModule;

const candidates = [
  ['node_modules/express/lib/response.js', 'commonjs'],
  ['node_modules/qs/dist/qs.js', 'commonjs'],
  ['node_modules/lru-cache/dist/esm/index.js', 'module'],
  ['node_modules/@grpc/grpc-js/build/src/server.js', 'commonjs'],
  ['node_modules/bignumber.js/bignumber.js', 'commonjs'],
  ['node_modules/esbuild/lib/main.js', 'commonjs'],
  ['node_modules/js-yaml/dist/js-yaml.cjs.js', 'commonjs'],
];
const files = candidates
  .filter(([f]) => existsSync(`${root}${f}`))
  .map(([f, format]) => {
    const source = readFileSync(`${root}${f}`, 'utf8');
    return { file: f, format, source, unmapped: source.replace(/\/\/# sourceMappingURL=\S+\s*$/, '') };
  });

const parseAs = ({ source, format }) => parse(source, { sourceType: format, attachComment: false });
const variants = {
  parse: parseAs,
  'parse+analyze': (input) => analyze(parseAs(input).program, input.source, false),
  'rewrite (splice)': ({ source, format, file }) =>
    rewriteModule(source, { filename: `${root}${file}`, relPath: file, format }),
  // The same without the compiled files' own maps (lru-cache, @grpc/grpc-js, js-yaml): what chaining costs.
  'rewrite, no chain': ({ unmapped, format, file }) =>
    rewriteModule(unmapped, { filename: `${root}${file}`, relPath: file, format }),
  'parse+analyze+gen': (input) => {
    const ast = parseAs(input);
    analyze(ast.program, input.source, false);
    return generate(ast, { sourceMaps: true, sourceFileName: input.file, retainLines: false }, input.source);
  },
  'parse+traverse+gen': ({ source, format, file }) => {
    const ast = parse(source, { sourceType: format });
    traverse(ast, { Function() {} });
    return generate(ast, { sourceMaps: true, sourceFileName: file, retainLines: false }, source);
  },
};

function time(fn, input) {
  const start = process.hrtime.bigint();
  fn(input);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const best = (a) => Math.min(...a);
const names = Object.keys(variants);

// Each variant runs in a process of its own: the garbage one variant leaves (the generator
// makes much) would otherwise be collected during another's timing.
const childAt = process.argv.indexOf('--child');
if (childAt > 0) {
  const fn = variants[process.argv[childAt + 1]];
  // Warm up first: the first calls run Babel unoptimized, which is the cost of the first
  // modules an app loads, not of the rest.
  for (let i = 0; i < 15; i++) for (const input of files) fn(input);
  const out = files.map((input) => {
    const ms = [];
    for (let i = 0; i < runs; i++) ms.push(time(fn, input));
    return best(ms);
  });
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

const { execFileSync } = await import('node:child_process');
// Rounds of one process per variant, alternating; per file the best of all rounds: a process
// slowed as a whole by a busy machine does not decide a figure.
const rounds = 3;
const timings = Object.fromEntries(names.map((name) => [name, files.map(() => Infinity)]));
for (let round = 0; round < rounds; round++) {
  for (const name of names) {
    const ms = JSON.parse(
      execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', name, '--runs', String(runs)], {
        encoding: 'utf8',
      }),
    );
    ms.forEach((m, i) => {
      timings[name][i] = Math.min(timings[name][i], m);
    });
  }
}

console.log(
  `Auto-trace rewrite throughput, MB/s (best of ${rounds} processes x ${runs} runs after warm-up; Node ${process.versions.node})`,
);
console.log(
  `${'file'.padEnd(40)} ${'kB'.padStart(4)} ${names.map((n) => n.padStart(19)).join('')}   functions  map kB`,
);
const totals = Object.fromEntries(names.map((n) => [n, 0]));
let bytes = 0;
files.forEach((input, i) => {
  const row = names.map((name) => {
    totals[name] += timings[name][i];
    return (input.source.length / 1e6 / (timings[name][i] / 1000)).toFixed(2).padStart(19);
  });
  bytes += input.source.length;
  const out = rewriteModule(input.source, {
    filename: `${root}${input.file}`,
    relPath: input.file,
    format: input.format,
  });
  const mapKb = out === undefined ? 0 : JSON.stringify(out.map).length / 1024;
  console.log(
    `${input.file.replace('node_modules/', '').padEnd(40)} ${(input.source.length / 1024).toFixed(0).padStart(4)} ${row.join('')}   ${String(out?.functions ?? 0).padStart(9)}  ${mapKb.toFixed(0).padStart(6)}`,
  );
});
console.log(
  `${'all files'.padEnd(40)} ${(bytes / 1024).toFixed(0).padStart(4)} ${names.map((n) => (bytes / 1e6 / (totals[n] / 1000)).toFixed(2).padStart(19)).join('')}`,
);
const ratio = (a, b) => (totals[a] / totals[b]).toFixed(2);
const chained = files.filter((f) => f.unmapped !== f.source).map((f) => f.file.split('/')[1]);
console.log(
  `\nrewrite (splice) costs ${ratio('rewrite (splice)', 'parse')}x a parse (${ratio('rewrite, no chain', 'parse')}x without chaining onto the maps of ${chained.join(', ')}); regeneration at least ${ratio('parse+analyze+gen', 'parse')}x, ${ratio('parse+traverse+gen', 'parse')}x with traverse.`,
);
console.log(
  'map kB: the inline map of the rewritten file (with the sourcesContent of a chained map, when it has one).',
);
