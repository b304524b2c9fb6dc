// Calls made before the SDK exists are kept, not lost: spans (and log-spans) become
// PendingSpans and metric measurements are queued, both bounded, and replayed into the real
// providers the first time the API runs after the agent has started (preloaded, or
// configure() from code). With the agent preloaded, nothing is ever pending.
import { metrics, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import type {
  Attributes,
  AttributeValue,
  Context,
  Exception,
  HrTime,
  Link,
  Meter,
  Span,
  SpanContext,
  SpanKind,
  SpanStatus,
  TimeInput,
  Tracer,
} from '@opentelemetry/api';
import { runningAgent } from '../agent-global.ts';
import { ATTR_SPAN_TYPE, ATTR_LEVEL_NUM, ATTR_DROPPED_BEFORE_START } from '../attributes.ts';
import { LEVEL_NUMBERS } from '../levels.ts';

const MAX_PENDING = 1000;

function hrNow(): HrTime {
  const ms = performance.timeOrigin + performance.now();
  return [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
}

function randomHex(bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++)
    s += Math.floor(Math.random() * 256)
      .toString(16)
      .padStart(2, '0');
  return s;
}

/** True once an SDK serves the global tracer: ours, or one the app set up itself. */
export function sdkReady(): boolean {
  if (runningAgent() !== undefined) return true;
  const provider = trace.getTracerProvider() as { getDelegate?: () => object };
  const delegate = provider.getDelegate?.() ?? provider;
  return delegate.constructor.name !== 'NoopTracerProvider';
}

type Recorded =
  | ['attr', string, AttributeValue]
  | ['event', string, Attributes | undefined, TimeInput | undefined]
  | ['exception', Exception, TimeInput | undefined]
  | ['status', SpanStatus]
  | ['name', string];

export class PendingSpan implements Span {
  real: Span | undefined;
  readonly #ctx: SpanContext;
  readonly #records: Recorded[] = [];
  readonly startTime: HrTime;
  endTime: HrTime | undefined;

  constructor(
    public name: string,
    readonly attributes: Attributes,
    readonly kind: SpanKind | undefined,
    readonly links: Link[] | undefined,
    readonly parent: PendingSpan | undefined,
  ) {
    this.startTime = hrNow();
    this.#ctx = {
      traceId: parent?.spanContext().traceId ?? randomHex(16),
      spanId: randomHex(8),
      traceFlags: TraceFlags.NONE,
    };
  }

  spanContext(): SpanContext {
    return this.real?.spanContext() ?? this.#ctx;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (this.real !== undefined) this.real.setAttribute(key, value);
    else this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const [k, v] of Object.entries(attributes)) if (v !== undefined) this.setAttribute(k, v);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.real !== undefined) this.real.addEvent(name, attributesOrTime, time);
    else this.#records.push(['event', name, attributesOrTime as Attributes | undefined, time ?? hrNow()]);
    return this;
  }

  addLink(link: Link): this {
    this.real?.addLink(link);
    return this;
  }

  addLinks(links: Link[]): this {
    this.real?.addLinks(links);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.real !== undefined) this.real.setStatus(status);
    else this.#records.push(['status', status]);
    return this;
  }

  updateName(name: string): this {
    if (this.real !== undefined) this.real.updateName(name);
    else this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.real !== undefined) this.real.end(endTime);
    else this.endTime ??= (endTime as HrTime | undefined) ?? hrNow();
  }

  isRecording(): boolean {
    return this.real?.isRecording() ?? this.endTime === undefined;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    if (this.real !== undefined) this.real.recordException(exception, time);
    else this.#records.push(['exception', exception, time ?? hrNow()]);
  }

  /** Creates the real span, replays what happened to this one, and forwards from now on. */
  replay(tracer: Tracer): void {
    const parentCtx: Context =
      this.parent?.real !== undefined ? trace.setSpan(ROOT_CONTEXT, this.parent.real) : ROOT_CONTEXT;
    const real = tracer.startSpan(
      this.name,
      {
        attributes: this.attributes,
        startTime: this.startTime,
        ...(this.kind === undefined ? {} : { kind: this.kind }),
        ...(this.links === undefined ? {} : { links: this.links }),
      },
      parentCtx,
    );
    for (const r of this.#records) {
      if (r[0] === 'event') real.addEvent(r[1], r[2], r[3]);
      else if (r[0] === 'exception') real.recordException(r[1], r[2]);
      else if (r[0] === 'status') real.setStatus(r[1]);
    }
    this.#records.length = 0;
    this.real = real;
    if (this.endTime !== undefined) real.end(this.endTime);
  }
}

