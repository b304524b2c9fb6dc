// Edits onto the original text: insertions and removed ranges, and the source map of the
// result. The rewrite emits its wrappers this way rather than regenerating the program from
// the AST with @babel/generator (benchmarks/autotrace-transform.mjs measures both): the
// printer costs 1-3x the parse again, and it reformats everything. Splicing keeps every byte
// of the user's code in place, and since no inserted text contains a line break, every line
// keeps its number: even a stack trace read without the source map has the right lines.
//
// The map has a segment at the start of every token-like run of the original (identifier,
// number, each punctuation character). Node's stack-trace mapping takes the nearest segment
// at or before a position and does not add the remaining distance, so a map with one segment
// per line would get every column wrong: positions that V8 reports (a call, `new`, `throw`,
// a property access) all start such a run.

import { vlq } from './source-map.ts';

export type Trace = (line: number, column: number) => number[] | undefined;

/** Inserted text, and the original offset it is attributed to in the source map (-1: none). */
export interface Item {
  text: string;
  origin: number;
  rank: number;
}

/**
 * Ranks of insertions at one offset, from the AST depth of the node they belong to: what
 * closes comes before what opens, an inner node's closing before its parent's, and a
 * parent's opening before its child's. So nested wrappers nest whatever order they are
 * placed in.
 */
export const opening = (depth: number): number => depth;
export const closing = (depth: number): number => -1e6 - depth;

export interface SpliceResult {
  code: string;
  /** VLQ-encoded mappings: onto source 0 (the original text), or where `trace` led. */
  mappings: string;
}

export class Splice {
  readonly #source: string;
  readonly #at = new Map<number, Item[]>();
  readonly #skip = new Map<number, number>();

  constructor(source: string) {
    this.#source = source;
  }

  /**
   * Inserts `text` before the original character at `offset`; several at one offset go in
   * by `rank` (opening() or closing()), in the order they were placed where ranks are equal.
   */
  insert(offset: number, text: string, origin: number, rank: number): void {
    this.#items(offset).push({ text, origin, rank });
  }

  /** Drops the original range [start, end). */
  remove(start: number, end: number): void {
    this.#skip.set(start, end);
  }

