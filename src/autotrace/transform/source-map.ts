// Source maps of rewritten modules: VLQ, finding the map a compiler (tsc, tsx, swc,
// esbuild) left in the source, and chaining onto it so that stack traces and span positions
// name the original TypeScript file. Chaining is done segment by segment as our map is
// written (splice.ts asks traceSegment for each), rather than by remapping the finished map
// with @jridgewell/remapping: that decoded, traced and re-encoded both maps again, and made a
// compiled file's rewrite 2-3x slower (benchmarks/autotrace-transform.mjs).
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MappingLines } from './mapping-lines.ts';
import { webpackSourcePath } from './webpack-source.ts';

export interface RawSourceMap {
  version: 3;
  file?: string;
  sources: (string | null)[];
  sourcesContent?: (string | null)[];
  names: string[];
  mappings: string;
  sourceRoot?: string;
  ignoreList?: number[];
}

/** A compiler's map of the source, its sources resolved to absolute URLs where possible. */
export interface InputMap {
  map: RawSourceMap;
  /** The mappings, decoded a line at a time as positions are looked up. */
  lines: MappingLines;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** One VLQ-encoded source-map field. */
export function vlq(value: number): string {
  if (value <= -VLQ_CACHED || value >= VLQ_CACHED) return encodeVlq(value);
  return (VLQ_TABLE ??= vlqTable())[value + VLQ_CACHED]!;
}

function encodeVlq(value: number): string {
  let v = value < 0 ? (-value << 1) | 1 : value << 1;
  let out = '';
  do {
    let digit = v & 31;
    v >>>= 5;
    if (v > 0) digit |= 32;
    out += B64[digit];
  } while (v > 0);
  return out;
}

// Most deltas of a map are small (columns within a line, the next line): encoded once, when
// the first map is written (this module is in the start bundle; most processes write none).
const VLQ_CACHED = 1024;
let VLQ_TABLE: string[] | undefined;
function vlqTable(): string[] {
  const table: string[] = [];
  for (let v = -VLQ_CACHED; v < VLQ_CACHED; v++) table.push(encodeVlq(v));
  return table;
}

export function decodeMappings(mappings: string): number[][][] {
  const lines: number[][][] = [];
  const state = [0, 0, 0, 0, 0];
  let segments: number[][] = [];
  let segment: number[] = [];
  let value = 0;
  let shift = 0;
  const endSegment = (): void => {
    if (segment.length > 0) segments.push(segment);
    segment = [];
  };
  for (let i = 0; i <= mappings.length; i++) {
    const c = i < mappings.length ? mappings.charCodeAt(i) : 59;
    if (c === 44 || c === 59) {
      // ',' ';'
      endSegment();
      if (c === 59) {
        lines.push(segments);
        segments = [];
        state[0] = 0;
      }
      continue;
    }
    const digit = B64_INDEX[c] ?? -1;
    if (digit < 0) throw new Error('invalid source map mappings');
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    const field = segment.length;
    const delta = value & 1 ? -(value >>> 1) : value >>> 1;
    state[field] = (state[field] as number) + delta;
    segment.push(state[field]);
    value = 0;
    shift = 0;
  }
  return lines;
}

/**
 * The segment of the input map for a position of the compiled file (0-based line and
 * column): the last one at or before it on its line, as Node and remapping look them up.
 * Undefined where nothing maps there (the compiler's own code).
 */
export function traceSegment(input: InputMap, line: number, column: number): number[] | undefined {
  const segments = input.lines.get(line);
  if (segments === undefined || segments.length === 0) return undefined;
  let lo = 0;
  let hi = segments.length - 1;
  if (((segments[0] as number[])[0] as number) > column) return undefined;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (((segments[mid] as number[])[0] as number) <= column) lo = mid;
    else hi = mid - 1;
  }
  const found = segments[lo] as number[];
  return found.length >= 4 ? found : undefined;
}

/** The original source, line and column (0-based) of a position of the compiled file. */
export function tracePosition(
  input: InputMap,
  line: number,
  column: number,
): { source: string; line: number; column: number } | undefined {
  const found = traceSegment(input, line, column);
  const source = found === undefined ? undefined : input.map.sources[found[1] as number];
  if (found === undefined || typeof source !== 'string') return undefined;
  return { source, line: found[2] as number, column: found[3] as number };
}

/**
 * The source's own sourceMappingURL comment, if it ends the file (tools append theirs at
 * the very end): where it is and what it says.
 */
