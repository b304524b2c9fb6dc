// The gate every finished span passes before the processors that print or export it. A span
// started inside an auto-traced call names that call as its parent, but the call becomes a
// span only if it lasts long enough, which is known when it ends: until then the gate holds
// the span (bounded in number and in time). Once the call is decided (runtime.ts), a kept
// call lets its spans go as they are; a dropped one re-parents them to the nearest kept
// ancestor, and so does every span that ends after its parent call was dropped. Runs inside
// the app's calls (a library's span ends there), so it uses only built-ins captured at load.
// Owns holding, re-parenting and releasing spans; must not time calls or decide them.
import type { SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Frame } from './frame.ts';
import {
  ArrayPrototypePush,
  ArrayPrototypeShift,
  DateNow,
  MapIteratorNext,
  MapPrototypeClear,
  MapPrototypeDelete,
  MapPrototypeGet,
  MapPrototypeGetSize,
  MapPrototypeHas,
  MapPrototypeKeys,
  MapPrototypeSet,
  ObjectCreate,
} from '../../primordials.ts';

interface Held {
  span: ReadableSpan;
  since: number;
  parent: string;
  released: boolean;
}

const kBase = Symbol('budobserve.span');

function withParent(span: ReadableSpan, parent: SpanContext | undefined): ReadableSpan {
  // The span is read through its properties; a child object overrides just this one, over
  // the original span however often it moves (no chain of prototypes).
  const base = (span as { [kBase]?: ReadableSpan })[kBase] ?? span;
  return ObjectCreate(base, { parentSpanContext: { value: parent, enumerable: true }, [kBase]: { value: base } });
}

export class SpanGate {
  readonly #maxHeld: number;
  readonly #maxHoldMs: number;
  /** Frames that gave out an id and are not decided yet. */
  readonly #open = new Map<string, Frame>();
  readonly #waiting = new Map<string, Held[]>();
  readonly #order: Held[] = [];
  /** Dropped calls that gave out an id, and where their children go instead (bounded). */
  readonly #dropped = new Map<string, SpanContext | undefined>();
  #forward: (span: ReadableSpan) => void = () => {};

  /** `maxHeld`: spans held waiting for a decision, at most; `maxHoldMs`: for how long. */
  constructor(maxHeld: number, maxHoldMs: number) {
    this.#maxHeld = maxHeld;
    this.#maxHoldMs = maxHoldMs;
  }

  /** A frame gave out its id (something started inside it): spans naming it wait for it. */
  readonly opened = (f: Frame): void => {
    if (f.id !== undefined && f.resolved === undefined) MapPrototypeSet(this.#open, f.id, f);
  };

  /** The call `id` was decided: kept (its own context) or dropped (the ancestor's). */
  decide(id: string, target: SpanContext | undefined): void {
    MapPrototypeDelete(this.#open, id);
    if (target?.spanId !== id) {
      MapPrototypeSet(this.#dropped, id, target);
      if (MapPrototypeGetSize(this.#dropped) > this.#maxHeld)
        MapPrototypeDelete(this.#dropped, MapIteratorNext(MapPrototypeKeys(this.#dropped)).value);
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
  readonly gate = (span: ReadableSpan): void => {
    // A span that ended after its parent call was dropped points at a call that will never
    // be a span: it goes to the ancestor instead, hop by hop (which may itself be undecided).
    let parentContext = span.parentSpanContext;
    let moved = false;
    let parent = parentContext?.spanId;
    let frame = parent === undefined ? undefined : MapPrototypeGet(this.#open, parent);
    for (
      let hops = 0;
      frame === undefined && parent !== undefined && hops < this.#maxHeld && MapPrototypeHas(this.#dropped, parent);
      hops++
    ) {
      parentContext = MapPrototypeGet(this.#dropped, parent);
      moved = true;
      parent = parentContext?.spanId;
      frame = parent === undefined ? undefined : MapPrototypeGet(this.#open, parent);
    }
    if (moved) span = withParent(span, parentContext);
    if (frame === undefined) {
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
