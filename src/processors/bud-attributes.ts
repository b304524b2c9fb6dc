// Carries the request's bud.request.id and enduser.id from a span to every span started
// under it, so each span of a request can be found by the id alone. Reads the parent's
// attributes at start: no per-span state, no allocation when the parent has neither.
import { trace } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

const CARRIED = ['bud.request.id', 'enduser.id'] as const;

export class BudAttributesProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    const parent = trace.getSpan(parentContext) as Partial<ReadableSpan> | undefined;
    const attrs = parent?.attributes;
    if (attrs === undefined) return;
    for (const key of CARRIED) {
      const v = attrs[key];
      if (v !== undefined && span.attributes[key] === undefined) span.setAttribute(key, v);
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
