// The auto-trace runtime: what rewritten functions call (see src/autotrace/). Every call is
// timed; only a call that lasted at least minDuration becomes a span, created when it ends
// with its true start time, so the first slow call is exported and no fast one is. A span
// started inside a call (a library's HTTP client span, say) names that call as its parent;
// if the call turns out to be dropped, the span is re-parented to the nearest kept ancestor
// before it is exported (the gate below holds it until the call is decided, within bounds).
// An async call keeps its body in the function itself and switches contexts around its first
// suspension (enterAsync, away, back, exitAsync below), so it settles on exactly the same
// microtask as the original. Everything here runs inside the app's calls, so it uses only
// built-ins captured at load (primordials.ts).
// Owns call timing and that decision; must not touch the module hooks or the exporters.
import type { Context, HrTime, SpanContext } from '@opentelemetry/api';
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Sampler, SpanProcessor } from '@opentelemetry/sdk-trace';
import { Frame, spanContextOf } from './frame.ts';
import type { FrameAwareContextManager } from './context.ts';
import { randomSpanId, randomTraceId } from './ids.ts';
import { recordCall, type SpanPipeline } from './span.ts';
import { warn } from '../errors.ts';
import {
  AlsEnterWith, AlsGetStore, ArrayPrototypePush, ArrayPrototypeShift, DateNow, hrtimeBigint, isPromise, MapIteratorNext, MapPrototypeClear, MapPrototypeDelete,
  MapPrototypeGet, MapPrototypeGetSize, MapPrototypeHas, MapPrototypeKeys, MapPrototypeSet, MathRound, NumberOf, ObjectCreate, ObjectGetPrototypeOf, PromiseCtor, PromisePrototype, PromisePrototypeThen, PromiseResolve,
} from './primordials.ts';

export interface AutoTraceRuntimeOptions {
  minDurationMs: number;
  contextManager: FrameAwareContextManager;
  /** What the tracer provider gives its spans: the same resource, sampler and processors. */
  resource: Resource;
  sampler: Sampler;
  processor: SpanProcessor;
  /** Spans held waiting for a decision, at most. */
  maxHeld?: number;
  /** How long a span may wait for a decision, milliseconds. */
  maxHoldMs?: number;
}

interface Held { span: ReadableSpan; since: number; parent: string; released: boolean }

/**
 * Makes `store` the current context. Node 24's enterWith copies its frame with `new Map()`,
 * which calls %MapIteratorPrototype%.next: an app that replaced that with a throwing one
 * must not see the throw (the switch is skipped; the call runs on in the caller's context).
 */
function switchTo(als: AsyncLocalStorage<Context>, store: Context | undefined): void {
  try {
    AlsEnterWith(als, store);
  } catch {
    // nothing the app could act on
  }
}

function withParent(span: ReadableSpan, parent: SpanContext | undefined): ReadableSpan {
  // The span is read through its properties; a child object overrides just this one.
  return ObjectCreate(span, { parentSpanContext: { value: parent, enumerable: true } });
}

const ATTRS = (f: Frame): Record<string, string | number> => ({
  'code.function.name': f.name,
  'code.file.path': f.file,
  'code.line.number': f.line,
  'code.column.number': f.column,
  'logfire.msg_template': `Calling ${f.name}`,
  'logfire.msg': `Calling ${f.name}`,
  'logfire.span_type': 'span',
});

export class AutoTraceRuntime {
  readonly #cm: FrameAwareContextManager;
  readonly #threshold: bigint;
  readonly #maxHeld: number;
  readonly #maxHoldMs: number;
  readonly #pipe: SpanPipeline;
  // hrtime is monotonic; spans want wall-clock time. One anchor, taken once.
  readonly #hr0 = hrtimeBigint();
  readonly #wall0 = BigInt(MathRound((performance.timeOrigin + performance.now()) * 1e6));
  /** Frames that gave out an id and are not decided yet. */
  readonly #open = new Map<string, Frame>();
  readonly #waiting = new Map<string, Held[]>();
  readonly #order: Held[] = [];
  /** Dropped calls that gave out an id, and where their children go instead (bounded). */
  readonly #dropped = new Map<string, SpanContext | undefined>();
  #forward: (span: ReadableSpan) => void = () => {};
  readonly #onId = (f: Frame): void => {
    if (f.id !== undefined && f.resolved === undefined) MapPrototypeSet(this.#open, f.id, f);
  };

