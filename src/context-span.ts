// The span a context holds, as trace.getSpan() would answer, read without the API: its
// getValue is a Map.prototype.get, which an app may have replaced (call counters, sinon), and
// span processors ask it for every span they see start inside a traced call. The API's own
// contexts keep their values in a Map, read here through the method captured at load; any
// other context is asked as usual.
// Shared by the auto-trace runtime (src/autotrace/runtime/frame.ts, span.ts) and the span
// processors (src/processors/recorded-parent.ts), so it sits at src/, beside primordials.ts.
// Owns that read only; must not create or change contexts.
import type { Context, Span } from '@opentelemetry/api';
import { isMap, MapPrototypeGet } from './primordials.ts';

// The API's span key, made with Symbol.for by createContextKey, so the same in every copy.
export const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

export function contextSpan(ctx: Context): Span | undefined {
  const values = (ctx as { _currentContext?: unknown })._currentContext;
  const span = isMap(values) ? MapPrototypeGet(values, SPAN_KEY) : ctx.getValue(SPAN_KEY);
  return (span as Span | undefined) || undefined;
}
