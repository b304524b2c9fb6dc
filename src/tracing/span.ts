// The span of the agent's tracer (tracer.ts), in place of @opentelemetry/sdk-trace's SpanImpl:
// the same API and ReadableSpan, the same times for every kind of time the caller gives, and
// one clock read per start and per end (clock.ts). A span timed by the clock keeps numbers;
// its startTime, endTime and duration HrTimes are made when first read (by the exporter,
// after the app's call) and then kept. Times the caller gives become HrTimes right away, the
// way SpanImpl._getTime makes them.
// Owns the span's times and its end; must not sample or choose ids (tracer.ts).
import { diag } from '@opentelemetry/api';
import type { Attributes, AttributeValue, HrTime, Link, SpanContext, SpanKind, TimeInput } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { ArrayPrototypeSlice, MathRound, MathTrunc } from '../primordials.ts';
import {
  addMillis,
  anchorAt,
  hrTimeDuration,
  isHrTime,
  millisToHrTime,
  monotonicNow,
  monotonicToHrTime,
  wallNow,
} from './clock.ts';
import type { SpanLimits } from './limits.ts';
import { SpanBase } from './span-base.ts';
import type { SpanPipe } from './span-base.ts';

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');
const NOT_YET = -1;

/** A resource's attributes known so far, without the getter that warns while detectors run (as the SDK's inspect). */
function settledAttributes(resource: Resource): Attributes {
  const out: Attributes = {};
  for (const [k, v] of resource.getRawAttributes()) {
    if (typeof (v as { then?: unknown } | undefined)?.then === 'function') continue;
    if (v != null) out[k] ??= v as AttributeValue;
  }
  return out;
}

export class LeanSpan extends SpanBase {
  /** performance.now() at the start. */
  _p0: number;
  /** The start in epoch milliseconds, when the clock timed it (no startTime given). */
  _t0: number;
  /** performance.now() at an end the clock timed; NOT_YET before. */
  _p1 = NOT_YET;
  /** A start time was given (even one that is not a time): SpanImpl then ends on the wall clock. */
  _startTimeProvided: boolean;
  _startHr: HrTime | undefined;
  _endHr: HrTime | undefined = undefined;
  _durationHr: HrTime | undefined = undefined;

  constructor(
    pipe: SpanPipe,
    limits: SpanLimits,
    name: string,
    kind: SpanKind,
    spanContext: SpanContext,
    parentSpanContext: SpanContext | undefined,
    attributes: Attributes,
    attributesCount: number,
    droppedAttributesCount: number,
    links: Link[],
    droppedLinksCount: number,
    startTime: TimeInput | undefined,
  ) {
    super(
      pipe,
      limits,
      name,
      kind,
      spanContext,
      parentSpanContext,
      attributes,
      attributesCount,
      droppedAttributesCount,
      links,
      droppedLinksCount,
    );
    const p = monotonicNow();
    this._p0 = p;
    this._t0 = p + anchorAt(p);
    this._startTimeProvided = startTime != null;
    this._startHr = this._startTimeProvided ? this._givenTime(startTime, p) : undefined;
  }

  get startTime(): HrTime {
    return (this._startHr ??= millisToHrTime(this._t0));
  }
  // SpanImpl's times are plain fields: a processor may set them.
  set startTime(value: HrTime) {
    // Once ended, SpanImpl's end and duration stay as they were.
    if (this._p1 !== NOT_YET) {
      this._endHr = this.endTime;
      this._durationHr = this.duration;
    }
    this._startHr = value;
  }

  get endTime(): HrTime {
    if (this._endHr !== undefined) return this._endHr;
    if (this._p1 === NOT_YET) return (this._endHr = [0, 0]);
    return (this._endHr = addMillis(this.startTime, this._p1 - this._p0));
  }
  set endTime(value: HrTime) {
    if (this._p1 !== NOT_YET) this._durationHr = this.duration;
    this._endHr = value;
  }

  /**
   * The start and the end into `out` as [seconds, nanoseconds, seconds, nanoseconds], the
   * numbers startTime and endTime would give (millisToHrTime and addMillis, clock.ts, into
   * numbers), while both are the clock's and not yet made: the exporter reads them once, and
   * so makes no two HrTime arrays per span. False otherwise (then read startTime, endTime).
   */
  _clockTimes(out: Float64Array): boolean {
    if (this._startHr !== undefined || this._endHr !== undefined || this._p1 === NOT_YET) return false;
    const t0 = this._t0;
    const s0 = MathTrunc(t0 / 1e3);
    const n0 = MathRound((t0 % 1e3) * 1e6);
    const ms = this._p1 - this._p0;
    let s1 = s0 + MathTrunc(ms / 1e3);
    let n1 = n0 + MathRound((ms % 1e3) * 1e6);
    if (n1 >= 1e9) {
      n1 -= 1e9;
      s1 += 1;
    }
    out[0] = s0;
    out[1] = n0;
    out[2] = s1;
    out[3] = n1;
    return true;
  }

