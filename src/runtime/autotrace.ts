// The auto-trace runtime: what rewritten functions call (see src/autotrace/). Every call is
// timed; only a call that lasted at least minDuration becomes a span, created when it ends
// with its true start time, so the first slow call is exported and no fast one is. A span
// started inside a call (a library's HTTP client span, say) names that call as its parent;
// if the call turns out to be dropped, the span is re-parented to the nearest kept ancestor
// before it is exported (the gate below holds it until the call is decided, within bounds).
// Owns call timing and that decision; must not touch the module hooks or the exporters.
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { SpanContext, Tracer } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { Frame } from './frame.ts';
import type { FrameAwareContextManager } from './context.ts';
import type { BudIdGenerator } from './ids.ts';

export interface AutoTraceRuntimeOptions {
  minDurationMs: number;
  contextManager: FrameAwareContextManager;
  ids: BudIdGenerator;
  tracer: () => Tracer;
  /** Spans held waiting for a decision, at most. */
  maxHeld?: number;
  /** How long a span may wait for a decision, milliseconds. */
  maxHoldMs?: number;
}

interface Held { span: ReadableSpan; since: number; parent: string; released: boolean }

const now = (): bigint => process.hrtime.bigint();

function withParent(span: ReadableSpan, parent: SpanContext | undefined): ReadableSpan {
  // The SDK's span is read through its properties; a child object overrides just this one.
  return Object.create(span, { parentSpanContext: { value: parent, enumerable: true } }) as ReadableSpan;
}

