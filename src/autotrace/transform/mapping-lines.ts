// A source map's mappings, decoded line by line when a line is asked for. A 3.7 MB esbuild
// bundle's map holds about a million segments: decoding them all into arrays, when the
// rewrite of a bundle looks at a few hundred lines, cost more in garbage collection than the
// rest of the rewrite. One pass without allocating records where each line starts in the
// text, the running state (source, original line, column, name) before it, and which source
// its segments name; a line is decoded on first use and kept. Owns the decoding; must not
// know what the lines are used for (source-map.ts traces positions, bundle.ts and line-map.ts
// read the rest).

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;
const COMMA = 44;
const SEMICOLON = 59;

/** What `sourceOf` says of a line whose segments name several sources. */
export const SEVERAL = -2;

export class MappingLines {
  /** Number of lines the mappings describe. */
  readonly length: number;
  readonly #text: string;
  /** Offset in the text where each line starts; one more, past the end. */
  readonly #at: Int32Array;
  /** [source, original line, column, name] before each line, and after the last. */
  readonly #state: Int32Array;
  /** The source a line's segments name: -1 none, SEVERAL. */
  readonly #source: Int32Array;
  readonly #decoded: (number[][] | undefined)[] = [];

  /** Throws on a character that is not base64 VLQ. */
  constructor(text: string) {
    this.#text = text;
    let lines = 1;
    for (let i = text.indexOf(';'); i >= 0; i = text.indexOf(';', i + 1)) lines++;
    this.length = lines;
    this.#at = new Int32Array(lines + 1);
    this.#state = new Int32Array((lines + 1) * 4);
    this.#source = new Int32Array(lines).fill(-1);
    this.#scan();
  }

  #scan(): void {
    const text = this.#text;
    const state = [0, 0, 0, 0];
    let line = 0;
    let field = 0;
    let value = 0;
    let shift = 0;
    for (let i = 0; i <= text.length; i++) {
      const c = i < text.length ? text.charCodeAt(i) : SEMICOLON;
      if (c === COMMA || c === SEMICOLON) {
        if (field >= 2) this.#noteSource(line, state[0] as number);
        field = 0;
        if (c === SEMICOLON) {
          line++;
          this.#at[line] = i + 1;
          this.#state.set(state, line * 4);
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
      if (field >= 1 && field <= 4)
        state[field - 1] = (state[field - 1] as number) + (value & 1 ? -(value >>> 1) : value >>> 1);
      field++;
      value = 0;
      shift = 0;
    }
  }

  #noteSource(line: number, source: number): void {
    const seen = this.#source[line] as number;
    if (seen === -1) this.#source[line] = source;
    else if (seen !== source) this.#source[line] = SEVERAL;
  }

  /** The segments of a line: [generated column, source, line, column, name?], absolute. */
  get(line: number): number[][] {
    if (line < 0 || line >= this.length) return [];
    let segments = this.#decoded[line];
    if (segments === undefined) this.#decoded[line] = segments = this.#decode(line);
    return segments;
  }

  #decode(line: number): number[][] {
    const text = this.#text;
    const end = (this.#at[line + 1] as number) - 1;
    const state = [0, ...this.#state.subarray(line * 4, line * 4 + 4)];
    const segments: number[][] = [];
    let segment: number[] = [];
    let value = 0;
    let shift = 0;
    for (let i = this.#at[line] as number; i <= end; i++) {
      const c = i < end ? text.charCodeAt(i) : COMMA;
      if (c === COMMA) {
        if (segment.length > 0) segments.push(segment);
        segment = [];
        continue;
      }
      const digit = B64_INDEX[c] as number;
      value += (digit & 31) << shift;
      if (digit & 32) {
        shift += 5;
        continue;
      }
      const f = segment.length;
      if (f <= 4) {
        state[f] = (state[f] as number) + (value & 1 ? -(value >>> 1) : value >>> 1);
        segment.push(state[f] as number);
      }
      value = 0;
      shift = 0;
    }
    return segments;
  }

  /** The line as the map encodes it (between its semicolons). */
  raw(line: number): string {
    return line < 0 || line >= this.length ? '' : this.#text.slice(this.#at[line], (this.#at[line + 1] as number) - 1);
  }

  /** Whether `state` is [source, original line, column, name] as the map has it before a line (0 … length). */
  stateIs(line: number, state: readonly number[]): boolean {
    const at = Math.min(Math.max(line, 0), this.length) * 4;
    const own = this.#state;
    return own[at] === state[0] && own[at + 1] === state[1] && own[at + 2] === state[2] && own[at + 3] === state[3];
  }

  /** Sets `state` to the map's before a line (0 … length). */
  stateBefore(line: number, state: number[]): void {
    const at = Math.min(Math.max(line, 0), this.length) * 4;
    for (let k = 0; k < 4; k++) state[k] = this.#state[at + k] as number;
  }

  /** The source a line's segments name: -1 for none, SEVERAL for more than one. */
  sourceOf(line: number): number {
    return line < 0 || line >= this.length ? -1 : (this.#source[line] as number);
  }
}
