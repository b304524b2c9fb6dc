// The original sources that a loaded file's source map names (its trailing sourceMappingURL
// comment: an inline data: URL, or a file beside it), so that the load hook can select a
// compiled file or a bundle by the paths of its sources (src/services/**) before anything is
// parsed. In the boot bundle: no Babel, and the map is not parsed as a whole (a 3.7 MB bundle
// has a 7.9 MB map, most of it sourcesContent and mappings, which JSON.parse would copy into
// strings only to drop them): one scan of its top-level keys keeps `sources` and `sourceRoot`.
// Owns reading the map for selection; must not decode mappings (transform/source-map.ts does,
// and resolves sources the same way: against the map's own URL, after sourceRoot).
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { webpackSourcePath } from '../transform/webpack-source.ts';

/**
 * Absolute paths of the file: sources of `source`'s map, as the map resolves them (relative to
 * the map, after its sourceRoot), and of its webpack:// sources under `projectRoot`; empty
 * when it has no usable map. Never throws.
 */
export function mapSources(filename: string, source: string, projectRoot: string): string[] {
  try {
    const url = mapUrl(source);
    if (url === undefined) return [];
    let text: Buffer | undefined;
    let base = pathToFileURL(filename).href;
    if (url.startsWith('data:')) {
      text = decodeDataUrl(url);
    } else if (!/^[a-z][a-z0-9+.-]*:/i.test(url) && isAbsolute(filename)) {
      const mapPath = resolve(dirname(filename), decodeURIComponent(url));
      text = readFileSync(mapPath);
      base = pathToFileURL(mapPath).href;
    }
    const found = text === undefined ? undefined : topLevelSources(text);
    if (found === undefined) return [];
    const root = found.sourceRoot === undefined || found.sourceRoot === '' ? '' : found.sourceRoot.replace(/\/?$/, '/');
    const out: string[] = [];
    for (const s of found.sources) {
      if (typeof s !== 'string') continue;
      const webpack = webpackSourcePath(s);
      if (webpack !== undefined) {
        out.push(resolve(projectRoot, webpack));
        continue;
      }
      // (As transform/source-map.ts: sourceRoot prefixes relative sources only.)
      const resolved = new URL(/^(?:[a-z][a-z0-9+.-]*:|\/)/i.test(s) ? s : root + s, base);
      if (resolved.protocol === 'file:') out.push(fileURLToPath(resolved));
    }
    return out;
  } catch {
    return [];
  }
}

/** The URL of the sourceMappingURL comment that ends the file (tools append theirs last). */
function mapUrl(source: string): string | undefined {
  const at = source.lastIndexOf('sourceMappingURL=');
  if (at < 4 || !/^(?:\/\/|\/\*)[#@][ \t]$/.test(source.slice(at - 4, at))) return undefined;
  const block = source[at - 3] === '*';
  const re = block ? /(?:[^\s'"*]|\*(?!\/))+/y : /[^\s'"]+/y;
  re.lastIndex = at + 17;
  const url = re.exec(source)?.[0];
  if (url === undefined) return undefined;
  const rest = source.slice(at + 17 + url.length);
  return (block ? /^[ \t]*\*\/\s*$/ : /^\s*$/).test(rest) ? url : undefined;
}

function decodeDataUrl(url: string): Buffer | undefined {
  const comma = url.indexOf(',');
  const header = url.slice(5, comma);
  if (comma < 0 || !/^application\/json/i.test(header)) return undefined;
  const payload = url.slice(comma + 1);
  return Buffer.from(
    /;base64$/i.test(header) ? payload : decodeURIComponent(payload),
    /;base64$/i.test(header) ? 'base64' : 'utf8',
  );
}

interface Found {
  sources: unknown[];
  sourceRoot?: string | undefined;
}

/**
 * `sources` and `sourceRoot` of a map's top-level object, other values skipped unparsed;
 * undefined for an index map (`sections`: one map per part, not supported) or anything
 * that is not a map's JSON.
 */
function topLevelSources(text: Buffer): Found | undefined {
  const scan = new Scanner(text);
  const json = (start: number, end: number): unknown => JSON.parse(text.toString('utf8', start, end));
  scan.expect(OPEN_OBJECT);
  let sources: unknown[] | undefined;
  let sourceRoot: string | undefined;
  if (scan.peek() === CLOSE_OBJECT) return undefined;
  for (;;) {
    const key = json(scan.at, scan.skipString());
    scan.expect(0x3a); // ':'
    const start = scan.at;
    const end = scan.skipValue();
    if (key === 'sections') return undefined;
    if (key === 'sources') {
      const value = json(start, end);
      if (!Array.isArray(value)) return undefined;
      sources = value;
    } else if (key === 'sourceRoot') {
      const value = json(start, end);
      if (typeof value === 'string') sourceRoot = value;
    }
    const next = scan.peek();
    scan.at++;
    if (next === CLOSE_OBJECT) break;
    if (next !== COMMA) return undefined;
    scan.skipSpace();
  }
  return sources === undefined ? undefined : { sources, sourceRoot };
}

/** Steps over JSON bytes without building values: strings by indexOf, containers by depth. */
class Scanner {
  at = 0;
  readonly #text: Buffer;

  constructor(text: Buffer) {
    this.#text = text;
  }

  skipSpace(): void {
    const t = this.#text;
    for (let c = t[this.at]; c === 32 || c === 10 || c === 13 || c === 9; c = t[this.at]) this.at++;
  }

  peek(): number | undefined {
    this.skipSpace();
    return this.#text[this.at];
  }

  expect(c: number): void {
    if (this.peek() !== c) throw new SyntaxError(`expected ${String.fromCharCode(c)} at ${this.at}`);
    this.at++;
    this.skipSpace();
  }

  /** From an opening quote at `at`: the offset after its closing quote. */
  skipString(): number {
    const t = this.#text;
    if (t[this.at] !== QUOTE) throw new SyntaxError(`expected a string at ${this.at}`);
    let i = this.at + 1;
    for (;;) {
      const q = t.indexOf(QUOTE, i);
      if (q < 0) throw new SyntaxError('unterminated string');
      let backslashes = 0;
      while (t[q - 1 - backslashes] === BACKSLASH) backslashes++;
      i = q + 1;
      if (backslashes % 2 === 0) break;
    }
    this.at = i;
    return i;
  }

  /** From the start of a value at `at`: the offset after it. */
  skipValue(): number {
    const t = this.#text;
    const c = t[this.at];
    if (c === QUOTE) return this.skipString();
    if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      let depth = 0;
      while (this.at < t.length) {
        const d = t[this.at];
        if (d === QUOTE) {
          this.skipString();
          continue;
        }
        if (d === OPEN_ARRAY || d === OPEN_OBJECT) depth++;
        else if (d === CLOSE_ARRAY || d === CLOSE_OBJECT) depth--;
        this.at++;
        if (depth === 0) return this.at;
      }
      throw new SyntaxError('unterminated value');
    }
    // A number, true, false or null: up to the next delimiter.
    for (
      let d = t[this.at];
      d !== undefined && d !== COMMA && d !== CLOSE_OBJECT && d !== CLOSE_ARRAY && d > 32;
      d = t[this.at]
    )
      this.at++;
    return this.at;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
