// Makes the published type declarations (dist/types) self-contained: the public API's types
// name a few OpenTelemetry types (Attributes, Span, SpanProcessor, ReadableSpan), whose
// packages are bundled into dist/ and so are not installed with the agent. Their .d.mts files
// are copied to dist/types/vendor/<package>/ and every import of such a package in
// dist/types is pointed there. Owns nothing but that copy and rewrite; must not touch the
// JavaScript bundles.
//
// Only packages reached from the emitted declarations are copied (followed transitively);
// an import of any other bare package stays as it is, and test/pack.test.mjs typechecks
// the installed package with skipLibCheck off, so one that a public type needs shows there.
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(@opentelemetry\/[a-z0-9-]+)\2/g;

function walk(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.d\.m?ts$/.test(e.name)) out.push(p);
  }
  return out;
}

function referenced(files) {
  const names = new Set();
  for (const f of files) for (const m of readFileSync(f, 'utf8').matchAll(SPECIFIER)) names.add(m[3]);
  return names;
}

/**
 * @param typesDir the emitted declarations (dist/types of the build in progress)
 * @param nodeModules where the bundled packages' declarations are read from
 * @returns the vendored package names
 */
export function vendorTypes(typesDir, nodeModules) {
  const vendorDir = join(typesDir, 'vendor');
  const vendored = new Set();
  let pending = referenced(walk(typesDir));
  while (pending.size > 0) {
    const next = new Set();
    for (const name of pending) {
      if (vendored.has(name)) continue;
      const from = join(nodeModules, name, 'dist');
      if (!existsSync(join(from, 'index.d.mts'))) throw new Error(`vendor-types: ${name} has no dist/index.d.mts`);
      const to = join(vendorDir, name);
      cpSync(from, to, { recursive: true, filter: (src) => src.endsWith('.d.mts') || statSync(src).isDirectory() });
      vendored.add(name);
      for (const n of referenced(walk(to))) if (!vendored.has(n)) next.add(n);
    }
    pending = next;
  }
  for (const file of walk(typesDir)) {
    const text = readFileSync(file, 'utf8');
    const rewritten = text.replace(SPECIFIER, (all, lead, quote, name) => {
      if (!vendored.has(name)) return all;
      let rel = relative(dirname(file), join(vendorDir, name, 'index.mjs'))
        .split(sep)
        .join('/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return `${lead}${quote}${rel}${quote}`;
    });
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
  return [...vendored].sort();
}
