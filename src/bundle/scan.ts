// Finds the library modules inside a bundle that shows its module boundaries: esbuild's
// CommonJS wrappers (`__commonJS({ "node_modules/pg/lib/index.js"(exports, module) {…} })`),
// its ES-module regions (`// node_modules/openai/client.mjs` at the top level), its lazy
// ES-module wrappers (`__esm({ "node_modules/…"() {…} })`) and webpack's named module ids
// (`"./node_modules/pg/lib/index.js": (module, exports, __webpack_require__) => {…}`). Plain
// regular-expression passes over the text, no parse: a 4 MB bundle scans in a few
// milliseconds (benchmarks/bundle-scan.mjs). Shared by the load-time rewrite and
// `budobserve doctor`. Owns reading a bundle's text; must not change it.
import { parseModulePath } from './module-path.ts';
import { BUNDLE_HOOK_KEY } from './contract.ts';
import type { ModulePath } from './module-path.ts';

export type ModuleForm = 'commonjs' | 'esm-region' | 'esm-lazy' | 'webpack';

export interface ScannedModule extends ModulePath {
  /** The bundler's id of the module: its path as the bundle spells it. */
  id: string;
  form: ModuleForm;
}

/** An esbuild top-level region: from its `// path` comment to the next one (or the end). */
export interface Region {
  path: string;
  start: number;
  end: number;
}

export interface BundleScan {
  modules: ScannedModule[];
  regions: Region[];
  /** esbuild: the `__commonJS` helper's name and the offset just after its definition (`};`). */
  commonJsHelper: { name: string; end: number } | undefined;
  /** webpack: the offset of the runtime's `var __webpack_module_cache__`, after the module table. */
  webpackRuntimeAt: number | undefined;
  /** Versions from the package.json files the bundle carries, by package. */
  bundledVersions: Map<string, string>;
}

/** Whether a file may be a bundle worth scanning: three substring checks, for every app file. */
export function mayBeBundle(source: string): boolean {
  return (
    source.includes('node_modules/') &&
    (source.includes('__commonJS(') || source.includes('\n// node_modules/') || source.includes('__webpack_modules__'))
  );
}

// Searched with indexOf, then matched where found: 2-3x faster than one global expression on a
// 10 MB bundle (benchmarks/bundle-scan.mjs).
const WRAPPER_KEY = /\s*"([^"\n]+)"\s*\(/y;
// A named id as a key of webpack's module table: `/***/ "./node_modules/pg/lib/index.js"` on its
// own line (webpack 5's development output), or `{"./node_modules/…":` / `,"./node_modules/…"(`
// when minified with named ids. A string that only looks like one matters little: the runtime
// wraps only keys the table really has.
const WEBPACK_ID = /(?:^\/\*\*\*\/ |[{,])"(\.\/[^"\n]*node_modules\/[^"\n]+)"/gm;
const REGION_PATH = /^[^\s]+\.(?:[cm]?[jt]sx?|json|node)$/;
// esbuild numbers a name that clashes (`function __require2()` in ES-module output).
const HELPER = /^var (__commonJS\d*) = \(cb, mod\) => function __require\d*\(\) \{$/m;
const WEBPACK_RUNTIME = /^(?:\/\*{6}\/)?\s*(?:var|const|let) __webpack_module_cache__ = \{\};$/m;
const VERSION = /\bversion"?\s*:\s*"([0-9][^"\s]*)"/;

/** The library modules a bundle shows, or undefined when it shows none. */
export function scanBundle(source: string): BundleScan | undefined {
  const modules: ScannedModule[] = [];
  const bundledVersions = new Map<string, string>();
  const add = (id: string, form: ModuleForm, at: number): void => {
    const parsed = parseModulePath(id);
    if (parsed === undefined) return;
    if (parsed.file === 'package.json') {
      const version = VERSION.exec(source.slice(at, at + 600))?.[1];
      if (version !== undefined && !bundledVersions.has(parsed.pkg)) bundledVersions.set(parsed.pkg, version);
      return;
    }
    modules.push({ ...parsed, id, form });
  };
  for (const [marker, form] of [
    ['__commonJS({', 'commonjs'],
    ['__esm({', 'esm-lazy'],
  ] as const) {
    for (let at = source.indexOf(marker); at !== -1; at = source.indexOf(marker, at + marker.length)) {
      WRAPPER_KEY.lastIndex = at + marker.length;
      const m = WRAPPER_KEY.exec(source);
      if (m !== null) add(m[1] as string, form, WRAPPER_KEY.lastIndex);
    }
  }
  const webpack = source.includes('__webpack_modules__');
  if (webpack)
    for (const m of source.matchAll(WEBPACK_ID)) add(m[1] as string, 'webpack', (m.index ?? 0) + m[0].length);
  const regions = topLevelRegions(source);
  for (const r of regions) add(r.path, 'esm-region', r.start);
  if (modules.length === 0) return undefined;
  return {
    modules,
    regions,
    bundledVersions,
    commonJsHelper: commonJsHelper(source),
    webpackRuntimeAt: webpack ? webpackRuntime(source) : undefined,
  };
}

function topLevelRegions(source: string): Region[] {
  const starts: { path: string; start: number }[] = [];
  for (let at = source.indexOf('\n// '); at !== -1; at = source.indexOf('\n// ', at + 4)) {
    const eol = source.indexOf('\n', at + 4);
    const path = source.slice(at + 4, eol === -1 ? source.length : eol);
    if (REGION_PATH.test(path)) starts.push({ path, start: at + 1 });
  }
  return starts.map((s, i) => ({ ...s, end: starts[i + 1]?.start ?? source.length }));
}

/** esbuild's `__commonJS` helper: its name, and where its definition's closing `};` line ends. */
function commonJsHelper(source: string): { name: string; end: number } | undefined {
  const m = HELPER.exec(source);
  if (m === null) return undefined;
  const close = source.indexOf('\n};', m.index);
  // The helper is a few lines; a far-away `};` means a shape this scan does not know.
  return close === -1 || close - m.index > 400 ? undefined : { name: m[1] as string, end: close + 3 };
}

/** Where webpack's runtime declares its module cache: the start of that declaration. */
function webpackRuntime(source: string): number | undefined {
  const m = WEBPACK_RUNTIME.exec(source);
  return m === null ? undefined : m.index + m[0].search(/(?:var|const|let) __webpack_module_cache__/);
}

// A plugin's footer as it survives minification: renamed identifiers, `!0` for true, any quotes.
const FOOTER =
  /\.module\(\s*[\w$]+\.exports\s*,\s*(["'`])([^"'`]+)\1\s*,\s*(?:(["'`])([^"'`]*)\3|void 0)\s*,\s*(["'`])([^"'`]*)\5\s*,\s*(!0|!1|true|false)\s*\)/g;

/** The packages a build plugin marked in the bundle (contract.ts commonJsFooter), with their versions. */
export function pluginMarks(source: string): Map<string, string | undefined> {
  const marks = new Map<string, string | undefined>();
  if (!source.includes(BUNDLE_HOOK_KEY)) return marks;
  for (const m of source.matchAll(FOOTER)) if (!marks.has(m[2] as string)) marks.set(m[2] as string, m[4]);
  return marks;
}
