// Auto-tracing inside a bundle (esbuild, tsup, webpack, rollup), or any compiled file that is
// selected through the sources its map names rather than by its own path: which parts of it
// hold the selected sources' code (only those are parsed), which of the functions found there
// are those sources' own, and what they were called there. rewrite.ts does the rest, as for any
// module. Owns these questions about a bundle; must not parse or edit anything itself.
//
// A bundle is the concatenation of its modules, each on lines of its own unless minified: the
// input map says which lines are a selected source's (regions). The bundler's own code around
// them must not become spans that the source alone would not make, though esbuild maps some of
// it onto the first position of the module it wraps:
//   var require_x = __commonJS({ "src/x.cjs"(exports, module) { ...x... } });   (and __esm)
//   __export(x_exports, { name: () => name });
// The first is a method keyed by the path of the very source it maps to; the second an arrow
// returning a name, with no mapping of its own. Functions inside a wrapper are named as in the
// source alone (analyze.ts names a function inside the nearest enclosing one of its origin), and
// a declaration the bundler renamed (`label` to `label2`, to avoid a collision) by the name the
// map records for it.
import type * as t from '@babel/types';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { traceSegment, type InputMap } from './source-map.ts';
import { SEVERAL } from './mapping-lines.ts';
import { webpackSourcePath } from './webpack-source.ts';
import type { Scoping } from './analyze.ts';
import type { FunctionNode } from './names.ts';

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
// Words a mapping at a declaration's name may point at instead of a name (esbuild maps
// `export default function named` there, at `default`).
const NOT_A_NAME = new Set(
  'export default function class async const let var static get set new return await yield abstract declare public private protected readonly override'.split(
    ' ',
  ),
);

/**
 * Indices of the input map's sources that are among `paths` (absolute paths); webpack://
 * sources are read as paths under `root` (webpack-source.ts).
 */
export function selectedIndices(input: InputMap, paths: readonly string[], root: string | undefined): Set<number> {
  const wanted = new Set(paths.map((p) => p.replace(/\\/g, '/')));
  const out = new Set<number>();
  input.map.sources.forEach((url, i) => {
    if (typeof url !== 'string') return;
    const webpack = webpackSourcePath(url);
    try {
      const path =
        webpack !== undefined && root !== undefined
          ? resolve(root, webpack)
          : url.startsWith('file:')
            ? fileURLToPath(url)
            : undefined;
      if (path !== undefined && wanted.has(path.replace(/\\/g, '/'))) out.add(i);
    } catch {
      // not a path on this platform
    }
  });
  return out;
}

/** Lines [first, last] (0-based, inclusive) of the generated file to parse. */
export type Region = readonly [number, number];

/**
 * The runs of lines holding selected code: each from a line of selected code to one, with
 * nothing mapped to another source between them (lines that map nowhere, such as a template
 * literal's continuation, stay inside). Undefined when a line holds selected code and other
 * code (a minified bundle): the caller then parses the whole file.
 */
export function selectedRegions(input: InputMap, selected: ReadonlySet<number>): Region[] | undefined {
  const regions: Region[] = [];
  let first = -1;
  let last = -1;
  const lines = input.lines;
  for (let i = 0; i < lines.length; i++) {
    const source = lines.sourceOf(i);
    let mine = selected.has(source);
    let other = !mine && source !== -1;
    if (source === SEVERAL) {
      mine = other = false;
      for (const seg of lines.get(i)) {
        if (seg.length < 4) continue;
        if (selected.has(seg[1] as number)) mine = true;
        else other = true;
      }
    }
    if (mine && other) return undefined;
    if (mine) {
      if (first < 0) first = i;
      last = i;
    } else if (other && first >= 0) {
      regions.push([first, last]);
      first = -1;
    }
  }
  if (first >= 0) regions.push([first, last]);
  return regions;
}

/**
 * The bundle's view of its functions for analyze.ts: each one's origin (the source index its
 * start maps to; -1 where it maps nowhere or is the bundler's wrapper), and declarations by the
 * names their source gave them; for rewrite.ts, where a function starts in its source.
 */
