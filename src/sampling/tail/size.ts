// An estimate of the memory a finished span holds, for tail sampling's byte budget: a fixed
// part for the span object and what it references, plus its attributes, events and links.
// An estimate, cheap enough to run on every held span: strings count one byte a character.
// Owns the estimate; must not change the span.
import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

// The span object itself with its context, times, status and resource reference. Measured
// heap per held span: ~960 bytes with two attributes of its own (fixtures/tail-sampling/
// flood.mjs), ~970 with ten whose values are shared strings (benchmarks/processors.mjs);
// the estimate errs high, so the byte budget bounds the heap rather than the other way.
export const SPAN_BYTES = 900;
const ENTRY_BYTES = 32;
const EVENT_BYTES = 120;
const LINK_BYTES = 100;

function valueBytes(v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (Array.isArray(v)) {
    let n = 16;
    for (let i = 0; i < v.length; i++) n += 8 + valueBytes(v[i]);
    return n;
  }
  return 8;
}

function attributesBytes(attrs: Attributes): number {
  let n = 0;
  for (const k in attrs) n += ENTRY_BYTES + k.length + valueBytes(attrs[k]);
  return n;
}

export function estimateBytes(span: ReadableSpan): number {
  let n = SPAN_BYTES + span.name.length + attributesBytes(span.attributes);
  const events = span.events;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    n += EVENT_BYTES + e.name.length + (e.attributes === undefined ? 0 : attributesBytes(e.attributes));
  }
  return n + span.links.length * LINK_BYTES;
}
