// Carries the request's bud.request.id and enduser.id from a span to every span started
// under it, so each span of a request can be found by the id alone. Reads the attributes of
// the span the new one really hangs under, at start: past auto-traced calls not decided yet
// (they record nothing), so auto-traced spans and the library spans inside them carry the
// ids too, whether their call is kept or dropped and re-parented later. No per-span state,
// no allocation when the parent has neither.
// Owns those two attributes below the request; must not touch the request's own span.
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { recordedParent } from './recorded-parent.ts';
import { ATTR_REQUEST_ID, ATTR_ENDUSER_ID } from '../attributes.ts';

export class BudAttributesProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    const attrs = (recordedParent(parentContext) as Partial<ReadableSpan> | undefined)?.attributes;
    if (attrs === undefined) return;
    // Two keys, written out: no array iteration on the per-span path.
    const id = attrs[ATTR_REQUEST_ID];
    if (id !== undefined && span.attributes[ATTR_REQUEST_ID] === undefined) span.setAttribute(ATTR_REQUEST_ID, id);
    const user = attrs[ATTR_ENDUSER_ID];
    if (user !== undefined && span.attributes[ATTR_ENDUSER_ID] === undefined) span.setAttribute(ATTR_ENDUSER_ID, user);
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
