// Random span and trace ids for every span the agent makes (its tracer, and the auto-trace
// runtime's frames and spans: a frame hands out its id before its span exists, because a
// library span started inside a traced call needs its parent's id). Taken from a pool of
// crypto-random bytes refilled 16 KiB at a time (each fill pays a call and its argument
// checks), and spelled with one String.fromCharCode of the hex digits' codes: no Buffer,
// RegExp or Array method an app could have replaced or counts (built-ins captured at load,
// src/primordials.ts), and no string concatenation, whose rope V8 would flatten again when the
// exporter reads the id.
// Owns id generation; must not know about spans.
import type { IdGenerator } from '@opentelemetry/sdk-trace';
import { randomFill, StringFromCharCode } from '../primordials.ts';

const POOL = 16384;
const pool = new Uint8Array(POOL);
let at = POOL;
// Char codes of each byte's two hex digits.
const HIGH = new Uint8Array(256);
const LOW = new Uint8Array(256);
const DIGITS = '0123456789abcdef';
for (let i = 0; i < 256; i++) {
  HIGH[i] = DIGITS.charCodeAt(i >> 4);
  LOW[i] = DIGITS.charCodeAt(i & 15);
}

/** The offset of `bytes` fresh bytes in the pool, none of them all zero (an invalid id). */
function take(bytes: number): number {
  for (;;) {
    if (at + bytes > POOL) {
      randomFill(pool);
      at = 0;
    }
    const a = at;
    at += bytes;
    let any = 0;
    for (let i = a; i < a + bytes; i++) any |= pool[i]!;
    // All zero is a 2^-64 event at most (8 bytes).
    if (any !== 0) return a;
  }
}

function hex8(a: number): string {
  const p = pool;
  const b0 = p[a]!;
  const b1 = p[a + 1]!;
  const b2 = p[a + 2]!;
  const b3 = p[a + 3]!;
  const b4 = p[a + 4]!;
  const b5 = p[a + 5]!;
  const b6 = p[a + 6]!;
  const b7 = p[a + 7]!;
  return StringFromCharCode(
    HIGH[b0]!,
    LOW[b0]!,
    HIGH[b1]!,
    LOW[b1]!,
    HIGH[b2]!,
    LOW[b2]!,
    HIGH[b3]!,
    LOW[b3]!,
    HIGH[b4]!,
    LOW[b4]!,
    HIGH[b5]!,
    LOW[b5]!,
    HIGH[b6]!,
    LOW[b6]!,
    HIGH[b7]!,
    LOW[b7]!,
  );
}

export const randomSpanId = (): string => hex8(take(8));

// Not hex8() + hex8(): a 32-character concatenation is a rope, flattened again on first read.
function hex16(a: number): string {
  const p = pool;
  const b0 = p[a]!;
  const b1 = p[a + 1]!;
  const b2 = p[a + 2]!;
  const b3 = p[a + 3]!;
  const b4 = p[a + 4]!;
  const b5 = p[a + 5]!;
  const b6 = p[a + 6]!;
  const b7 = p[a + 7]!;
  const c0 = p[a + 8]!;
  const c1 = p[a + 9]!;
  const c2 = p[a + 10]!;
  const c3 = p[a + 11]!;
  const c4 = p[a + 12]!;
  const c5 = p[a + 13]!;
  const c6 = p[a + 14]!;
  const c7 = p[a + 15]!;
  return StringFromCharCode(
    HIGH[b0]!,
    LOW[b0]!,
    HIGH[b1]!,
    LOW[b1]!,
    HIGH[b2]!,
    LOW[b2]!,
    HIGH[b3]!,
    LOW[b3]!,
    HIGH[b4]!,
    LOW[b4]!,
    HIGH[b5]!,
    LOW[b5]!,
    HIGH[b6]!,
    LOW[b6]!,
    HIGH[b7]!,
    LOW[b7]!,
    HIGH[c0]!,
    LOW[c0]!,
    HIGH[c1]!,
    LOW[c1]!,
    HIGH[c2]!,
    LOW[c2]!,
    HIGH[c3]!,
    LOW[c3]!,
    HIGH[c4]!,
    LOW[c4]!,
    HIGH[c5]!,
    LOW[c5]!,
    HIGH[c6]!,
    LOW[c6]!,
    HIGH[c7]!,
    LOW[c7]!,
  );
}

export const randomTraceId = (): string => hex16(take(16));

export class BudIdGenerator implements IdGenerator {
  generateSpanId(): string {
    return randomSpanId();
  }

  generateTraceId(): string {
    return randomTraceId();
  }
}