type Measurement = {
  kind: 'add' | 'record';
  value: number;
  attributes: Attributes | undefined;
  target: ProxyInstrument;
};

const pendingSpans: PendingSpan[] = [];
const pendingMeasurements: Measurement[] = [];
let droppedBeforeStart = 0;
/** The innermost span callback running before the SDK existed: pending spans nest by it. */
let currentPending: PendingSpan | undefined;

export function startPending(
  name: string,
  attributes: Attributes,
  kind: SpanKind | undefined,
  links: Link[] | undefined,
  root: boolean,
): PendingSpan {
  const span = new PendingSpan(name, attributes, kind, links, root ? undefined : currentPending);
  if (pendingSpans.length >= MAX_PENDING) {
    pendingSpans.shift();
    droppedBeforeStart++;
  }
  pendingSpans.push(span);
  return span;
}

export function withPending<T>(span: PendingSpan, fn: () => T): T {
  const previous = currentPending;
  currentPending = span;
  try {
    return fn();
  } finally {
    currentPending = previous;
  }
}

/** Replays everything pending once an SDK is there; cheap when nothing is pending. */
export function flushPending(tracer: () => Tracer): void {
  if (pendingSpans.length === 0 && pendingMeasurements.length === 0) return;
  if (!sdkReady()) return;
  const t = tracer();
  for (const s of pendingSpans.splice(0)) s.replay(t);
  for (const m of pendingMeasurements.splice(0)) m.target.apply(m.kind, m.value, m.attributes);
  if (droppedBeforeStart > 0) {
    const dropped = droppedBeforeStart;
    droppedBeforeStart = 0;
    t.startSpan('budobserve: spans dropped before the agent started', {
      attributes: {
        [ATTR_SPAN_TYPE]: 'log',
        [ATTR_LEVEL_NUM]: LEVEL_NUMBERS.warn,
        [ATTR_DROPPED_BEFORE_START]: dropped,
      },
    }).end();
  }
}

export type InstrumentKind = 'counter' | 'histogram' | 'gauge' | 'upDownCounter';

/** A metric instrument that exists before the SDK does. */
interface RealInstrument {
  add?(v: number, a?: Attributes): void;
  record?(v: number, a?: Attributes): void;
}

export class ProxyInstrument {
  #real: RealInstrument | undefined;

  constructor(
    readonly kind: InstrumentKind,
    readonly name: string,
    readonly options: { unit?: string; description?: string },
    readonly meter: () => Meter,
  ) {}

  #instrument(): RealInstrument | undefined {
    if (this.#real !== undefined) return this.#real;
    if (!sdkReady()) return undefined;
    const m = this.meter();
    const o = this.options;
    this.#real =
      this.kind === 'counter'
        ? m.createCounter(this.name, o)
        : this.kind === 'histogram'
          ? m.createHistogram(this.name, o)
          : this.kind === 'gauge'
            ? m.createGauge(this.name, o)
            : m.createUpDownCounter(this.name, o);
    return this.#real;
  }

  apply(kind: 'add' | 'record', value: number, attributes: Attributes | undefined): void {
    const real = this.#instrument();
    if (real === undefined) {
      if (pendingMeasurements.length < MAX_PENDING * 10)
        pendingMeasurements.push({ kind, value, attributes, target: this });
      return;
    }
    if (kind === 'add') real.add?.(value, attributes);
    else real.record?.(value, attributes);
  }
}

export const meterOf = (name: string, version: string) => (): Meter => metrics.getMeter(name, version);
