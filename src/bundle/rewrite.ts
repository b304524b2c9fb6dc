// The load-time rewrite of a bundle that shows its module boundaries (scan.ts): a few guarded
// calls to the bundle hook (contract.ts), each put on a line that is already there, so the
// bundle keeps its lines and its source map stays true:
// - esbuild's `__commonJS` helper is wrapped right after its definition, so every CommonJS
//   library wrapper reports its exports when it first finishes evaluating;
// - webpack's module table is wrapped just before its runtime starts (named ids only);
// - an instrumented package that esbuild inlined as ES-module regions (no wrapper: openai's
//   .mjs build) reports its top-level classes on the blank line after its last region, where
//   every one of them is defined and the app has not yet run.
// A bundle whose shape this does not recognise is left as it was. Owns the text it inserts;
// must not decide versions or patch anything.
import type { BundleScan, Region } from './scan.ts';
import { BUNDLE_HOOK_KEY } from './contract.ts';
import { parseModulePath } from './module-path.ts';

export interface RewriteOptions {
  isInstrumented(pkg: string): boolean;
  /** The version the rewrite tells the runtime for a package, when it knows one. */
  versionOf(pkg: string): string | undefined;
}

export interface Rewritten {
  code: string;
  /** The packages the rewrite routes to the hook, and how. */
  hooked: { pkg: string; form: 'commonjs' | 'webpack' | 'esm-region' }[];
}

const HOOK = `globalThis[Symbol.for(${JSON.stringify(BUNDLE_HOOK_KEY)})]`;
// The leading `;` ends whatever statement came before, whatever the bundler wrote.
const guarded = (method: string, call: string): string =>
  `;(function(h){if(typeof h==="object"&&h!==null&&typeof h.${method}==="function")${call}})(${HOOK});`;

/** The bundle with its hook calls, or undefined when nothing in it is instrumented. */
export function rewriteBundle(source: string, scan: BundleScan, opts: RewriteOptions): Rewritten | undefined {
  const inserts: { at: number; text: string }[] = [];
  const hooked: Rewritten['hooked'] = [];
  const instrumented = (form: string): Set<string> =>
    new Set(scan.modules.filter((m) => m.form === form && opts.isInstrumented(m.pkg)).map((m) => m.pkg));

  const commonJs = instrumented('commonjs');
  const helper = scan.commonJsHelper;
  if (commonJs.size > 0 && helper !== undefined) {
    const call = guarded('commonJS', `return h.commonJS(${helper.name},${versionTable(commonJs, opts)})`);
    inserts.push({ at: helper.end, text: ` ${helper.name} = ${call.slice(1, -1)} || ${helper.name};` });
    for (const pkg of commonJs) hooked.push({ pkg, form: 'commonjs' });
  }
  const webpack = instrumented('webpack');
  if (webpack.size > 0 && scan.webpackRuntimeAt !== undefined) {
    inserts.push({
      at: scan.webpackRuntimeAt,
      text: guarded('webpack', `h.webpack(__webpack_modules__,${versionTable(webpack, opts)})`),
    });
    for (const pkg of webpack) hooked.push({ pkg, form: 'webpack' });
  }
  for (const pkg of instrumented('esm-region')) {
    if (commonJs.has(pkg)) continue; // its CommonJS build is what the instrumentation patches
    const insert = esmRegionsInsert(source, scan.regions, pkg, opts.versionOf(pkg));
    if (insert === undefined) continue;
    inserts.push(insert);
    hooked.push({ pkg, form: 'esm-region' });
  }
  if (inserts.length === 0) return undefined;
  inserts.sort((a, b) => a.at - b.at);
  let code = '';
  let from = 0;
  for (const { at, text } of inserts) {
    code += source.slice(from, at) + text;
    from = at;
  }
  return { code: code + source.slice(from), hooked };
}

function versionTable(pkgs: Set<string>, opts: RewriteOptions): string {
  const table: Record<string, string> = {};
  for (const pkg of pkgs) {
    const v = opts.versionOf(pkg);
    if (v !== undefined) table[pkg] = v;
  }
  return JSON.stringify(table);
}

const CLASS = /^(?:var|let|const) ([A-Za-z_$][\w$]*) = class\b|^class ([A-Za-z_$][\w$]*)/gm;

/** The call after the package's last region, on the blank line esbuild leaves before the next. */
function esmRegionsInsert(
  source: string,
  regions: readonly Region[],
  pkg: string,
  version: string | undefined,
): { at: number; text: string } | undefined {
  const own = regions.filter((r) => parseModulePath(r.path)?.pkg === pkg);
  const last = own[own.length - 1];
  if (last === undefined) return undefined;
  // Only a blank line is a safe place: anything else could be inside a statement or a comment.
  const at = last.end === source.length ? undefined : last.end - 1;
  if (at === undefined || source[at] !== '\n' || source[at - 1] !== '\n') return undefined;
  const names = new Set<string>();
  for (const r of own)
    for (const m of source.slice(r.start, r.end).matchAll(CLASS)) names.add((m[1] ?? m[2]) as string);
  if (names.size === 0) return undefined;
  // esbuild renames a clash by adding a number (OpenAI2); the instrumentation knows the original name.
  const entries = [...names].map((n) => {
    const original = n.replace(/\d+$/, '');
    return `${JSON.stringify(original !== n && original !== '' && !names.has(original) ? original : n)}:${n}`;
  });
  const file = parseModulePath(last.path)?.file ?? '';
  const args = `{${entries.join(',')}},${JSON.stringify(pkg)},${version === undefined ? 'void 0' : JSON.stringify(version)},${JSON.stringify(file)}`;
  return { at, text: guarded('esm', `h.esm(${args})`) };
}