  constructor(opts: AutoTraceRuntimeOptions) {
    this.#cm = opts.contextManager;
    this.#threshold = BigInt(MathRound(opts.minDurationMs * 1e6));
    this.#maxHeld = opts.maxHeld ?? 10_000;
    this.#maxHoldMs = opts.maxHoldMs ?? 5_000;
    this.#pipe = { resource: opts.resource, sampler: opts.sampler, processor: opts.processor, scope: { name: 'budobserve.autotrace' }, now: () => this.#hr(hrtimeBigint()) };
  }

  enter(name: string, file: string, line: number, column: number): Frame {
    const cm = this.#cm;
    const store = AlsGetStore(cm.als);
    const depth = cm.depth;
    const top = depth > 0 ? cm.stack[depth - 1] : undefined;
    const f = (cm.stack[depth] ??= new Frame()).init(name, file, line, column, 0n, store, top !== undefined && top.store === store ? top : undefined, this.#onId);
    cm.depth = depth + 1;
    f.start = hrtimeBigint();
    return f;
  }

  exit(f: Frame): void {
    const end = hrtimeBigint();
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
    // A `return` whose value a `finally` replaced by a throw: the throw decides.
    f.ret = undefined;
  }

  /**
   * An async call begins: its frame becomes the current context for the body (enterWith,
   * not run(): the body stays in the original function, which is what keeps its ticks).
   */
  enterAsync(name: string, file: string, line: number, column: number): Frame {
    const cm = this.#cm;
    const store = AlsGetStore(cm.als);
    const top = cm.depth > 0 ? cm.stack[cm.depth - 1] : undefined;
    const f = new Frame().init(name, file, line, column, hrtimeBigint(), store, top !== undefined && top.store === store ? top : undefined, this.#onId);
    switchTo(cm.als, f);
    return f;
  }

  /**
   * Wraps every `await` operand, evaluated in the call's context. At the first one the
   * function is about to return to its caller: the caller gets its own context back.
   * Later awaits return to the microtask queue, which restores contexts itself.
   */
  away<T>(f: Frame, value: T): T | Promise<unknown> {
    if (f.phase !== 0) return value;
    f.phase = 1;
    // Awaiting a thenable that is not a native promise (a query builder, say) calls its
    // then() in a microtask queued by the await, in the context current then: the caller's,
    // below. Promise.resolve queues that same job now, in the call's context, and the await
    // then takes the native promise it returns without a tick of its own: the same jobs, in
    // the same order, and the query runs under the call.
    let operand: T | Promise<unknown> = value;
    if (value !== null && (typeof value === 'object' || typeof value === 'function') && !(isPromise(value) && ObjectGetPrototypeOf(value) === PromisePrototype)) {
      operand = PromiseResolve(PromiseCtor, value);
    }
    switchTo(this.#cm.als, f.store);
    return operand;
  }

  /**
   * Wraps the iterable of a `for await` loop: the loop's first step may be the first
   * suspension. (The iterator's first next() then runs in the caller's context when it is.)
   */
  loop<T>(f: Frame, iterable: T): T {
    if (f.phase === 0) {
      f.phase = 1;
      switchTo(this.#cm.als, f.store);
    }
    return iterable;
  }

  /**
   * After every `await` (its value passes through), at the start of every catch and finally
   * block of the body, and after a `for await` loop: the body resumed, in its own context.
   */
  back<T>(f: Frame, value?: T): T | undefined {
    if (f.phase === 1) {
      f.phase = 2;
      switchTo(this.#cm.als, f);
    }
    return value;
  }

  /** Wraps every `return` argument: a returned native promise is what the call waits for. */
  ret<T>(f: Frame, value: T): T {
    f.ret = typeof value === 'object' && value !== null && isPromise(value) && ObjectGetPrototypeOf(value) === PromisePrototype ? value : undefined;
    return value;
  }

  /** The async body ended (the wrapper's `finally`): timed now, or when its returned promise settles. */
  exitAsync(f: Frame): void {
    // Ended without ever suspending: still on the caller's stack, in the call's context.
    if (f.phase === 0) switchTo(this.#cm.als, f.store);
    const ret = f.ret;
    if (ret === undefined) {
      this.#finish(f, hrtimeBigint());
      return;
    }
    f.ret = undefined;
    // A reaction of our own on the returned promise: it runs as the promise settles, before
    // the function's own promise takes the value over (two ticks later), and calls no code
    // of the app's (a native promise of the original constructor; other thenables end the
    // call at the return).
    PromisePrototypeThen(ret, () => this.#settled(f, undefined, false), (error: unknown) => this.#settled(f, error, true));
  }

  #settled(f: Frame, error: unknown, failed: boolean): void {
    const end = hrtimeBigint();
    try {
      if (failed) this.fail(f, error);
      this.#finish(f, end);
    } catch {
      // Nothing may reject the reaction's promise: it would be an unhandled rejection.
    }
  }

  #hr(t: bigint): HrTime {
    const ns = this.#wall0 + (t - this.#hr0);
    return [NumberOf(ns / 1_000_000_000n), NumberOf(ns % 1_000_000_000n)];
  }

  #finish(f: Frame, end: bigint): void {
    if (end - f.start >= this.#threshold) {
      const id = f.id;
      const traceId = f.traceId;
      try {
        f.resolved = recordCall(this.#pipe, `Calling ${f.name}`, ATTRS(f), f.parentContext(), id ?? randomSpanId(), traceId === undefined ? randomTraceId : () => traceId, this.#hr(f.start), this.#hr(end), { failed: f.failed, value: f.error });
      } catch (error) {
        // Runs in the app's call (its finally): nothing may come out of it.
        f.resolved = null;
        warn('BUDOBSERVE_INTERNAL', `auto-trace could not record a call of ${f.name}`, { cause: error, once: 'autotrace-record' });
      }
      if (id !== undefined) this.#decide(id, f.resolved ?? spanContextOf(f.parentContext()));
    } else {
      f.resolved = null;
      if (f.id !== undefined) this.#decide(f.id, spanContextOf(f.parentContext()));
    }
  }

  /** The call `id` was decided: kept (its own context) or dropped (the ancestor's). */
  #decide(id: string, target: SpanContext | undefined): void {
    MapPrototypeDelete(this.#open, id);
    if (target?.spanId !== id) {
      MapPrototypeSet(this.#dropped, id, target);
      if (MapPrototypeGetSize(this.#dropped) > this.#maxHeld) MapPrototypeDelete(this.#dropped, MapIteratorNext(MapPrototypeKeys(this.#dropped)).value!);
    }
    const held = MapPrototypeGet(this.#waiting, id);
    if (held === undefined) return;
    MapPrototypeDelete(this.#waiting, id);
    const kept = target?.spanId === id;
    for (let i = 0; i < held.length; i++) {
      const h = held[i]!;
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
    const frame = parent === undefined ? undefined : MapPrototypeGet(this.#open, parent);
    if (frame === undefined) {
      // A span that ended after its parent call was dropped points at a call that will
      // never be a span: send it to the ancestor instead (which may itself be undecided).
      if (parent !== undefined && MapPrototypeHas(this.#dropped, parent)) {
        this.gate(withParent(span, MapPrototypeGet(this.#dropped, parent)));
        return;
      }
      this.#forward(span);
      return;
    }
    const h: Held = { span, since: DateNow(), parent: parent!, released: false };
    let list = MapPrototypeGet(this.#waiting, h.parent);
    if (list === undefined) MapPrototypeSet(this.#waiting, h.parent, (list = []));
    ArrayPrototypePush(list, h);
    ArrayPrototypePush(this.#order, h);
    this.#sweep();
  };

  #sweep(): void {
    const limit = DateNow() - this.#maxHoldMs;
    while (this.#order.length > 0 && (this.#order.length > this.#maxHeld || this.#order[0]!.since < limit)) {
      const h = ArrayPrototypeShift(this.#order)!;
      if (h.released) continue;
      h.released = true;
      this.#forward(h.span);
    }
  }

  /** Lets everything held go as it is (flush, shutdown, exit). */
  releaseAll(): void {
    const order = this.#order;
    for (let i = 0; i < order.length; i++) {
      const h = order[i]!;
      if (h.released) continue;
      h.released = true;
      this.#forward(h.span);
    }
    order.length = 0;
    MapPrototypeClear(this.#waiting);
  }
}