  #items(offset: number): Item[] {
    let list = this.#at.get(offset);
    if (list === undefined) this.#at.set(offset, (list = []));
    return list;
  }

  /** The insertions by offset, each list in the order they go in, and the removed ranges. */
  edits(): { insertions: ReadonlyMap<number, readonly Item[]>; removals: ReadonlyMap<number, number> } {
    for (const items of this.#at.values()) if (items.length > 1) items.sort((a, b) => a.rank - b.rank);
    return { insertions: this.#at, removals: this.#skip };
  }

  /** The edited text without a map (line-map.ts makes a bundle's from the bundler's). */
  text(append: string): string {
    const src = this.#source;
    const { insertions, removals } = this.edits();
    const parts: string[] = [];
    let pos = 0;
    for (const e of [...new Set([...insertions.keys(), ...removals.keys()])].sort((a, b) => a - b)) {
      if (e < pos) continue; // inside a removed range
      parts.push(src.slice(pos, e));
      pos = e;
      for (const item of insertions.get(e) ?? []) parts.push(item.text);
      pos = removals.get(e) ?? pos;
    }
    parts.push(src.slice(pos), append);
    return parts.join('');
  }

  /**
   * The edited text and its mappings; `append` is added at the end, unmapped. With `trace`,
   * each mapping onto the original text is traced further (through a compiler's map):
   * it returns [generated column (unused), source, line, column, name?] or undefined.
   */
  build(append: string, trace?: Trace): SpliceResult {
    const src = this.#source;
    const events = [...new Set([...this.#at.keys(), ...this.#skip.keys()])].sort((a, b) => a - b);
    const out = new Emitter(src, trace);
    let pos = 0;
    for (const e of events) {
      if (e < pos) continue; // inside a removed range
      out.original(pos, e);
      pos = e;
      const items = this.#at.get(e);
      if (items !== undefined)
        for (const item of items.length > 1 ? items.sort((a, b) => a.rank - b.rank) : items)
          out.text(item.text, item.origin);
      pos = this.#skip.get(e) ?? pos;
    }
    out.original(pos, src.length);
    out.text(append, -1);
    return out.result();
  }
}

// Character classes (plain constants: Node's type stripping, which runs this file in the
// tests, accepts no enums).
const SPACE = 0;
const WORD = 1;
const PUNCT = 2;
const NEWLINE = 3;

function classOf(c: number): number {
  if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) return NEWLINE;
  if (c === 32 || c === 9 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff) return SPACE;
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 36 || c === 95 || c > 127)
    return WORD;
  return PUNCT;
}

// Punctuation that no stack position points at (a call is reported at its callee or
// property, an error at its operator or `new`): no segment of its own, the map is smaller.
function quietPunct(c: number): boolean {
  return c === 44 || c === 59 || c === 41 || c === 125 || c === 93 || c === 58; // , ; ) } ] :
}

/** Builds the output text and its VLQ-encoded mappings (one source) piece by piece. */
class Emitter {
  readonly #src: string;
  readonly #lineStarts: number[];
  readonly #trace: Trace | undefined;
  readonly #parts: string[] = [];
  #mappings = '';
  #col = 0;
  #lineHasSegment = false;
  #prevCol = 0;
  #prevSource = 0;
  #prevLine = 0;
  #prevColumn = 0;
  #prevName = 0;

  constructor(src: string, trace: Trace | undefined) {
    this.#src = src;
    this.#trace = trace;
    const starts = [0];
    for (let i = 0; i < src.length; i++) {
      const c = src.charCodeAt(i);
      if (c === 10 || c === 0x2028 || c === 0x2029 || (c === 13 && src.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
    }
    this.#lineStarts = starts;
  }

  #segment(line: number, col: number): void {
    let source = 0;
    let name = -1;
    if (this.#trace !== undefined) {
      const s = this.#trace(line, col);
      if (s === undefined) return; // the compiler's own code: no original position
      source = s[1] as number;
      line = s[2] as number;
      col = s[3] as number;
      name = s.length >= 5 ? (s[4] as number) : -1;
      // Several tokens of the compiled code often trace to one original position.
      if (this.#lineHasSegment && source === this.#prevSource && line === this.#prevLine && col === this.#prevColumn)
        return;
    }
    // [generated column, source, original line, original column, name?], as deltas
    let text = `${this.#lineHasSegment ? ',' : ''}${vlq(this.#col - this.#prevCol)}${vlq(source - this.#prevSource)}${vlq(line - this.#prevLine)}${vlq(col - this.#prevColumn)}`;
    if (name >= 0) {
      text += vlq(name - this.#prevName);
      this.#prevName = name;
    }
    this.#mappings += text;
    this.#lineHasSegment = true;
    this.#prevCol = this.#col;
    this.#prevSource = source;
    this.#prevLine = line;
    this.#prevColumn = col;
  }

  #newline(): void {
    this.#mappings += ';';
    this.#lineHasSegment = false;
    this.#col = 0;
    this.#prevCol = 0;
  }

  #lineOf(offset: number): number {
    const starts = this.#lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  text(text: string, origin: number): void {
    if (text.length === 0) return;
    this.#parts.push(text);
    if (origin >= 0) {
      const line = this.#lineOf(origin);
      this.#segment(line, origin - (this.#lineStarts[line] as number));
    }
    // Inserted wrappers hold no line break; the appended footer does.
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.#newline();
      else this.#col++;
    }
  }

  original(start: number, end: number): void {
    if (start >= end) return;
    const src = this.#src;
    this.#parts.push(src.slice(start, end));
    let line = this.#lineOf(start);
    let lineStart = this.#lineStarts[line] as number;
    let prev = SPACE;
    for (let i = start; i < end; i++) {
      const c = src.charCodeAt(i);
      const cls = classOf(c);
      if (cls === NEWLINE) {
        // \r\n is one line break: the \n ends it.
        if (c === 13 && src.charCodeAt(i + 1) === 10) {
          this.#col++;
        } else {
          this.#newline();
          line++;
          lineStart = i + 1;
        }
      } else {
        // A segment where a token starts: a word, a run of operator characters, and each
        // `.`, `(` and `[` (member accesses and calls in a chain).
        if (
          cls === WORD
            ? prev !== WORD
            : cls === PUNCT && !quietPunct(c) && (prev !== PUNCT || c === 46 || c === 40 || c === 91)
        ) {
          this.#segment(line, i - lineStart);
        }
        this.#col++;
      }
      prev = cls;
    }
  }

  result(): SpliceResult {
    return { code: this.#parts.join(''), mappings: this.#mappings };
  }
}
