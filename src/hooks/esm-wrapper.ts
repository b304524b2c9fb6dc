// Recognises the ES-module entry of a dual package that only re-exports its CommonJS build
// (pg's esm/index.mjs, koa's dist/koa.mjs): `import pg from '../lib/index.js'` followed by
// `export const Client = pg.Client` and the like. Such an entry needs no import-in-the-middle
// (whose loader costs ~20 ms): the CommonJS build is required once through the patched
// require(), and the entry's own import of it then gets that cached, patched module.exports,
// whose objects its exports are. Anything else in the file (a class, a function, a call) and
// it is not a pure wrapper: import-in-the-middle handles it as before.
// Owns this recognition; must not load or patch anything.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Small on purpose: a real ES-module build is larger than any wrapper of this kind.
const MAX_BYTES = 8192;
const IMPORT = /^import\s+(?:[\w$]+|\*\s+as\s+[\w$]+)\s+from\s+(['"])(\.{1,2}\/[^'"]+)\1;?$/;
const ALLOWED = [
  /^export\s+default\s+[\w$]+;?$/,
  /^export\s+(?:const|let|var)\s+[\w$]+\s*=\s*[\w$]+(?:\.[\w$]+)*;?$/,
  /^export\s+\{[\s\w$,]*\};?$/,
  /^export\s+\*\s+from\s+(['"])\.{1,2}\/[^'"]+\1;?$/,
];

/**
 * The relative files an ES-module entry imports, when it is nothing but a wrapper of them;
 * undefined otherwise (never throws).
 */
export function wrappedImports(url: string): string[] | undefined {
  try {
    if (!url.startsWith('file:')) return undefined;
    const source = readFileSync(fileURLToPath(url), 'utf8');
    if (source.length > MAX_BYTES) return undefined;
    const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const imports: string[] = [];
    for (const raw of code.split('\n')) {
      const line = raw.trim();
      if (line === '') continue;
      const m = IMPORT.exec(line);
      if (m !== null) imports.push(new URL(m[2]!, url).href);
      else if (!ALLOWED.some((re) => re.test(line))) return undefined;
    }
    return imports.length > 0 ? imports : undefined;
  } catch {
    return undefined;
  }
}
