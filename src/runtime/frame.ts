// One call of an auto-traced function: when it started, what it ran under, and the ids it
// handed out (only if something asked). Whether it becomes a span is decided when it ends.
import { trace, TraceFlags } from '@opentelemetry/api';
import type { Context, SpanContext } from '@opentelemetry/api';
import { FrameContext, FrameSpan } from './context.ts';
import { randomSpanId, randomTraceId } from './ids.ts';
import { INVALID_SPAN_CONTEXT, ROOT_CONTEXT } from '@opentelemetry/api';

export class Frame {
  id: string | undefined;
  traceId: string | undefined;
  error: unknown;
  failed = false;
  #ctx: Context | undefined;
  #spanContext: SpanContext | undefined;
  /** Called the first time an id is given out, so children can wait for the decision. */
  onId: ((frame: Frame) => void) | undefined;

  constructor(
    readonly name: string,
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly start: bigint,
    /** The AsyncLocalStorage context when the call began. */
    readonly store: Context | undefined,
    /** The enclosing synchronous frame, when it is the active one. */
    readonly parentFrame: Frame | undefined,
  ) {}

  /** The context the call's own span (and its children) descend from. */
  parentContext(): Context {
    return this.parentFrame !== undefined ? this.parentFrame.context() : this.store ?? ROOT_CONTEXT;
  }

  context(): Context {
    return (this.#ctx ??= new FrameContext(this.parentContext(), new FrameSpan(this)));
  }

  /** Once decided: the kept span's context, or null when the call was dropped. */
  resolved: SpanContext | null | undefined;

  spanContext(): SpanContext {
    if (this.#spanContext !== undefined) return this.#spanContext;
    // Asked only after the decision (a callback that outlived the call): point at the span
    // that exists, the kept one or, for a dropped call, the nearest ancestor.
    if (this.resolved !== undefined) return this.resolved ?? trace.getSpanContext(this.parentContext()) ?? INVALID_SPAN_CONTEXT;
    const parent = trace.getSpanContext(this.parentContext());
    this.id = randomSpanId();
    this.traceId = parent?.traceId ?? randomTraceId();
    this.#spanContext = { traceId: this.traceId, spanId: this.id, traceFlags: parent?.traceFlags ?? TraceFlags.SAMPLED };
    this.onId?.(this);
    return this.#spanContext;
  }
}
