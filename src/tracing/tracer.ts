// The agent's Tracer, in place of @opentelemetry/sdk-trace 3.0's: the same decisions in the
// same order (suppressed context, parent, ids, sampler, non-recording span, limits), with the
// same diag messages, and a LeanSpan (span.ts) for what is recorded. What it saves is per
// span: attributes are copied once (twice in the SDK, through Object.entries, with a WeakSet
// per value), and when the sampler adds none and nothing exceeds a limit, the object the
// sampler was shown is the span's; no Date.now(), no HrTime arrays until read, no metrics hook.
// Owns starting spans; must not end them or know what processors do.
import {
  context,
  diag,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  SpanKind,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import type { Context, Link, Span, SpanContext, SpanOptions, Tracer } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { IdGenerator, Sampler, SamplingDecision, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ArrayPrototypeMap, ArrayPrototypeSlice, ObjectAssign } from '../primordials.ts';
import { contextSpan } from '../context-span.ts';
import { cleanAttributes, startAttributes } from './attributes.ts';
import type { CleanCounts } from './attributes.ts';
import type { SpanLimits } from './limits.ts';
import { cleanLink } from './span-base.ts';
import type { SpanPipe } from './span-base.ts';
import { LeanSpan } from './span.ts';

/** What every tracer of a provider shares. */
export interface TracerSettings {
  readonly resource: Resource;
  readonly sampler: Sampler;
  /** The processor chain. */
  readonly processor: SpanProcessor;
  readonly ids: IdGenerator;
  readonly limits: SpanLimits;
}

const NOT_RECORD: SamplingDecision = 0;
const RECORD_AND_SAMPLED: SamplingDecision = 2;

const counts: CleanCounts = { count: 0, dropped: 0 };

export class BudTracer implements Tracer {
  readonly instrumentationScope: InstrumentationScope;
  readonly _pipe: SpanPipe;
  readonly _sampler: Sampler;
  readonly _ids: IdGenerator;
  readonly _limits: SpanLimits;

  constructor(scope: InstrumentationScope, settings: TracerSettings) {
    this.instrumentationScope = scope;
    this._pipe = { resource: settings.resource, scope, processor: settings.processor };
    this._sampler = settings.sampler;
    this._ids = settings.ids;
    this._limits = settings.limits;
  }

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = context.active()): Span {
    if (options.root) ctx = trace.deleteSpan(ctx);
    const parentSpan = contextSpan(ctx);
    if (isTracingSuppressed(ctx)) {
      diag.debug('Instrumentation suppressed, returning Noop Span');
      return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    }
    const parentSpanContext = parentSpan?.spanContext();
    const spanId = this._ids.generateSpanId();
    let parent: SpanContext | undefined;
    let traceId: string;
    let traceState: SpanContext['traceState'];
    if (!parentSpanContext || !isSpanContextValid(parentSpanContext)) traceId = this._ids.generateTraceId();
    else {
      traceId = parentSpanContext.traceId;
      traceState = parentSpanContext.traceState;
      parent = parentSpanContext;
    }
    const kind = options.kind ?? SpanKind.INTERNAL;
    const limits = this._limits;
    const links = options.links == null ? [] : ArrayPrototypeMap(options.links, (l: Link) => cleanLink(l, limits));
    let attributes = startAttributes(options.attributes, counts);
    let count = counts.count;
    let dropped = counts.dropped;
    const result = this._sampler.shouldSample(ctx, traceId, name, kind, attributes, links);
    traceState = result.traceState ?? traceState;
    const traceFlags = result.decision === RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE;
    const spanContext = { traceId, spanId, traceFlags, traceState } as SpanContext;
    if (result.decision === NOT_RECORD) {
      diag.debug('Recording is off, propagating context in a non-recording span');
      return trace.wrapSpanContext(spanContext);
    }
    // The SDK cleans again with the limits, into a new object; with nothing to add, cut or
    // drop, that object would be a copy of this one.
    if (
      result.attributes !== undefined ||
      count > limits.attributeCountLimit ||
      limits.attributeValueLengthLimit !== Infinity
    ) {
      attributes = cleanAttributes(
        ObjectAssign(attributes, result.attributes),
        limits.attributeCountLimit,
        limits.attributeValueLengthLimit,
        false,
        counts,
      )!;
      count = counts.count;
      dropped += counts.dropped;
    }
    return this._span(name, kind, spanContext, parent, attributes, count, dropped, links, options, ctx);
  }

  _span(
    name: string,
    kind: SpanKind,
    spanContext: SpanContext,
    parent: SpanContext | undefined,
    attributes: SpanOptions['attributes'] & object,
    count: number,
    dropped: number,
    allLinks: Link[],
    options: SpanOptions,
    ctx: Context,
  ): Span {
    const linkLimit = this._limits.linkCountLimit;
    let links = allLinks;
    let droppedLinks = 0;
    if (allLinks.length > linkLimit) {
      links = ArrayPrototypeSlice(allLinks, allLinks.length - linkLimit, allLinks.length);
      droppedLinks = allLinks.length - linkLimit;
    }
    const span = new LeanSpan(
      this._pipe,
      this._limits,
      name,
      kind,
      spanContext,
      parent,
      attributes,
      count,
      dropped,
      links,
      droppedLinks,
      options.startTime,
    );
    this._pipe.processor.onStart(span, ctx);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    ctx: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan(name: string, ...args: unknown[]): unknown {
    // As the SDK's: the arguments' count says which is which.
    let opts: SpanOptions | undefined;
    let ctx: Context | undefined;
    let fn: (span: Span) => unknown;
    if (args.length < 1) return undefined;
    else if (args.length === 1) fn = args[0] as typeof fn;
    else if (args.length === 2) {
      opts = args[0] as SpanOptions | undefined;
      fn = args[1] as typeof fn;
    } else {
      opts = args[0] as SpanOptions | undefined;
      ctx = args[1] as Context | undefined;
      fn = args[2] as typeof fn;
    }
    const parentContext = ctx ?? context.active();
    const span = this.startSpan(name, opts, parentContext);
    return context.with(trace.setSpan(parentContext, span), fn, undefined, span);
  }
}
