// Span and trace ids, with one twist: the auto-trace runtime can hand out a span's id before
// the span exists (a library span started inside a traced call needs its parent's id), and
// then asks for the real span to get that same id. Ids are random otherwise, like the SDK's.
import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace';

const POOL = 4096;
let pool = Buffer.allocUnsafe(0);
let at = POOL;

function hex(bytes: number): string {
  if (at + bytes > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL));
    at = 0;
  }
  const s = pool.toString('hex', at, at + bytes);
  at += bytes;
  // An all-zero id is invalid in OTel; with 8 random bytes this is a 2^-64 event.
  return /^0+$/.test(s) ? hex(bytes) : s;
}

export const randomSpanId = (): string => hex(8);
export const randomTraceId = (): string => hex(16);

export class BudIdGenerator implements IdGenerator {
  #spanId: string | undefined;
  #traceId: string | undefined;

  /** The next span created gets these ids (the trace id only matters for a root span). */
  preassign(spanId: string, traceId: string | undefined): void {
    this.#spanId = spanId;
    this.#traceId = traceId;
  }

  clear(): void {
    this.#spanId = undefined;
    this.#traceId = undefined;
  }

  generateSpanId(): string {
    const id = this.#spanId ?? randomSpanId();
    this.#spanId = undefined;
    return id;
  }

  generateTraceId(): string {
    const id = this.#traceId ?? randomTraceId();
    this.#traceId = undefined;
    return id;
  }
}