export class BundleView implements Scoping {
  readonly #input: InputMap;
  readonly #selected: ReadonlySet<number>;
  /** Lines of the original sources asked about: sourcesContent, or the file. */
  readonly #lines = new Map<number, string[] | undefined>();

  constructor(input: InputMap, selected: ReadonlySet<number>) {
    this.#input = input;
    this.#selected = selected;
  }

  origin(fn: FunctionNode, ancestors: readonly t.Node[]): number {
    const { line, column } = (fn.loc as t.SourceLocation).start;
    const seg = traceSegment(this.#input, line - 1, column);
    if (seg === undefined) return -1;
    const source = seg[1] as number;
    if (!this.#selected.has(source)) return source;
    if (isModuleWrapper(fn, ancestors, this.#input.map.sources[source])) return -1;
    if (seg[0] !== column && isExportGetter(fn, ancestors)) return -1;
    // `enum E {}` and `namespace N {}` compile to `((E) => {...})(E || {})`: the compiler's.
    if (fn.type === 'ArrowFunctionExpression' || fn.type === 'FunctionExpression')
      if (ancestors[ancestors.length - 1]?.type === 'CallExpression' && this.#atTypeScriptScope(seg)) return -1;
    return source;
  }

  /** (A property: analyze.ts hands it on as a function.) */
  readonly ident = (id: t.Identifier): string => {
    const { line, column } = (id.loc as t.SourceLocation).start;
    const seg = traceSegment(this.#input, line - 1, column);
    if (seg === undefined) return id.name;
    // Only a mapping at the identifier itself names it (esbuild and rollup write one for each
    // binding they renamed, with the name it had, or at least at that name: `var Svc = class
    // _Svc`); an earlier one on the line is about something else.
    if (seg[0] === column && seg.length >= 4) {
      const named = seg.length >= 5 ? this.#input.map.names[seg[4] as number] : undefined;
      const original = typeof named === 'string' ? named : /^[A-Za-z_$][\w$]*/.exec(this.#textAt(seg))?.[0];
      if (original !== undefined && IDENTIFIER.test(original) && !NOT_A_NAME.has(original)) return original;
    }
    // An anonymous default export gets a name in a bundle (esbuild's `users_default`,
    // webpack's `__WEBPACK_DEFAULT_EXPORT__`, rollup's importer's name): where the source says
    // `export default` and no name, it is `default`, as unbundled.
    if (this.#atAnonymousDefault(seg)) return 'default';
    return id.name;
  };

  /**
   * The column where a function starts in its source (0-based), from the one its start
   * traced to: esbuild maps `export async function f` and `export default function` to the
   * `export`, which is no part of the function (in the source alone it starts after it); and
   * minified, it writes `(u) => …` as `u=>…`, which starts at the parameter.
   */
  column(fn: FunctionNode, source: number, line: number, column: number): number {
    const text = this.#lineOf(source, line);
    if (text === undefined) return column;
    const m = /^export[ \t]+(?:default[ \t]+)?/.exec(text.slice(column));
    if (m !== null) return column + m[0].length;
    const param = fn.params[0];
    if (
      fn.type === 'ArrowFunctionExpression' &&
      !fn.async &&
      param?.type === 'Identifier' &&
      param.start === fn.start
    ) {
      // `(u) =>`, `(u): T =>` or `(u: T) =>` in the source; not `f(u => …)`.
      const open = /\([ \t]*$/.exec(text.slice(0, column));
      if (open !== null && /^[A-Za-z_$][\w$]*[ \t]*(?:\)[ \t]*(?:=>|:)|[?:])/.test(text.slice(column)))
        return open.index;
    }
    return column;
  }

  /**
   * Whether a segment points at an `export default` (at `export`, or at `default` after it)
   * of something the source leaves unnamed.
   */
  #atAnonymousDefault(seg: readonly number[]): boolean {
    const text = seg.length < 4 ? undefined : this.#lineOf(seg[1] as number, seg[2] as number);
    if (text === undefined) return false;
    const before = text.slice(0, seg[3]);
    const after = text.slice(seg[3]);
    let what: string;
    if (/^export[ \t]+default\b/.test(after)) what = after.replace(/^export[ \t]+default\b/, '');
    else if (/\bexport[ \t]+$/.test(before) && /^default\b/.test(after)) what = after.slice(7);
    else if (/\bexport[ \t]+default[ \t]+$/.test(before)) what = after;
    else return false;
    what = what.trimStart();
    return !/^(?:async[ \t]+)?function\b[ \t]*\*?[ \t]*[A-Za-z_$]|^class[ \t]+(?!extends\b)[A-Za-z_$]/.test(what);
  }

  /** The original text from where a segment points to the end of its line. */
  #textAt(seg: readonly number[]): string {
    return (seg.length < 4 ? undefined : this.#lineOf(seg[1] as number, seg[2] as number)?.slice(seg[3])) ?? '';
  }

  /** Whether a segment points at a TypeScript enum or namespace, which compile to a function. */
  #atTypeScriptScope(seg: readonly number[]): boolean {
    const text = this.#lineOf(seg[1] as number, seg[2] as number)?.slice(seg[3]);
    return (
      text !== undefined &&
      /^(?:export[ \t]+)?(?:declare[ \t]+)?(?:const[ \t]+)?(?:enum|namespace|module)[ \t]/.test(text)
    );
  }

  #lineOf(source: number, line: number): string | undefined {
    if (!this.#lines.has(source)) this.#lines.set(source, this.#read(source)?.split(/\r\n|[\n\r\u2028\u2029]/));
    return this.#lines.get(source)?.[line];
  }

  #read(source: number): string | undefined {
    const content = this.#input.map.sourcesContent?.[source];
    if (typeof content === 'string') return content;
    const url = this.#input.map.sources[source];
    try {
      return typeof url === 'string' && url.startsWith('file:') ? readFileSync(fileURLToPath(url), 'utf8') : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * A bundler's module wrapper: a function keyed by the path of the source it maps to, as
 * esbuild's `"src/x.cjs"(exports, module) {` (and webpack's `"./src/x.js": (module) => {`).
 */
function isModuleWrapper(
  fn: FunctionNode,
  ancestors: readonly t.Node[],
  sourceUrl: string | null | undefined,
): boolean {
  let key: t.Node | undefined;
  if (fn.type === 'ObjectMethod' && !fn.computed) key = fn.key;
  else {
    const parent = ancestors[ancestors.length - 1];
    if (parent?.type === 'ObjectProperty' && parent.value === fn && !parent.computed) key = parent.key;
  }
  if (key?.type !== 'StringLiteral' || typeof sourceUrl !== 'string') return false;
  const path = key.value.replace(/\\/g, '/').replace(/^(?:\.\.?\/)+/, '');
  if (path === '' || !path.includes('/')) return false;
  const source = decodeURI(sourceUrl.replace(/[?#].*$/, ''));
  return source.endsWith(`/${path}`);
}

/** esbuild's `__export(target, { name: () => name })`: an export's getter, the bundler's own. */
function isExportGetter(fn: FunctionNode, ancestors: readonly t.Node[]): boolean {
  if (fn.type !== 'ArrowFunctionExpression' || fn.params.length > 0 || fn.body.type !== 'Identifier') return false;
  const property = ancestors[ancestors.length - 1];
  const object = ancestors[ancestors.length - 2];
  const call = ancestors[ancestors.length - 3];
  return (
    property?.type === 'ObjectProperty' &&
    object?.type === 'ObjectExpression' &&
    call?.type === 'CallExpression' &&
    call.arguments.includes(object)
  );
}

/** Offsets where the lines of `text` start, counted as source maps and splice.ts count them. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  if (!/[\r\u2028\u2029]/.test(text)) {
    // The common case, found by indexOf: a bundle's 3.7 MB take a character loop 50 ms cold.
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    return starts;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 0x2028 || c === 0x2029 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  return starts;
}
