// Random span and trace ids, for the auto-trace runtime's frames and spans (a frame hands out
// its id before its span exists: a library span started inside a traced call needs its
// parent's id) and for the tracer provider when auto-trace is on. Built from a pool of random
// bytes with a lookup table, through built-ins captured at load (src/primordials.ts): no
// RegExp, Buffer or Array method an app could have replaced or counts.
import type { IdGenerator } from '@opentelemetry/sdk-trace';
import { randomFill } from '../../primordials.ts';

const POOL = 4096;
const pool = new Uint8Array(POOL);
let at = POOL;
const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX[i] = (i < 16 ? '0' : '') + i.toString(16);

function hex(bytes: number): string {
  if (at + bytes > POOL) {
    randomFill(pool);
    at = 0;
  }
  let s = '';
  let any = 0;
  for (let i = at; i < at + bytes; i++) {
    const b = pool[i]!;
    any |= b;
    s += HEX[b]!;
  }
  at += bytes;
  // An all-zero id is invalid in OTel; with 8 random bytes this is a 2^-64 event.
  return any === 0 ? hex(bytes) : s;
}

export const randomSpanId = (): string => hex(8);
export const randomTraceId = (): string => hex(16);

export class BudIdGenerator implements IdGenerator {
  generateSpanId(): string {
    return randomSpanId();
  }

  generateTraceId(): string {
    return randomTraceId();
  }
}
