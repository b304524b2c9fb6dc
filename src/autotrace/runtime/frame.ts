// One call of an auto-traced function: when it started, what it ran under, and the ids it
// handed out (only if something asked). Whether it becomes a span is decided when it ends.
// A frame is also the Context and the (non-recording) Span its callees see while it runs:
// one object per call, and for synchronous calls that end fast and started nothing, a
// reused one (the runtime pools them by stack depth).
import { INVALID_SPAN_CONTEXT, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import type { Context, Span, SpanContext } from '@opentelemetry/api';
import { randomSpanId, randomTraceId } from './ids.ts';
import { contextSpan, SPAN_KEY } from '../../context-span.ts';
import { kDescendsFrom } from '../../symbols.ts';

/** The span a context holds: a frame is its own span. */
export function spanOf(ctx: Context): Span | undefined {
  return ctx instanceof Frame ? ctx : contextSpan(ctx);
}

const wrapSpanContext = (sc: SpanContext): Span => trace.wrapSpanContext(sc);

/** A decided call's context, for the frames below it: its span over the context above. */
class Decided implements Context {
  readonly #span: Span;
  readonly #base: Context;
  constructor(span: Span, base: Context) {
    this.#span = span;
    this.#base = base;
  }
  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this.#span : this.#base.getValue(key);
  }
  setValue(key: symbol, value: unknown): Context {
    return this.#base.setValue(SPAN_KEY, this.#span).setValue(key, value);
  }
  deleteValue(key: symbol): Context {
    return this.#base.setValue(SPAN_KEY, this.#span).deleteValue(key);
  }
}

/** The first context above a chain of frames that is not one. */
function baseOf(f: Frame): Context {
  let c: Context = f;
  while (c instanceof Frame) c = c.parentContext();
  return c;
}

/** Its span's context (trace.getSpanContext). */
export function spanContextOf(ctx: Context): SpanContext | undefined {
  return spanOf(ctx)?.spanContext();
}

export class Frame implements Context, Span {
  name = '';
  file = '';
  line = 0;
  column = 0;
  start = 0n;
  /** The AsyncLocalStorage context when the call began, once read (context.ts). */
  store: Context | undefined;
  storeRead = false;
  /** The context manager's epoch when the call began. */
  epoch = 0;
  /** The enclosing synchronous frame, when it is the active one. */
  parentFrame: Frame | undefined;
  id: string | undefined;
  traceId: string | undefined;
  error: unknown;
  failed = false;
  /** Once decided: the kept span's context, or null when the call was dropped. */
  resolved: SpanContext | null | undefined;
  #spanContext: SpanContext | undefined;
  /** Handed out as a Context (it may be kept somewhere): never reused for another call. */
  pinned = false;
  /** Called the first time an id is given out, so children can wait for the decision. */
  onId: ((frame: Frame) => void) | undefined;
  /**
   * An async call's context switches (runtime.away/back): 0 while its body runs on the
   * caller's stack, 1 once its first await gave the caller its context back, 2 once it
   * resumed with its frame on the synchronous stack, 3 once it runs in its own
   * AsyncLocalStorage context again.
   */
  phase = 0;
  /** While an async frame sits on the synchronous stack: the pooled frame of its slot. */
  slot: Frame | undefined;
  /** The native promise an async body returned last (its call ends when that settles). */
  ret: Promise<unknown> | undefined;

  /** Reads the stored context, for a frame that has not read its own yet. */
  readonly #readStore: (() => Context | undefined) | undefined;

  constructor(onId?: (frame: Frame) => void, readStore?: () => Context | undefined) {
    this.onId = onId;
    this.#readStore = readStore;
  }

  /**
   * A call begins in this frame. A pooled frame comes back here only if nothing saw it (see
   * AutoTraceRuntime.exit), so only what every call sets is set: the rest still has its
   * initial value.
   */
  init(
    name: string,
    file: string,
    line: number,
    column: number,
    store: Context | undefined,
    storeRead: boolean,
    epoch: number,
    parentFrame: Frame | undefined,
  ): this {
    this.name = name;
    this.file = file;
    this.line = line;
    this.column = column;
    this.store = store;
    this.storeRead = storeRead;
    this.epoch = epoch;
    this.parentFrame = parentFrame;
    return this;
  }

