// The span of an auto-traced call that lasted long enough, made here rather than by the
// agent's tracer (src/tracing/tracer.ts): it is made when the call ends, inside the app's
// call, with the call's own start and end on the runtime's clock, and the ids its frame
// handed out. What it shares with every agent span (attributes, events, links, status,
// exceptions, by the SDK's rules) is src/tracing/span-base.ts; like that, it uses only
// built-ins captured at load (src/primordials.ts), and goes through the same sampler and span
// processors as every other span, so what is exported is the same.
// Owns the auto-trace span's times and its start; must not decide which calls become spans (runtime.ts).
import { isSpanContextValid, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import type { Attributes, Context, Exception, HrTime, Span, SpanContext, TimeInput } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Sampler, SamplingDecision, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ArrayIsArray, StringOf } from '../../primordials.ts';
import { spanOf } from './frame.ts';
import { SPAN_KEY } from '../../context-span.ts';
import { SpanBase } from '../../tracing/span-base.ts';
import { DEFAULT_SPAN_LIMITS } from '../../tracing/limits.ts';

export interface SpanPipeline {
  resource: Resource;
  sampler: Sampler;
  /** The processor chain, in the order the SDK's spans go through it. */
  processor: SpanProcessor;
  scope: InstrumentationScope;
  /** Now, as an HrTime on the spans' clock. */
  now: () => HrTime;
}

const RECORD_AND_SAMPLED: SamplingDecision = 2;
const NOT_RECORD: SamplingDecision = 0;

/** The parent context with its span looked up once, for the sampler and the processors. */
class ParentContext implements Context {
  readonly #ctx: Context;
  readonly #span: Span | undefined;
  constructor(ctx: Context, span: Span | undefined) {
    this.#ctx = ctx;
    this.#span = span;
  }
  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this.#span : this.#ctx.getValue(key);
  }
  setValue(key: symbol, value: unknown): Context {
    return this.#ctx.setValue(key, value);
  }
  deleteValue(key: symbol): Context {
    return this.#ctx.deleteValue(key);
  }
}

/**
 * Attributes, events, links, status and exceptions are every agent span's
 * (src/tracing/span-base.ts, the SDK's rules and limits); the times are the runtime's HrTimes,
 * and an Error's stack is read on export, not inside the app's call.
 */
export class AutoSpan extends SpanBase implements Span, ReadableSpan {
  declare _pipe: SpanPipeline;
  readonly startTime: HrTime;
  endTime: HrTime = [0, 0];
  duration: HrTime = [-1, -1];

  constructor(
    pipe: SpanPipeline,
    name: string,
    spanContext: SpanContext,
    parentSpanContext: SpanContext | undefined,
    startTime: HrTime,
  ) {
    super(pipe, DEFAULT_SPAN_LIMITS, name, SpanKind.INTERNAL, spanContext, parentSpanContext, {}, 0, 0, [], 0);
    this.startTime = startTime;
  }

  _eventTime(time: TimeInput | undefined): HrTime {
    return ArrayIsArray(time) ? time : this._pipe.now();
  }

  override _lazyStack(): boolean {
    return true;
  }

  // A thrown value with neither a type nor a message records nothing, without a warning.
  override _unrecorded(_exception: Exception): void {}

  end(endTime?: TimeInput): void {
    if (this._ended) return;
    this.endTime = ArrayIsArray(endTime) ? endTime : this._pipe.now();
    let s = this.endTime[0] - this.startTime[0];
    let ns = this.endTime[1] - this.startTime[1];
    if (ns < 0) {
      s -= 1;
      ns += 1e9;
    }
    if (s < 0) {
      this.endTime = [this.startTime[0], this.startTime[1]];
      s = 0;
      ns = 0;
    }
    this.duration = [s, ns];
    this._pipe.processor.onEnding?.(this);
    this._ended = true;
    this._pipe.processor.onEnd(this);
  }
}

/**
 * Starts and ends the span of a call: `ids` are the ones the frame handed out, if any.
 * Returns its context, a non-recording one when the sampler drops it.
 */
export function recordCall(
  pipe: SpanPipeline,
  name: string,
  attributes: Attributes,
  parent: Context,
  spanId: string,
  newTraceId: () => string,
  start: HrTime,
  end: HrTime,
  error: { failed: boolean; value: unknown },
): SpanContext {
  const parentSpan = spanOf(parent);
  const parentSc = parentSpan?.spanContext();
  const valid = parentSc !== undefined && isSpanContextValid(parentSc);
  const traceId = valid ? parentSc.traceId : newTraceId();
  const ctx = new ParentContext(parent, parentSpan);
  const result = pipe.sampler.shouldSample(ctx, traceId, name, SpanKind.INTERNAL, attributes, []);
  const spanContext: SpanContext = {
    traceId,
    spanId,
    traceFlags: result.decision === RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
  };
  const traceState = result.traceState ?? (valid ? parentSc.traceState : undefined);
  if (traceState !== undefined) spanContext.traceState = traceState;
  if (result.decision === NOT_RECORD) return spanContext;
  const span = new AutoSpan(pipe, name, spanContext, valid ? parentSc : undefined, start);
  span.setAttributes(attributes);
  if (result.attributes !== undefined) span.setAttributes(result.attributes);
  pipe.processor.onStart(span, ctx);
  if (error.failed) {
    const e = error.value;
    const isError = e instanceof Error;
    span.recordException(isError ? e : StringOf(e), end);
    span.setStatus({ code: SpanStatusCode.ERROR, message: isError ? e.message : StringOf(e) });
  }
  span.end(end);
  return spanContext;
}
