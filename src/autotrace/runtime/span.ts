// The span of an auto-traced call that lasted long enough, made here rather than by the SDK's
// Tracer: it is created inside the app's call (when it ends), and the SDK's span creation
// calls built-ins an app or its test tools may have replaced or count (Date.now,
// performance.now, Array.prototype.map, Object.keys, Object.assign per span). This one uses
// only the runtime's clock and built-ins captured at load (src/primordials.ts), and goes through
// the same sampler and span processors as every other span, so what is exported is the same.
// Owns the auto-trace span object; must not decide which calls become spans (runtime.ts).
import { isSpanContextValid, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import type {
  Attributes,
  AttributeValue,
  Context,
  HrTime,
  Link,
  Span,
  SpanContext,
  SpanStatus,
  TimeInput,
  Exception,
} from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Sampler, SamplingDecision, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace';
import {
  ArrayIsArray,
  ArrayPrototypePush,
  ObjectDefineProperty,
  ObjectPrototypeHasOwnProperty,
  StringOf,
} from '../../primordials.ts';
import { spanOf } from './frame.ts';
import { SPAN_KEY } from '../../context-span.ts';

export interface SpanPipeline {
  resource: Resource;
  sampler: Sampler;
  /** The processor chain, in the order the SDK's spans go through it. */
  processor: SpanProcessor;
  scope: InstrumentationScope;
  /** Now, as an HrTime on the spans' clock. */
  now: () => HrTime;
}

// The SDK's default limit; auto-trace spans carry seven attributes of their own.
const ATTRIBUTE_LIMIT = 128;
const RECORD_AND_SAMPLED: SamplingDecision = 2;
const NOT_RECORD: SamplingDecision = 0;

function validValue(v: unknown): v is AttributeValue {
  const t = typeof v;
  return t === 'string' || t === 'number' || t === 'boolean' || (v !== null && ArrayIsArray(v));
}

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
 * An Error's stack, read when the span is exported rather than in the app's call: V8
 * formats a stack on first read, which runs Error.prepareStackTrace (with source maps on,
 * Node's own, which calls Array.prototype.map on Node 26) and costs more than the rest of
 * the span. Read once, then kept.
 */
function lazyStack(attributes: Attributes, error: Error): void {
  let value: string | undefined;
  ObjectDefineProperty(attributes, 'exception.stacktrace', {
    enumerable: true,
    configurable: true,
    get(): string {
      if (value === undefined) {
        const s: unknown = error.stack;
        value = typeof s === 'string' ? s : '';
      }
      return value;
    },
  });
}

export class AutoSpan implements Span, ReadableSpan {
  readonly kind = SpanKind.INTERNAL;
  readonly attributes: Attributes = {};
  readonly links: Link[] = [];
  readonly events: TimedEvent[] = [];
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  endTime: HrTime = [0, 0];
  duration: HrTime = [-1, -1];
  ended = false;
  readonly parentSpanContext?: SpanContext;
  // Plain properties, not private ones: the gate re-parents a span through an object made
  // with Object.create(span), on which private fields do not exist.
  _count = 0;
  readonly _spanContext: SpanContext;
  readonly _pipe: SpanPipeline;

  constructor(
    pipe: SpanPipeline,
    public name: string,
    spanContext: SpanContext,
    parentSpanContext: SpanContext | undefined,
    readonly startTime: HrTime,
  ) {
    this._pipe = pipe;
    this._spanContext = spanContext;
    // Always an own property, as on the SDK's spans (undefined for a root).
    (this as { parentSpanContext?: SpanContext | undefined }).parentSpanContext = parentSpanContext;
  }

  get resource(): Resource {
    return this._pipe.resource;
  }
  get instrumentationScope(): InstrumentationScope {
    return this._pipe.scope;
  }
  spanContext(): SpanContext {
    return this._spanContext;
  }
  isRecording(): boolean {
    return !this.ended;
  }

  setAttribute(key: string, value?: AttributeValue): this {
    if (this.ended || !validValue(value)) return this;
    if (!ObjectPrototypeHasOwnProperty(this.attributes, key)) {
      if (this._count >= ATTRIBUTE_LIMIT) return this;
      this._count++;
    }
    this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes)
      if (ObjectPrototypeHasOwnProperty(attributes, key)) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    const isTime =
      typeof attributesOrTime === 'number' || ArrayIsArray(attributesOrTime) || attributesOrTime instanceof Date;
    const at = isTime ? attributesOrTime : time;
    ArrayPrototypePush(this.events, {
      name,
      attributes: isTime ? {} : (attributesOrTime ?? {}),
      time: ArrayIsArray(at) ? at : this._pipe.now(),
      droppedAttributesCount: 0,
    });
    return this;
  }

  addLink(link: Link): this {
    if (!this.ended) ArrayPrototypePush(this.links, link);
    return this;
  }

  addLinks(links: Link[]): this {
    for (let i = 0; i < links.length; i++) this.addLink(links[i]!);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status =
      typeof status.message === 'string' && status.code === SpanStatusCode.ERROR
        ? { code: status.code, message: status.message }
        : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (exception !== null && typeof exception === 'object') {
      // As the SDK's recordException reads them (truthy values).
      const { code, name, message } = exception as { code?: unknown; name?: unknown; message?: unknown };
      const stack = exception instanceof Error ? undefined : (exception as { stack?: unknown }).stack;
      if (code) attributes['exception.type'] = StringOf(code);
      else if (typeof name === 'string' && name) attributes['exception.type'] = name;
      if (typeof message === 'string' && message) attributes['exception.message'] = message;
      if (exception instanceof Error) lazyStack(attributes, exception);
      else if (typeof stack === 'string' && stack) attributes['exception.stacktrace'] = stack;
    }
    if (attributes['exception.type'] !== undefined || attributes['exception.message'] !== undefined)
      this.addEvent('exception', attributes, time);
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
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
    this.ended = true;
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
