// The span limits the agent's spans apply, with the defaults of @opentelemetry/sdk-trace 3.0's
// TracerProvider (which the agent's tracer replaces). That TracerProvider reads no OTEL_SPAN_*
// variables itself (only sdk-node does), so neither does the agent: the limits are passed in
// by whoever builds the provider (src/boot/sdk.ts), and reading any variable belongs there.
// Owns the shape and the defaults; must not read process.env.

export interface SpanLimits {
  /** Attributes a span keeps; later new keys are dropped and counted. */
  readonly attributeCountLimit: number;
  /** Longest string (or byte array) kept in an attribute value; longer ones are cut. Infinity: no limit. */
  readonly attributeValueLengthLimit: number;
  readonly eventCountLimit: number;
  readonly linkCountLimit: number;
  readonly attributePerEventCountLimit: number;
  readonly attributePerLinkCountLimit: number;
}

export const DEFAULT_SPAN_LIMITS: SpanLimits = Object.freeze({
  attributeCountLimit: 128,
  attributeValueLengthLimit: Infinity,
  eventCountLimit: 128,
  linkCountLimit: 128,
  attributePerEventCountLimit: 128,
  attributePerLinkCountLimit: 128,
});

/** Limits with the SDK's defaults for what `partial` leaves out (as its TracerProvider fills them). */
export function spanLimits(partial: Partial<SpanLimits> = {}): SpanLimits {
  return {
    attributeCountLimit: partial.attributeCountLimit ?? DEFAULT_SPAN_LIMITS.attributeCountLimit,
    attributeValueLengthLimit: partial.attributeValueLengthLimit ?? DEFAULT_SPAN_LIMITS.attributeValueLengthLimit,
    eventCountLimit: partial.eventCountLimit ?? DEFAULT_SPAN_LIMITS.eventCountLimit,
    linkCountLimit: partial.linkCountLimit ?? DEFAULT_SPAN_LIMITS.linkCountLimit,
    attributePerEventCountLimit: partial.attributePerEventCountLimit ?? DEFAULT_SPAN_LIMITS.attributePerEventCountLimit,
    attributePerLinkCountLimit: partial.attributePerLinkCountLimit ?? DEFAULT_SPAN_LIMITS.attributePerLinkCountLimit,
  };
}
