// src/autotrace/runtime/: what auto-traced functions call, bundled as
// dist/lazy/autotrace-runtime.cjs (chunk.ts is its entry). runtime.ts (this file) times calls
// and decides which become spans; gate.ts holds the spans started inside undecided calls;
// frame.ts is one call, context.ts makes it the active context, span.ts the span it becomes,
// ids.ts the ids. The wrappers that call it are made by ../transform/wrap.ts.
//
// The auto-trace runtime: what rewritten functions call. Every call is
// timed; only a call that lasted at least minDuration becomes a span, created when it ends
// with its true start time, so the first slow call is exported and no fast one is. A span
// started inside a call (a library's HTTP client span, say) names that call as its parent;
// if the call turns out to be dropped, the span is re-parented to the nearest kept ancestor
// before it is exported (gate.ts holds it until the call is decided, within bounds).
// An async call keeps its body in the function itself and switches contexts around its first
// suspension (enterAsync, away, back, exitAsync below), so it settles on exactly the same
// microtask as the original. Everything here runs inside the app's calls, so it uses only
// built-ins captured at load (src/primordials.ts).
// Owns call timing and that decision; must not touch the module hooks or the exporters, nor
// hold spans itself (gate.ts).
import type { HrTime } from '@opentelemetry/api';
import { AsyncLocalStorage as AsyncLocalStorageClass } from 'node:async_hooks';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Sampler, SpanProcessor } from '@opentelemetry/sdk-trace';
import { Frame, spanContextOf } from './frame.ts';
import { pin, type FrameAwareContextManager } from './context.ts';
import { randomSpanId, randomTraceId } from './ids.ts';
import { recordCall, type SpanPipeline } from './span.ts';
import { SpanGate } from './gate.ts';
import { warn } from '../../errors.ts';
import {
  hrtimeBigint,
  isPromise,
  MathRound,
  NumberOf,
  ObjectGetPrototypeOf,
  PromiseCtor,
  PromisePrototype,
  PromisePrototypeThen,
  PromiseResolve,
} from '../../primordials.ts';
import { ATTR_MSG_TEMPLATE, ATTR_MSG, ATTR_SPAN_TYPE } from '../../attributes.ts';

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

// Frame.phase of an async call.
const SYNC = 0;
const AWAY = 1;
const RESUMED_ON_STACK = 2;
const RESUMED = 3;

// AsyncLocalStorage on async_hooks (Node 22; Node 24+ with --no-async-context-frame) has
// these; the AsyncContextFrame one, whose enterWith copies the frame, does not.
const ENTER_COPIES = !('_propagate' in AsyncLocalStorageClass.prototype);

const ATTRS = (f: Frame): Record<string, string | number> => ({
  'code.function.name': f.name,
  'code.file.path': f.file,
  'code.line.number': f.line,
  'code.column.number': f.column,
  [ATTR_MSG_TEMPLATE]: `Calling ${f.name}`,
  [ATTR_MSG]: `Calling ${f.name}`,
  [ATTR_SPAN_TYPE]: 'span',
});

export class AutoTraceRuntime {
  readonly #cm: FrameAwareContextManager;
  readonly #threshold: bigint;
  readonly #pipe: SpanPipeline;
  /** Entering a context copies it (AsyncContextFrame): resumed bodies wait on the stack (back). */
  readonly #copies = ENTER_COPIES;
  // hrtime is monotonic; spans want wall-clock time. One anchor, taken once.
  readonly #hr0 = hrtimeBigint();
  readonly #wall0 = BigInt(MathRound((performance.timeOrigin + performance.now()) * 1e6));
  readonly #gate: SpanGate;
  /** What a frame calls when it gives out its id (the gate then holds the spans naming it). */
  readonly #onId: (f: Frame) => void;
  /** Every finished span passes here before the processors that print or export it. */
  readonly gate: (span: ReadableSpan) => void;

