// The source map of a rewritten bundle, made from the bundler's own map rather than token by
// token (splice.ts's Emitter): the rewrite inserts text on a few lines and never moves a line,
// so every other line keeps the bundler's segments exactly, copied as encoded text, and a
// changed line keeps them shifted right by what went in before them. That costs what the
// changed lines hold, where the Emitter scanned every character of a 3.7 MB bundle (83 of
// its ~240 ms to rewrite, and most of its garbage). Owns this map; must not decide what is
// inserted (wrap.ts) nor where (rewrite.ts).
//
// An inserted piece maps to the function it belongs to (as the Emitter maps it), and the
// original text after it to what it mapped to before (the bundler's segment at or before it).
import type { Item } from './splice.ts';
import { traceSegment, vlq, type InputMap } from './source-map.ts';
import type { MappingLines } from './mapping-lines.ts';

export interface LineEdits {
  insertions: ReadonlyMap<number, readonly Item[]>;
  removals: ReadonlyMap<number, number>;
}

/**
 * VLQ mappings of the edited text, or undefined when the edits are not what the rewrite
 * makes (a removed range other than one that runs to the end: the map comment).
 * `starts`: where the original text's lines start (bundle.ts lineStarts).
 */
export function mapOntoLines(
  input: InputMap,
  edits: LineEdits,
  starts: readonly number[],
  length: number,
): string | undefined {
  let cut = Infinity;
  for (const [from, to] of edits.removals) {
    if (to !== length) return undefined;
    cut = Math.min(cut, from);
  }
  const byLine = new Map<number, Array<[column: number, items: readonly Item[]]>>();
  for (const [offset, items] of edits.insertions) {
    if (offset >= cut) continue;
    const line = lineOf(starts, offset);
    let list = byLine.get(line);
    if (list === undefined) byLine.set(line, (list = []));
    list.push([offset - (starts[line] as number), items]);
  }
  const cutLine = cut === Infinity ? Infinity : lineOf(starts, cut);
  const cutColumn = cut === Infinity ? Infinity : cut - (starts[cutLine] as number);
  const lines = input.lines;
  const out = new Encoder(lines);
  const last = Math.max(lines.length - 1, ...byLine.keys());
  for (let i = 0; i <= Math.min(last, cutLine); i++) {
    const inserted = byLine.get(i);
    if (inserted === undefined && i !== cutLine) {
      out.copyLine(i);
      continue;
    }
    const all = lines.get(i);
    const segments = i === cutLine ? all.filter((s) => (s[0] as number) < cutColumn) : all;
    out.line(edited(input, segments, inserted ?? [], starts, i));
  }
  return out.result();
}

/** A changed line's segments: the bundler's, shifted, with the inserted pieces' between them. */
function edited(
  input: InputMap,
  segments: readonly number[][],
  inserted: Array<[column: number, items: readonly Item[]]>,
  starts: readonly number[],
  line: number,
): number[][] {
  inserted.sort((a, b) => a[0] - b[0]);
  const out: number[][] = [];
  let shift = 0;
  let next = 0;
  for (const [column, items] of inserted) {
    while (next < segments.length && ((segments[next] as number[])[0] as number) < column) {
      const s = segments[next++] as number[];
      out.push([(s[0] as number) + shift, ...s.slice(1)]);
    }
    for (const item of items) {
      if (item.origin >= 0) {
        const at = lineOf(starts, item.origin);
        const traced = traceSegment(input, at, item.origin - (starts[at] as number));
        if (traced !== undefined) out.push([column + shift, ...traced.slice(1)]);
      }
      shift += item.text.length;
    }
    // What follows maps as it did; [column] alone ends the piece's mapping where nothing did.
    if ((segments[next] as number[] | undefined)?.[0] !== column) {
      const before = traceSegment(input, line, column);
      out.push(before === undefined ? [column + shift] : [column + shift, ...before.slice(1)]);
    }
  }
  for (; next < segments.length; next++) {
    const s = segments[next] as number[];
    out.push([(s[0] as number) + shift, ...s.slice(1)]);
  }
  return out;
}

function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Writes mappings line by line. Source, original line, column and name are deltas across
 * lines, so a line can be copied as the bundler encoded it only when what came before ends
 * where the bundler's did; otherwise (after a changed line) it is encoded again.
 */
class Encoder {
  readonly #lines: MappingLines;
  readonly #parts: string[] = [];
  /** [source, line, column, name] after the last segment written. */
  readonly #state = [0, 0, 0, 0];

  constructor(lines: MappingLines) {
    this.#lines = lines;
  }

  /** Line `i` as the bundler encoded it, when the state before it is the bundler's too. */
  copyLine(i: number): void {
    const lines = this.#lines;
    if (!lines.stateIs(i, this.#state)) return this.line(lines.get(i));
    this.#parts.push(lines.raw(i));
    lines.stateBefore(i + 1, this.#state);
  }

  /** The next line, encoded anew. */
  line(segments: readonly number[][]): void {
    const state = this.#state;
    let text = '';
    let col = 0;
    for (const s of segments) {
      text += `${text === '' ? '' : ','}${vlq((s[0] as number) - col)}`;
      col = s[0] as number;
      for (let f = 1; f < Math.min(s.length, 5); f++) {
        text += vlq((s[f] as number) - (state[f - 1] as number));
        state[f - 1] = s[f] as number;
      }
    }
    this.#parts.push(text);
  }

  result(): string {
    return this.#parts.join(';');
  }
}
