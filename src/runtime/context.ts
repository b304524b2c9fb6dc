// Makes an auto-traced call visible as the active span to everything it calls, without
// paying for an AsyncLocalStorage switch on every synchronous call: synchronous calls sit on
// a plain stack, and the context manager answers "active" with the innermost frame when
// that frame was entered in the current AsyncLocalStorage context (a context.with() or an
// async callback started since makes the stored context the more recent one).
// Owns context propagation for frames; must not create or export spans.
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ROOT_CONTEXT, TraceFlags } from '@opentelemetry/api';
import type { Context, Span, SpanContext } from '@opentelemetry/api';
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Frame } from './frame.ts';

// The API's span key, made with Symbol.for by createContextKey, so the same in every copy.
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

/** The context seen inside a frame: its parent's, with the frame's stand-in span. */
export class FrameContext implements Context {
  constructor(readonly parent: Context, readonly span: Span) {}

  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this.span : this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this.parent.setValue(SPAN_KEY, this.span).setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.parent.setValue(SPAN_KEY, this.span).deleteValue(key);
  }
}

/** A non-recording stand-in whose ids are the frame's, given out on first request. */
export class FrameSpan implements Span {
  constructor(readonly frame: Frame) {}

  spanContext(): SpanContext {
    return this.frame.spanContext();
  }

  setAttribute(): this { return this; }
  setAttributes(): this { return this; }
  addEvent(): this { return this; }
  addLink(): this { return this; }
  addLinks(): this { return this; }
  setStatus(): this { return this; }
  updateName(): this { return this; }
  end(): void {}
  isRecording(): boolean { return false; }
  recordException(): void {}
}

export class FrameAwareContextManager extends AsyncLocalStorageContextManager {
  readonly stack: Frame[] = [];
  readonly #als: AsyncLocalStorage<Context>;

  constructor() {
    super();
    this.#als = (this as unknown as { _asyncLocalStorage: AsyncLocalStorage<Context> })._asyncLocalStorage;
  }

  /** What AsyncLocalStorage holds right now, undefined outside any context.with(). */
  store(): Context | undefined {
    return this.#als.getStore();
  }

  override active(): Context {
    const store = this.#als.getStore();
    const top = this.stack[this.stack.length - 1];
    if (top !== undefined && top.store === store) return top.context();
    return store ?? ROOT_CONTEXT;
  }
}

export const SAMPLED = TraceFlags.SAMPLED;