export class AutoTraceRuntime {
  readonly #cm: FrameAwareContextManager;
  readonly #ids: BudIdGenerator;
  readonly #tracer: () => Tracer;
  readonly #threshold: bigint;
  readonly #maxHeld: number;
  readonly #maxHoldMs: number;
  // hrtime is monotonic; spans want wall-clock time. One anchor, taken once.
  readonly #hr0 = now();
  readonly #wall0 = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
  /** Frames that gave out an id and are not decided yet. */
  readonly #open = new Map<string, Frame>();
  readonly #waiting = new Map<string, Held[]>();
  readonly #order: Held[] = [];
  /** Dropped calls that gave out an id, and where their children go instead (bounded). */
  readonly #dropped = new Map<string, SpanContext | undefined>();
  #forward: (span: ReadableSpan) => void = () => {};
  readonly #onId = (f: Frame): void => {
    if (f.id !== undefined && f.resolved === undefined) this.#open.set(f.id, f);
  };

  constructor(opts: AutoTraceRuntimeOptions) {
    this.#cm = opts.contextManager;
    this.#ids = opts.ids;
    this.#tracer = opts.tracer;
    this.#threshold = BigInt(Math.round(opts.minDurationMs * 1e6));
    this.#maxHeld = opts.maxHeld ?? 10_000;
    this.#maxHoldMs = opts.maxHoldMs ?? 5_000;
  }

  enter(name: string, file: string, line: number, column: number): Frame {
    const cm = this.#cm;
    const store = cm.als.getStore();
    const depth = cm.depth;
    const top = depth > 0 ? cm.stack[depth - 1] : undefined;
    const f = (cm.stack[depth] ??= new Frame()).init(name, file, line, column, 0n, store, top !== undefined && top.store === store ? top : undefined, this.#onId);
    cm.depth = depth + 1;
    f.start = now();
    return f;
  }

  exit(f: Frame): void {
    const end = now();
    const cm = this.#cm;
    // Normally f is on top; a frame left open by a throw through a non-rewritten caller is
    // closed with it.
    let depth = cm.depth;
    while (depth > 0 && cm.stack[depth - 1] !== f) depth--;
    cm.depth = depth > 0 ? depth - 1 : 0;
    // The common case ends here: fast, and nothing saw it; its slot is reused.
    if (end - f.start < this.#threshold && !f.pinned && !f.hasId) return;
    // The frame outlives the call (seen as a context, a span, ids given out): its slot gets
    // a new object.
    if (cm.stack[cm.depth] === f) cm.stack[cm.depth] = new Frame();
    if (end - f.start < this.#threshold && !f.hasId) {
      f.resolved = null;
      return;
    }
    this.#finish(f, end);
  }

  fail(f: Frame, error: unknown): void {
    f.failed = true;
    f.error = error;
  }

  /** An async call begins: its frame, which run() makes the body's active context. */
  enterAsync(name: string, file: string, line: number, column: number): Frame {
    const cm = this.#cm;
    const store = cm.als.getStore();
    const top = cm.depth > 0 ? cm.stack[cm.depth - 1] : undefined;
    return new Frame().init(name, file, line, column, now(), store, top !== undefined && top.store === store ? top : undefined, this.#onId);
  }

  run<T>(f: Frame, body: () => Promise<T>): Promise<T> {
    return this.#cm.als.run(f, body);
  }

  /** The async call settled (the wrapper's `finally`, after its `await`). */
  exitAsync(f: Frame): void {
    this.#finish(f, now());
  }

  #hr(t: bigint): [number, number] {
    const ns = this.#wall0 + (t - this.#hr0);
    return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
  }

  #finish(f: Frame, end: bigint): void {
    if (end - f.start >= this.#threshold) {
      const id = f.id;
      if (id !== undefined) this.#ids.preassign(id, f.traceId);
      let span;
      try {
        span = this.#tracer().startSpan(`Calling ${f.name}`, {
          startTime: this.#hr(f.start),
          attributes: {
            'code.function.name': f.name,
            'code.file.path': f.file,
            'code.line.number': f.line,
            'code.column.number': f.column,
            'logfire.msg_template': `Calling ${f.name}`,
            'logfire.msg': `Calling ${f.name}`,
            'logfire.span_type': 'span',
          },
        }, f.parentContext());
      } finally {
        this.#ids.clear();
      }
      if (f.failed) {
        span.recordException(f.error instanceof Error ? f.error : String(f.error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: f.error instanceof Error ? f.error.message : String(f.error) });
      }
      f.resolved = span.spanContext();
      span.end(this.#hr(end));
      if (id !== undefined) this.#decide(id, f.resolved);
    } else {
      f.resolved = null;
      if (f.id !== undefined) this.#decide(f.id, trace.getSpanContext(f.parentContext()));
    }
  }

  /** The call `id` was decided: kept (its own context) or dropped (the ancestor's). */
  #decide(id: string, target: SpanContext | undefined): void {
    this.#open.delete(id);
    if (target?.spanId !== id) {
      this.#dropped.set(id, target);
      if (this.#dropped.size > this.#maxHeld) this.#dropped.delete(this.#dropped.keys().next().value!);
    }
    const held = this.#waiting.get(id);
    if (held === undefined) return;
    this.#waiting.delete(id);
    const kept = target?.spanId === id;
    for (const h of held) {
      if (h.released) continue;
      h.released = true;
      this.gate(kept ? h.span : withParent(h.span, target));
    }
  }

  /** Installed by the processor chain: where spans go once they may leave. */
  setForward(forward: (span: ReadableSpan) => void): void {
    this.#forward = forward;
  }

  /** Every finished span passes here before the processors that print or export it. */
  gate = (span: ReadableSpan): void => {
    const parent = span.parentSpanContext?.spanId;
    const frame = parent === undefined ? undefined : this.#open.get(parent);
    if (frame === undefined) {
      // A span that ended after its parent call was dropped points at a call that will
      // never be a span: send it to the ancestor instead (which may itself be undecided).
      if (parent !== undefined && this.#dropped.has(parent)) {
        this.gate(withParent(span, this.#dropped.get(parent)));
        return;
      }
      this.#forward(span);
      return;
    }
    const h: Held = { span, since: Date.now(), parent: parent!, released: false };
    let list = this.#waiting.get(h.parent);
    if (list === undefined) this.#waiting.set(h.parent, (list = []));
    list.push(h);
    this.#order.push(h);
    this.#sweep();
  };

  #sweep(): void {
    const limit = Date.now() - this.#maxHoldMs;
    while (this.#order.length > 0 && (this.#order.length > this.#maxHeld || this.#order[0]!.since < limit)) {
      const h = this.#order.shift()!;
      if (h.released) continue;
      h.released = true;
      this.#forward(h.span);
    }
  }

  /** Lets everything held go as it is (flush, shutdown, exit). */
  releaseAll(): void {
    for (const h of this.#order.splice(0)) {
      if (h.released) continue;
      h.released = true;
      this.#forward(h.span);
    }
    this.#waiting.clear();
  }
}
