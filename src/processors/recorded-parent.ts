// The span a new span really hangs under, as span processors need it in onStart. The span
// active in the parent context may be a stand-in that records nothing: an auto-traced call
// not decided yet (src/autotrace/runtime/frame.ts), which becomes a span only when it ends, if at all,
// and has no attributes and no start seen by any processor. A stand-in names the context it
// descends from under kDescendsFrom; following those leads to the nearest span that exists
// (the request's server span, say), a remote parent, or nothing.
// Reads contexts through captured built-ins (src/context-span.ts): it runs inside traced
// calls. Owns that walk; must not change spans or contexts, nor ask a stand-in for its ids (that
// would make its call wait for a decision).
import type { Context, Span } from '@opentelemetry/api';
import { kDescendsFrom } from '../symbols.ts';
import { contextSpan } from '../context-span.ts';

interface MaybeStandIn extends Span {
  [kDescendsFrom]?: () => Context;
}

/**
 * Stand-ins chain as deep as auto-traced calls nest (and a timer set inside a call makes the
 * next call descend from it). No chain is cyclic, but a bound keeps a broken or endless one
 * from costing the app's call more than ~70 µs (7 ns a step): past it the span is treated as
 * having no parent.
 */
const MAX_STEPS = 10_000;

export function recordedParent(ctx: Context): Span | undefined {
  let span = contextSpan(ctx) as MaybeStandIn | undefined;
  for (let steps = 0; span?.[kDescendsFrom] !== undefined; steps++) {
    if (steps === MAX_STEPS) return undefined;
    span = contextSpan(span[kDescendsFrom]());
  }
  return span;
}
