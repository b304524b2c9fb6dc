// src/autotrace/transform/: the Babel rewrite of the app's modules, and this file its entry
// (bundled on its own as dist/lazy/autotrace-rewrite.cjs: @babel/parser is loaded only when a
// module has to be rewritten). analyze.ts finds the functions (names.ts names them), wrap.ts
// has the wrappers of the runtime protocol, splice.ts inserts them into the original text,
// source-map.ts maps the result back. Must not import the runtime or the hook.
//
// The auto-trace rewrite of one module (issue 9, points 2 and 3): every function,
// method, getter, setter, constructor and arrow of the app's own code calls the auto-trace
// runtime on entry and exit, with its qualified name and original position. The module hook
// calls it with the source it is about to load and loads the result instead. No side
// effects; it reads one file, the .map beside a compiled module that names one.
//
// Behaviour is untouched by construction: parameters, `this`, `arguments`, `new.target` and
// `super` stay those of the same function (the try/finally is inside it, and an async body
// stays in place, its awaits awaiting exactly what they did); function declarations stay in the body,
// hoisted to the start of the try block before any of it runs; thrown values are rethrown
// as they are, and return values pass through `finally` unchanged. What a wrapper could
// change is left as it is (analyze.ts): generators, async generators, asm.js, functions
// containing a direct `eval(...)` or inside `with` (or an async one awaiting inside `with`),
// bodies whose declarations a block would rebind, functions handed to `page.evaluate()` and the like (their source runs
// in a browser, without the runtime), and what a `budobserve-ignore` comment marks. Each
// wrapper is inserted on the line it wraps, so lines keep their numbers; the source map
// gives the columns back.
import { parse, type ParseResult, type ParserOptions } from '@babel/parser';
import type * as t from '@babel/types';
import { analyze, type Planned, type Scoping } from './analyze.ts';
import { BundleView, lineStarts, selectedIndices, selectedRegions } from './bundle.ts';
import { mapOntoLines } from './line-map.ts';
import { Splice } from './splice.ts';
import { chooseIdents, footer, markAsync, MARKER, wrapFunction, type Site } from './wrap.ts';
import {
  findMapComment,
  finishMap,
  loadInputMap,
  sourcePath,
  tracePosition,
  traceSegment,
  type InputMap,
  type RawSourceMap,
} from './source-map.ts';

export interface RewriteOptions {
  /** Absolute path (or file URL) of the module: the source map's source. */
  filename: string;
  /** Path relative to the project root: `code.file.path`. */
  relPath: string;
  format: 'module' | 'commonjs';
  /** Parse TypeScript syntax; by default when `filename` ends in .ts, .mts, .cts or .tsx. */
  typescript?: boolean;
  /** The compiler's map of `source` (object or JSON); by default its sourceMappingURL comment's. */
  inputSourceMap?: object | string;
  /** Where `code.file.path` of an original source is relative to; by default `filename` less `relPath`. */
  projectRoot?: string;
  /**
   * A bundle (or compiled file) selected through its map: only the functions whose original
   * position lies in one of these sources (absolute paths) are rewritten, named as in that
   * source (bundle.ts); the rest of the file stays as it is. By default every function.
   */
  sources?: readonly string[];
}

export interface RewriteResult {
  code: string;
  /** Source map of `code`, onto the original file (through the input map, if any). */
  map: RawSourceMap;
  /** How many functions were wrapped. */
  functions: number;
}

const IGNORE_FILE = 'budobserve-ignore-file';
// Parse errors of module syntax in a script: what makes Node load a .js file as a module.
const MODULE_ONLY = new Set(['ImportOutsideModule', 'ImportMetaOutsideModule', 'AwaitNotInAsyncContext']);

/**
 * Why a module is not rewritten, thrown by rewriteModule: 'syntax', the parser rejects the
 * source (the cause is Babel's SyntaxError, with its `reasonCode` and `loc`); 'too-deep', it
 * nests deeper than the parser's or the rewrite's recursion goes (the cause is the
 * RangeError). The message is the cause's, as the load hook's warning quotes it. Any other
 * exception out of rewriteModule is a bug of the rewrite (test/autotrace-fuzz.test.mjs).
 */
export class RewriteDeclined extends Error {
  readonly reason: 'syntax' | 'too-deep';
  constructor(reason: 'syntax' | 'too-deep', cause: Error) {
    super(cause.message, { cause });
    this.name = 'RewriteDeclined';
    this.reason = reason;
  }
}