  get duration(): HrTime {
    if (this._durationHr !== undefined) return this._durationHr;
    if (this._p1 === NOT_YET) return [-1, -1];
    return (this._durationHr = hrTimeDuration(this.startTime, this.endTime));
  }

  /**
   * SpanImpl._getTime for a given time: a number no later than performance.now() is on its
   * clock, a larger one is epoch milliseconds; a Date; an HrTime as it is. Anything else is
   * now, on the wall clock (SpanImpl: Date.now()).
   */
  _givenTime(time: unknown, p: number): HrTime {
    if (typeof time === 'number') return time <= p ? monotonicToHrTime(time) : millisToHrTime(time);
    if (time instanceof Date) return millisToHrTime(time.getTime());
    if (isHrTime(time)) return time;
    return millisToHrTime(p + anchorAt(p));
  }

  /** SpanImpl._getTime: a given time, or now (the wall clock, or the start plus the monotonic time since). */
  _getTime(time: unknown): HrTime {
    const p = monotonicNow();
    if (time != null && (typeof time === 'number' || time instanceof Date || isHrTime(time)))
      return this._givenTime(time, p);
    if (this._startTimeProvided) return millisToHrTime(p + anchorAt(p));
    return addMillis(this.startTime, p - this._p0);
  }

  _eventTime(time: TimeInput | undefined): HrTime {
    return this._getTime(time);
  }

  end(endTime?: TimeInput): void {
    if (this._isSpanEnded()) {
      const { traceId, spanId } = this._spanContext;
      diag.error(`${this.name} ${traceId}-${spanId} - You can only call end() on a span once.`);
      return;
    }
    const given = endTime != null && (typeof endTime === 'number' || endTime instanceof Date || isHrTime(endTime));
    if (!given && !this._startTimeProvided) {
      // Timed by the clock at both ends: the HrTimes wait until read, and cannot be reversed.
      this._p1 = monotonicNow();
      this._endHr = undefined;
      this._durationHr = undefined;
    } else {
      this._p1 = this._p0;
      const end = given ? this._givenTime(endTime, monotonicNow()) : millisToHrTime(wallNow());
      this._finish(end);
    }
    if (this._droppedEventsCount > 0)
      diag.warn(`Dropped ${this._droppedEventsCount} events because eventCountLimit reached`);
    if (this._droppedLinksCount > 0)
      diag.warn(`Dropped ${this._droppedLinksCount} links because linkCountLimit reached`);
    const processor = this._pipe.processor;
    if (processor.onEnding !== undefined) processor.onEnding(this);
    this._ended = true;
    processor.onEnd(this);
  }

  /** An end time that is not the clock's: the duration now, never negative (as SpanImpl.end). */
  _finish(end: HrTime): void {
    const start = this.startTime;
    let duration = hrTimeDuration(start, end);
    if (duration[0] < 0) {
      diag.warn('Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.', start, end);
      end = ArrayPrototypeSlice(start) as HrTime;
      duration = [0, 0];
    }
    this._endHr = end;
    this._durationHr = duration;
  }

  [inspectCustom](
    depth: number,
    options: { stylize?: (s: string, style: string) => string; depth?: number | null } | undefined,
    inspect: ((v: unknown, o: unknown) => string) | undefined,
  ): unknown {
    const payload = {
      name: this.name,
      kind: this.kind,
      spanContext: this._spanContext,
      parentSpanContext: this.parentSpanContext,
      status: this.status,
      startTime: this.startTime,
      endTime: this.endTime,
      duration: this.duration,
      ended: this._ended,
      attributes: this.attributes,
      events: this.events,
      links: this.links,
      droppedAttributesCount: this._droppedAttributesCount,
      droppedEventsCount: this._droppedEventsCount,
      droppedLinksCount: this._droppedLinksCount,
      instrumentationScope: this.instrumentationScope,
      resource: { attributes: settledAttributes(this.resource) },
    };
    if (depth < 0) return options?.stylize ? options.stylize('[Span]', 'special') : '[Span]';
    if (typeof inspect !== 'function' || options === undefined) return payload;
    return `Span ${inspect(payload, { ...options, depth: options.depth == null ? options.depth : options.depth - 1 })}`;
  }
}