  /** Reads the stored context now if the call has not: it is the call's while its epoch lasts. */
  readStore(): Context | undefined {
    if (!this.storeRead) {
      this.store = this.#readStore?.();
      this.storeRead = true;
    }
    return this.store;
  }

  /** True once ids were given out: children wait for this call's decision. */
  get hasId(): boolean {
    return this.#spanContext !== undefined;
  }

  /** The context the call's own span (and its children) descend from. */
  parentContext(): Context {
    return this.parentFrame !== undefined ? this.parentFrame : (this.readStore() ?? ROOT_CONTEXT);
  }

  /** The context this call descends from: span processors follow it past undecided calls (src/processors/recorded-parent.ts). */
  [kDescendsFrom](): Context {
    return this.parentContext();
  }

  // Context: the parent's, with this frame as the active span. Frames name frames as their
  // parents, in chains as long as the calls that led to them (a loop that goes on in its
  // own callbacks makes one as long as the loop): walked in loops, never recursively.
  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this : baseOf(this).getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return baseOf(this).setValue(SPAN_KEY, this).setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return baseOf(this).setValue(SPAN_KEY, this).deleteValue(key);
  }

  // Span: a stand-in that records nothing; its ids are the frame's, made on first request,
  // with those of the frames above it that have none yet (their ids are its parent's).
  spanContext(): SpanContext {
    if (this.#spanContext !== undefined) return this.#spanContext;
    const pending: Frame[] = [];
    let parent: SpanContext | undefined;
    // The walk up the chain of contexts starts here; no alias kept.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let c: Context = this;
    for (;;) {
      if (!(c instanceof Frame)) {
        parent = spanContextOf(c);
        break;
      }
      if (c.#spanContext !== undefined) {
        parent = c.#spanContext;
        break;
      }
      // Decided (a callback that outlived the call asks): the kept span, or for a dropped
      // call, whatever its parent points at.
      if (c.resolved !== undefined) {
        if (c.resolved !== null) {
          parent = c.resolved;
          break;
        }
      } else {
        pending[pending.length] = c;
      }
      c = c.parentContext();
    }
    if (pending.length === 0) return parent ?? INVALID_SPAN_CONTEXT;
    for (let i = pending.length - 1; i >= 0; i--) parent = pending[i]!.#assign(parent);
    return this.#spanContext ?? parent ?? INVALID_SPAN_CONTEXT;
  }

  /**
   * After the decision: a parent that is decided too is replaced by what it resolved to (its
   * span, or for a dropped one its own parent), so that frames kept by callbacks (a loop
   * that goes on in its own callbacks) form no chain, and hold no finished call.
   */
  collapse(): void {
    const p = this.parentFrame ?? (this.store instanceof Frame ? this.store : undefined);
    if (p === undefined || p.resolved === undefined) return;
    this.store = p.resolved === null ? p.parentContext() : new Decided(wrapSpanContext(p.resolved), baseOf(p));
    this.storeRead = true;
    this.parentFrame = undefined;
  }

  #assign(parent: SpanContext | undefined): SpanContext {
    this.id = randomSpanId();
    this.traceId = parent?.traceId ?? randomTraceId();
    const sc = (this.#spanContext = {
      traceId: this.traceId,
      spanId: this.id,
      traceFlags: parent?.traceFlags ?? TraceFlags.SAMPLED,
    });
    this.onId?.(this);
    return sc;
  }

  setAttribute(): this {
    return this;
  }
  setAttributes(): this {
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(): this {
    return this;
  }
  updateName(): this {
    return this;
  }
  end(): void {}
  isRecording(): boolean {
    return false;
  }
  recordException(): void {}
}