  constructor(opts: AutoTraceRuntimeOptions) {
    this.#cm = opts.contextManager;
    this.#threshold = BigInt(MathRound(opts.minDurationMs * 1e6));
    this.#gate = new SpanGate(opts.maxHeld ?? 10_000, opts.maxHoldMs ?? 5_000);
    this.#onId = this.#gate.opened;
    this.gate = this.#gate.gate;
    this.#pipe = {
      resource: opts.resource,
      sampler: opts.sampler,
      processor: opts.processor,
      scope: { name: 'budobserve.autotrace' },
      now: () => this.#hr(hrtimeBigint()),
    };
  }

  enter(name: string, file: string, line: number, column: number): Frame {
    const cm = this.#cm;
    const depth = cm.depth;
    const epoch = cm.epoch;
    const f = (cm.stack[depth] ??= new Frame(this.#onId, cm.readStore));
    const top = depth > 0 ? cm.stack[depth - 1] : undefined;
    // The context is read only where the stack cannot tell it (context.ts).
    if (top === undefined) f.init(name, file, line, column, undefined, false, epoch, undefined);
    else if (top.epoch === epoch) f.init(name, file, line, column, top.store, top.storeRead, epoch, top);
    else {
      const store = cm.als.getStore();
      f.init(name, file, line, column, store, true, epoch, top.store === store ? top : undefined);
    }
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
    if (depth === 0 || cm.stack[depth - 1] !== f) while (depth > 0 && cm.stack[depth - 1] !== f) depth--;
    cm.depth = depth > 0 ? depth - 1 : 0;
    // The common case ends here: fast, and nothing saw it; its slot is reused.
    if (end - f.start < this.#threshold && !f.pinned && !f.hasId) {
      if (f.failed) {
        f.failed = false;
        f.error = undefined;
      }
      return;
    }
    // The frame outlives the call (seen as a context, a span, ids given out): its slot gets
    // a new object, and it keeps its context (still the current one, its epoch not over).
    if (cm.stack[cm.depth] === f) cm.stack[cm.depth] = new Frame(this.#onId, cm.readStore);
    f.readStore();
    if (end - f.start < this.#threshold && !f.hasId) {
      f.resolved = null;
      f.collapse();
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
    // An async caller resumed on the stack (back) goes into AsyncLocalStorage first: this
    // call restores the stored context to its caller's at its first await, and whatever it
    // leaves running after it resumes then runs there.
    let top = cm.depth > 0 ? cm.stack[cm.depth - 1] : undefined;
    if (top !== undefined && top.phase === RESUMED_ON_STACK && top.epoch === cm.epoch) {
      this.#settle(top);
      top = cm.depth > 0 ? cm.stack[cm.depth - 1] : undefined;
    }
    const store = cm.als.getStore();
    if (top !== undefined && !top.storeRead) cm.settle(store);
    const parent = top !== undefined && (top.epoch === cm.epoch || top.store === store) ? top : undefined;
    // The async call outlives its caller's frame: that frame (and those it names) must not go
    // back to the pool while this one may still name it.
    if (parent !== undefined) pin(parent);
    const f = new Frame(this.#onId, cm.readStore).init(name, file, line, column, store, true, cm.epoch, parent);
    f.start = hrtimeBigint();
    cm.switchTo(f);
    return f;
  }

  /**
   * Wraps every `await` operand, evaluated in the call's context. At the first one the
   * function is about to return to its caller: the caller gets its own context back.
   * Later awaits return to the microtask queue, which restores contexts itself.
   */
  away<T>(f: Frame, value: T): T | Promise<unknown> {
    const phase = f.phase;
    if (phase === RESUMED_ON_STACK) this.#settle(f);
    if (phase !== SYNC) return value;
    f.phase = AWAY;
    // Awaiting a thenable that is not a native promise (a query builder, say) calls its
    // then() in a microtask queued by the await, in the context current then: the caller's,
    // below. Promise.resolve queues that same job now, in the call's context, and the await
    // then takes the native promise it returns without a tick of its own: the same jobs, in
    // the same order, and the query runs under the call.
    let operand: T | Promise<unknown> = value;
    if (
      value !== null &&
      (typeof value === 'object' || typeof value === 'function') &&
      !(isPromise(value) && ObjectGetPrototypeOf(value) === PromisePrototype)
    ) {
      operand = PromiseResolve(PromiseCtor, value);
    }
    this.#cm.switchTo(f.store);
    return operand;
  }

  /**
   * Wraps the iterable of a `for await` loop, whose steps await: like away(). (When the loop
   * is the first suspension, the iterator's first next() runs in the caller's context.)
   */
  loop<T>(f: Frame, iterable: T): T {
    const phase = f.phase;
    if (phase === RESUMED_ON_STACK) this.#settle(f);
    else if (phase === SYNC) {
      f.phase = AWAY;
      this.#cm.switchTo(f.store);
    }
    return iterable;
  }

  /**
   * After every `await` (its value passes through), at the start of every catch and finally
   * block of the body, and after a `for await` loop: the body resumed in its caller's
   * context and goes on in its own. Where entering a context copies it (AsyncLocalStorage
   * on AsyncContextFrame, Node 24+: ~80 ns each), the call's frame goes on the synchronous
   * stack instead, which is what the context manager answers for everything the body calls
   * from here; the copy is made only if the body awaits again (away), so that what it
   * awaits resumes in it. (What the body leaves running without awaiting it again, a timer
   * say, then runs in the caller's context; where entering costs nothing, Node 22, it
   * runs in the call's.)
   */
  back<T>(f: Frame, value?: T): T | undefined {
    if (f.phase === AWAY) {
      if (this.#copies) {
        f.phase = RESUMED_ON_STACK;
        const cm = this.#cm;
        f.epoch = cm.epoch;
        f.slot = cm.stack[cm.depth];
        cm.stack[cm.depth++] = f;
      } else {
        f.phase = RESUMED;
        this.#cm.switchTo(f);
      }
    }
    return value;
  }

  /** At the start of each `for await` body: its next step awaits without an away(). */
  resume(f: Frame): void {
    const phase = f.phase;
    if (phase === RESUMED_ON_STACK) this.#settle(f);
    else if (phase === AWAY) {
      f.phase = RESUMED;
      this.#cm.switchTo(f);
    }
  }

  /** From the synchronous stack into AsyncLocalStorage: the body is about to await again. */
  #settle(f: Frame): void {
    this.#unstack(f);
    f.phase = RESUMED;
    this.#cm.switchTo(f);
  }

  #unstack(f: Frame): void {
    const cm = this.#cm;
    let depth = cm.depth;
    while (depth > 0 && cm.stack[depth - 1] !== f) depth--;
    if (depth === 0) return;
    cm.depth = depth - 1;
    // The pooled frame this slot held goes back.
    cm.stack[depth - 1] = f.slot!;
    f.slot = undefined;
  }

  /** Wraps every `return` argument: a returned native promise is what the call waits for. */
  ret<T>(f: Frame, value: T): T {
    f.ret =
      typeof value === 'object' &&
      value !== null &&
      isPromise(value) &&
      ObjectGetPrototypeOf(value) === PromisePrototype
        ? value
        : undefined;
    return value;
  }

  /** The async body ended (the wrapper's `finally`): timed now, or when its returned promise settles. */
  exitAsync(f: Frame): void {
    // Ended without ever suspending: still on the caller's stack, in the call's context.
    if (f.phase === SYNC) this.#cm.switchTo(f.store);
    else if (f.phase === RESUMED_ON_STACK) this.#unstack(f);
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
    void PromisePrototypeThen(
      ret,
      () => this.#settled(f, undefined, false),
      (error: unknown) => this.#settled(f, error, true),
    );
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
        f.resolved = recordCall(
          this.#pipe,
          `Calling ${f.name}`,
          ATTRS(f),
          f.parentContext(),
          id ?? randomSpanId(),
          traceId === undefined ? randomTraceId : () => traceId,
          this.#hr(f.start),
          this.#hr(end),
          { failed: f.failed, value: f.error },
        );
      } catch (error) {
        // Runs in the app's call (its finally): nothing may come out of it.
        f.resolved = null;
        warn('BUDOBSERVE_INTERNAL', 'autotraceRecord', [f.name], { cause: error, once: 'autotrace-record' });
      }
      if (id !== undefined) this.#gate.decide(id, f.resolved ?? spanContextOf(f.parentContext()));
    } else {
      f.resolved = null;
      if (f.id !== undefined) this.#gate.decide(f.id, spanContextOf(f.parentContext()));
    }
    f.collapse();
  }

  /** Installed by the processor chain: where spans go once they may leave. */
  setForward(forward: (span: ReadableSpan) => void): void {
    this.#gate.setForward(forward);
  }

  /** Lets everything held go as it is (flush, shutdown, exit). */
  releaseAll(): void {
    this.#gate.releaseAll();
  }
}