/**
 * The rewritten module, or undefined when nothing was rewritten (no function to wrap,
 * already rewritten, `budobserve-ignore-file`). Throws RewriteDeclined when the source does
 * not parse or nests too deep.
 */
export function rewriteModule(source: string, options: RewriteOptions): RewriteResult | undefined {
  try {
    return rewrite(source, options);
  } catch (error) {
    if (error instanceof SyntaxError && typeof (error as { reasonCode?: unknown }).reasonCode === 'string')
      throw new RewriteDeclined('syntax', error);
    if (error instanceof RangeError && error.message === 'Maximum call stack size exceeded')
      throw new RewriteDeclined('too-deep', error);
    throw error;
  }
}

function rewrite(source: string, options: RewriteOptions): RewriteResult | undefined {
  if (source.includes(MARKER) || source.includes(MARKER.replace(/'/g, '"'))) return undefined;
  // Node drops a byte-order mark before compiling, so positions count without it.
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  const mentionsIgnore = text.includes('budobserve-ignore');
  if (options.sources !== undefined) return rewriteBundle(text, options, options.sources, mentionsIgnore);
  const ast = parseModule(text, options, mentionsIgnore);
  if (mentionsIgnore && ast.comments?.[0]?.value.includes(IGNORE_FILE) === true) return undefined;

  const { pre } = analyze(ast.program, text, mentionsIgnore);
  if (!pre.some((p) => p.wrap)) return undefined;

  const input = loadInputMap(text, options.filename, options.inputSourceMap);
  const root = options.projectRoot ?? projectRoot(options.filename, options.relPath);
  const sites = new Map<Planned, Site>();
  for (const p of pre) {
    if (!p.wrap) continue;
    const site = siteOf(p, options.relPath, input, root);
    // Behind a compiler's map, code that maps to no original line is the compiler's own
    // (esbuild's __name, tsc's __awaiter): not the app's functions.
    if (site === undefined) p.wrap = false;
    else sites.set(p, site);
  }
  return emit(text, options.filename, sites, input);
}

/**
 * A bundle: the lines that hold selected sources are parsed (the whole file only when they
 * cannot be parsed apart), and only those sources' functions are wrapped. A file whose map
 * names none of `sources` is not parsed at all.
 */
function rewriteBundle(
  text: string,
  options: RewriteOptions,
  sources: readonly string[],
  mentionsIgnore: boolean,
): RewriteResult | undefined {
  const input = loadInputMap(text, options.filename, options.inputSourceMap);
  if (input === undefined) return undefined;
  const root = options.projectRoot ?? projectRoot(options.filename, options.relPath);
  const selected = selectedIndices(input, sources, root);
  if (selected.size === 0) return undefined;
  if (mentionsIgnore && leadingComment(text).includes(IGNORE_FILE)) return undefined;
  const view = new BundleView(input, selected);
  const sites = new Map<Planned, Site>();
  const starts = lineStarts(text);
  for (const p of analyzeSelected(text, options, mentionsIgnore, input, selected, view, starts)) {
    if (!p.wrap || !selected.has(p.origin)) continue;
    const site = siteOf(p, options.relPath, input, root, view);
    if (site !== undefined) sites.set(p, site);
  }
  return emit(text, options.filename, sites, input, { selected, starts });
}

/** The functions of the selected regions, or of the whole file where they do not parse apart. */
function analyzeSelected(
  text: string,
  options: RewriteOptions,
  mentionsIgnore: boolean,
  input: InputMap,
  selected: ReadonlySet<number>,
  scoping: Scoping,
  starts: readonly number[],
): Planned[] {
  const regions = selectedRegions(input, selected);
  if (regions !== undefined) {
    const pre: Planned[] = [];
    try {
      for (const [first, last] of regions) {
        const from = starts[first];
        if (from === undefined) break;
        const to = starts[last + 1] ?? text.length;
        const at = { startLine: first + 1, startColumn: 0, startIndex: from };
        const ast = parseModule(text.slice(from, to), options, mentionsIgnore, at);
        for (const p of analyze(ast.program, text, mentionsIgnore, scoping).pre) pre.push(p);
      }
      return pre;
    } catch (error) {
      // Lines that cut a statement (a region begins inside another module's code): the
      // whole file decides, and its parse error, if any, is the one reported.
      if (!(error instanceof SyntaxError || error instanceof RangeError)) throw error;
    }
  }
  return analyze(parseModule(text, options, mentionsIgnore).program, text, mentionsIgnore, scoping).pre;
}

/** The rewritten module: the wrappers of `sites` spliced into `text`, with its source map. */
function emit(
  text: string,
  filename: string,
  sites: ReadonlyMap<Planned, Site>,
  input: InputMap | undefined,
  bundle?: { selected: ReadonlySet<number>; starts: readonly number[] },
): RewriteResult | undefined {
  if (sites.size === 0) return undefined;
  const ids = chooseIdents(text);
  const splice = new Splice(text);
  for (const [p, site] of sites) {
    wrapFunction(splice, p.node, p.depth, site, ids, text);
    for (const m of p.marks) markAsync(splice, m, ids, text);
  }
  // The compiler's comment would point at its own map; the caller attaches ours.
  const comment = findMapComment(text);
  if (comment !== undefined) splice.remove(comment.start, comment.end);

  // A bundle's map is the bundler's, shifted where text went in (line-map.ts).
  const onLines =
    bundle === undefined || input === undefined
      ? undefined
      : mapOntoLines(input, splice.edits(), bundle.starts, text.length);
  const { code, mappings } =
    onLines !== undefined
      ? { code: splice.text(footer(ids)), mappings: onLines }
      : splice.build(
          footer(ids),
          input === undefined ? undefined : (line, column) => traceSegment(input, line, column),
        );
  return { code, map: finishMap(mappings, filename, input, bundle?.selected), functions: sites.size };
}

/** The first comment of a file, after a hashbang: where a bundle's banner says budobserve-ignore-file. */
function leadingComment(text: string): string {
  const m = /^(?:#![^\n]*\n)?\s*(\/\/[^\n]*|\/\*[\s\S]*?\*\/)/.exec(text);
  return m?.[1] ?? '';
}

/** Where a parsed slice starts in the file: Babel's positions are then the file's. */
interface At {
  startLine: number;
  startColumn: number;
  startIndex: number;
}

function parseModule(text: string, options: RewriteOptions, attachComment: boolean, at?: At): ParseResult<t.File> {
  const typescript = options.typescript ?? /\.[mc]?tsx?$/i.test(options.filename);
  const plugins: NonNullable<ParserOptions['plugins']> = [];
  if (typescript) plugins.push('typescript');
  if (/\.[jt]sx$/i.test(options.filename)) plugins.push('jsx');
  const parserOptions = (sourceType: 'module' | 'commonjs'): ParserOptions => ({
    sourceType,
    plugins,
    // Comments are only needed for budobserve-ignore; attaching them costs time.
    attachComment,
    ...at,
    // ('commonjs' allows `return` and `new.target` at the top: CommonJS runs in a function.)
  });
  if (options.format === 'module') return parse(text, parserOptions('module'));
  try {
    return parse(text, parserOptions('commonjs'));
  } catch (error) {
    // Node decides the format by module syntax where the package does not say; a caller may
    // still call a file with `import` CommonJS. Such a file parses as a module or not at all.
    if (!MODULE_ONLY.has((error as { reasonCode?: string }).reasonCode ?? '')) throw error;
    return parse(text, parserOptions('module'));
  }
}

/** The project root, where `filename` ends with `relPath`. */
function projectRoot(filename: string, relPath: string): string | undefined {
  const file = filename.replace(/\\/g, '/');
  const rel = relPath.replace(/\\/g, '/').replace(/^\.\//, '');
  return rel !== '' && file.endsWith(`/${rel}`) ? file.slice(0, file.length - rel.length - 1) : undefined;
}

/**
 * Name and position of a function for its span. Behind a compiler's source map, the
 * position and path are those of the original TypeScript (see sourcePath), and a
 * function that maps nowhere gets none (undefined); otherwise those of this file.
 */
function siteOf(
  p: Planned,
  relPath: string,
  input: InputMap | undefined,
  root: string | undefined,
  bundle?: BundleView,
): Site | undefined {
  const start = (p.node.loc as t.SourceLocation).start;
  if (input === undefined) return { name: p.name, path: relPath, line: start.line, column: start.column };
  const traced = tracePosition(input, start.line - 1, start.column);
  if (traced === undefined) return undefined;
  const column = bundle === undefined ? traced.column : bundle.column(p.node, p.origin, traced.line, traced.column);
  return { name: p.name, path: sourcePath(traced.source, root), line: traced.line + 1, column };
}
