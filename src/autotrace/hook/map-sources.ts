// The original sources that a loaded file's source map names (its trailing sourceMappingURL
// comment: an inline data: URL, or a file beside it), so that the load hook can select a
// compiled file or a bundle by the paths of its sources (src/services/**) before anything is
// parsed. In the boot bundle: no Babel, and the map is not parsed as a whole (a 3.7 MB bundle
// has a 7.9 MB map, most of it sourcesContent and mappings, which JSON.parse would copy into
// strings only to drop them, 23 ms at a cold start): its `sources` and `sourceRoot` keys are
// found by Buffer.indexOf (native; 4 ms with the read) and only their values parsed. In JSON a
// quote inside a string is escaped, so `"sources"` followed by `:` after `{` or `,` is a key.
// Owns reading the map for selection; must not decode mappings (transform/source-map.ts does,
// and resolves sources the same way: against the map's own URL, after sourceRoot).
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
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
    const mapDir = base.startsWith('file:') ? dirname(fileURLToPath(base)) : undefined;
    const folders = new Map<string, string>();
    for (const s of found.sources) {
      if (typeof s !== 'string') continue;
      const webpack = webpackSourcePath(s);
      if (webpack !== undefined) {
        out.push(resolve(projectRoot, webpack));
        continue;
      }
      // (As transform/source-map.ts: sourceRoot prefixes relative sources only.)
      const rooted = /^(?:[a-z][a-z0-9+.-]*:|\/)/i.test(s) ? s : root + s;
      if (mapDir !== undefined && !/^[a-z][a-z0-9+.-]*:|[%\\?#]/i.test(rooted)) {
        // A plain path: what URL resolution gives, resolved once per folder (a bundle's 676
        // sources are in ~150: 3 ms at a cold start, where a URL each took 8).
        const slash = rooted.lastIndexOf('/');
        const folder = slash < 0 ? '' : rooted.slice(0, slash);
        let dir = folders.get(folder);
        if (dir === undefined) folders.set(folder, (dir = resolve(mapDir, folder)));
        out.push(join(dir, rooted.slice(slash + 1)));
        continue;
      }
      const resolved = new URL(rooted, base);
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
 * `sources` and `sourceRoot` of a map; undefined for an index map (`sections`: one map per
 * part, not supported) or anything that is not a map's JSON.
 */
function topLevelSources(text: Buffer): Found | undefined {
  if (valueAt(text, 'sections') !== undefined) return undefined;
  const sources = valueAt(text, 'sources');
  if (!Array.isArray(sources)) return undefined;
  const root = valueAt(text, 'sourceRoot');
  return { sources, sourceRoot: typeof root === 'string' ? root : undefined };
}

/** The value of the first `"key":` in the JSON text, when it is an array or a string. */
function valueAt(text: Buffer, key: string): unknown {
  const needle = `"${key}"`;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    let before = at - 1;
    while (isSpace(text[before])) before--;
    if (text[before] !== OPEN_OBJECT && text[before] !== COMMA) continue;
    let start = at + needle.length;
    while (isSpace(text[start])) start++;
    if (text[start] !== COLON) continue;
    start++;
    while (isSpace(text[start])) start++;
    const close = text[start] === OPEN_ARRAY ? CLOSE_ARRAY : text[start] === QUOTE ? QUOTE : undefined;
    if (close === undefined) return undefined;
    // The value ends at one of the closing characters after it; the first that parses.
    for (let end = text.indexOf(close, start + 1); end >= 0; end = text.indexOf(close, end + 1)) {
      try {
        return JSON.parse(text.toString('utf8', start, end + 1)) as unknown;
      } catch {
        // a `]` or `"` inside the value
      }
    }
    return undefined;
  }
  return undefined;
}

const isSpace = (c: number | undefined): boolean => c === 32 || c === 10 || c === 13 || c === 9;
const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