export function findMapComment(source: string): { url: string; start: number; end: number } | undefined {
  const at = source.lastIndexOf('sourceMappingURL=');
  if (at < 4) return undefined;
  const lead = source.slice(at - 4, at);
  if (!/^(?:\/\/|\/\*)[#@][ \t]$/.test(lead)) return undefined;
  const block = lead[1] === '*';
  let end = at + 17;
  while (end < source.length && !/[\s'"]/.test(source[end] as string) && !(block && source.startsWith('*/', end)))
    end++;
  const url = source.slice(at + 17, end);
  let rest = source.slice(end);
  if (block) {
    const close = /^[ \t]*\*\//.exec(rest);
    if (close === null) return undefined;
    rest = rest.slice(close[0].length);
  }
  if (url === '' || !/^\s*$/.test(rest)) return undefined;
  return { url, start: at - 4, end: source.length };
}

function decodeDataUrl(url: string): string | undefined {
  const m = /^data:application\/json(?:;charset=[-\w]+)?(;base64)?,(.*)$/i.exec(url);
  if (m === null || m[2] === undefined) return undefined;
  return m[1] !== undefined ? Buffer.from(m[2], 'base64').toString('utf8') : decodeURIComponent(m[2]);
}

/** A URL for `filename`, against which relative source-map URLs resolve. */
export function fileUrlOf(filename: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(filename)) return filename;
  return isAbsolute(filename) ? pathToFileURL(filename).href : filename;
}

/**
 * The compiler's map for `source`: the one passed in, else the one its sourceMappingURL
 * comment names (inline data: URL, or a file beside the module when `filename` is an
 * absolute path). Unusable maps are ignored: a rewrite with a map to the compiled file is
 * better than none.
 */
export function loadInputMap(
  source: string,
  filename: string,
  given: object | string | undefined,
): InputMap | undefined {
  let text: string | object | undefined = given;
  let base = fileUrlOf(filename);
  if (text === undefined) {
    const comment = findMapComment(source);
    if (comment === undefined) return undefined;
    if (comment.url.startsWith('data:')) {
      text = decodeDataUrl(comment.url);
    } else if (isAbsolute(filename)) {
      try {
        const mapPath = resolvePath(dirname(filename), decodeURIComponent(comment.url));
        text = readFileSync(mapPath, 'utf8');
        base = pathToFileURL(mapPath).href;
      } catch {
        return undefined;
      }
    }
  }
  try {
    const raw = (typeof text === 'string' ? JSON.parse(text) : text) as RawSourceMap | undefined;
    if (
      raw === undefined ||
      raw === null ||
      raw.version !== 3 ||
      typeof raw.mappings !== 'string' ||
      !Array.isArray(raw.sources)
    )
      return undefined;
    const root = typeof raw.sourceRoot === 'string' && raw.sourceRoot !== '' ? raw.sourceRoot.replace(/\/?$/, '/') : '';
    // sourceRoot prefixes relative sources only (as the source-map package reads it): an
    // absolute path or URL stands for itself.
    const rooted = (s: string): string => (/^(?:[a-z][a-z0-9+.-]*:|\/)/i.test(s) ? s : root + s);
    const sources = raw.sources.map((s) => (typeof s === 'string' ? resolveUrl(rooted(s), base) : null));
    const map: RawSourceMap = {
      version: 3,
      sources,
      names: Array.isArray(raw.names) ? raw.names : [],
      mappings: raw.mappings,
    };
    if (Array.isArray(raw.sourcesContent)) map.sourcesContent = raw.sourcesContent;
    if (Array.isArray(raw.ignoreList)) map.ignoreList = raw.ignoreList;
    return { map, lines: new MappingLines(raw.mappings) };
  } catch {
    return undefined;
  }
}

function resolveUrl(url: string, base: string): string {
  try {
    return new URL(url, base).href;
  } catch {
    return url;
  }
}

/**
 * How a span names an original source of the input map: its path relative to the project
 * `root` when under it, else its absolute path (file: URLs) or the source as written; a
 * webpack:// source by the path it names (webpack-source.ts).
 */
export function sourcePath(sourceUrl: string, root: string | undefined): string {
  if (!sourceUrl.startsWith('file:')) return webpackSourcePath(sourceUrl) ?? sourceUrl;
  const path = fileURLToPath(sourceUrl).replace(/\\/g, '/');
  if (root === undefined) return path;
  const prefix = root.replace(/\\/g, '/').replace(/\/?$/, '/');
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

/**
 * The final map of the rewritten code: `mappings` (written by splice.ts, already traced
 * through the input map if there is one) onto `filename`, or onto the input map's sources.
 * `keepContent`: the only sources whose sourcesContent is kept (a bundle's selected ones).
 */
export function finishMap(
  mappings: string,
  filename: string,
  input: InputMap | undefined,
  keepContent?: ReadonlySet<number>,
): RawSourceMap {
  const url = fileUrlOf(filename);
  const file = url.replace(/^.*\//, '');
  // No sourcesContent: the original is the file on disk, where Node reads the lines it
  // quotes, and the map stays inline in the module's source for the life of the process
  // (with it, the map would be 2-3x the module instead of about 1x).
  if (input === undefined) return { version: 3, file, sources: [url], names: [], mappings };
  const map: RawSourceMap = { version: 3, file, sources: input.map.sources, names: input.map.names, mappings };
  const content = input.map.sourcesContent;
  // A bundle keeps the content of the sources it rewrote only: its libraries' would make the
  // map most of the module again (7 of 7.9 MB for a 3.7 MB esbuild bundle), read, hashed and
  // parsed at every start; their files are where Node looks when the content is not there.
  if (content !== undefined && keepContent === undefined) map.sourcesContent = content;
  else if (content !== undefined && keepContent !== undefined && content.some((_, i) => keepContent.has(i)))
    map.sourcesContent = content.map((c, i) => (keepContent.has(i) ? c : null));
  if (input.map.ignoreList !== undefined) map.ignoreList = input.map.ignoreList;
  return map;
}

/** The comment that makes Node (and debuggers) use `map` for the module it ends. */
export function inlineMapComment(map: object): string {
  return `//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`;
}
