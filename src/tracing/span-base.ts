// What every span the agent makes does alike, whoever times it: attributes, events, links,
// status, name and recorded exceptions, by the rules (and with the diag messages) of
// @opentelemetry/sdk-trace 3.0's SpanImpl, which the agent's spans replace. Extended by the
// span of the agent's tracer (span.ts), which adds the SDK's times, and by the auto-trace
// span (src/autotrace/runtime/span.ts), which has its runtime's clock. Runs inside the app's
// calls, so only built-ins captured at load (src/primordials.ts). No #private fields: the
// auto-trace gate re-parents a span through Object.create(span), where those do not exist.
// Owns those shared operations; must not read clocks or decide sampling.
import { diag, SpanStatusCode } from '@opentelemetry/api';
import type {
  Attributes,
  AttributeValue,
  Exception,
  HrTime,
  Link,
  SpanContext,
  SpanKind,
  SpanStatus,
  TimeInput,
} from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace';
import {
  ArrayIsArray,
  ArrayPrototypePush,
  ArrayPrototypeShift,
  ObjectDefineProperty,
  ObjectPrototypeHasOwnProperty,
} from '../primordials.ts';
import { ADD_NEW, addAttribute, cleanAttributes, DROP_LIMIT_REACHED } from './attributes.ts';
import type { CleanCounts } from './attributes.ts';
import { isHrTime } from './clock.ts';
import type { SpanLimits } from './limits.ts';

/** What a span needs from the tracer that made it. */
export interface SpanPipe {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  /** The processor chain, in the order the SDK's spans go through it. */
  readonly processor: SpanProcessor;
}

// Written by the cleaning functions and read right after each call (spans start and record
// one at a time; a getter that starts a span mid-clean has finished before the read).
const counts: CleanCounts = { count: 0, dropped: 0 };

/** core's isTimeInput. */
export function isTimeInput(value: unknown): value is TimeInput {
  return isHrTime(value) || typeof value === 'number' || value instanceof Date;
}

/** A link as the SDK keeps it: its attributes cleaned, both properties absent without any. */
export function cleanLink(link: Link, limits: SpanLimits): Link {
  const attributes = cleanAttributes(
    link.attributes,
    limits.attributePerLinkCountLimit,
    limits.attributeValueLengthLimit,
    false,
    counts,
  );
  return attributes === undefined
    ? { context: link.context }
    : { context: link.context, attributes, droppedAttributesCount: counts.dropped };
}

/**
 * An Error's stack, read when the span is exported rather than in the app's call: V8
 * formats a stack on first read, which runs Error.prepareStackTrace (with source maps on,
 * Node's own, which calls Array.prototype.map on Node 26) and costs more than the rest of
 * the span. Read once, then kept.
 */
function lazyStack(attributes: Attributes, error: Error): void {
  let value: string | undefined;
  ObjectDefineProperty(attributes, 'exception.stacktrace', {
    enumerable: true,
    configurable: true,
    get(): string {
      if (value === undefined) {
        const s: unknown = error.stack;
        value = typeof s === 'string' ? s : '';
      }
      return value;
    },
  });
}

/**
 * The attributes of an exception event, as SpanImpl.recordException reads them (truthy
 * values), or undefined when there is neither a type nor a message. `lazy`: an Error's stack
 * is read on export (lazyStack). `shape.strings`: every value is a string (nothing to clean).
 */
export function exceptionAttributes(
  exception: Exception,
  lazy: boolean,
  shape: { strings: boolean },
): Attributes | undefined {
  const attributes: Attributes = {};
  let strings = true;
  const put = (key: string, value: unknown): void => {
    if (typeof value !== 'string') strings = false;
    attributes[key] = value as AttributeValue;
  };
  if (typeof exception === 'string') put('exception.message', exception);
  else if (exception) {
    const e = exception as { code?: unknown; name?: unknown; message?: unknown; stack?: unknown };
    // A string code is itself (String.prototype.toString, which an app may replace, is not called).
    if (e.code) put('exception.type', typeof e.code === 'string' ? e.code : (e.code as object).toString());
    else if (e.name) put('exception.type', e.name);
    if (e.message) put('exception.message', e.message);
    if (lazy && exception instanceof Error) lazyStack(attributes, exception);
    else if (e.stack) put('exception.stacktrace', e.stack);
  }
  shape.strings = strings;
  return attributes['exception.type'] || attributes['exception.message'] ? attributes : undefined;
}

const exceptionShape = { strings: true };

export abstract class SpanBase {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext?: SpanContext;
  attributes: Attributes;
  links: Link[];
  events: TimedEvent[] = [];
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  _spanContext: SpanContext;
  _pipe: SpanPipe;
  _limits: SpanLimits;
  _ended = false;
  _attributesCount: number;
  _droppedAttributesCount: number;
  _droppedEventsCount = 0;
  _droppedLinksCount: number;

  /** `attributes` and `links` are already clean (and within the limits): they are kept as they are. */
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
  ) {
    this.name = name;
    this.kind = kind;
    // Always an own property, as on the SDK's spans (undefined for a root).
    (this as { parentSpanContext?: SpanContext | undefined }).parentSpanContext = parentSpanContext;
    this.attributes = attributes;
    this.links = links;
    this._spanContext = spanContext;
    this._pipe = pipe;
    this._limits = limits;
    this._attributesCount = attributesCount;
    this._droppedAttributesCount = droppedAttributesCount;
    this._droppedLinksCount = droppedLinksCount;
  }

  /** An event's time: undefined (now) or what the caller gave. */
  abstract _eventTime(time: TimeInput | undefined): HrTime;

  /** Whether an Error's stack is read on export rather than when it is recorded. */
  _lazyStack(): boolean {
    return false;
  }

  /** recordException() found neither a type nor a message. */
  _unrecorded(exception: Exception): void {
    diag.warn(`Failed to record an exception ${exception as string}`);
  }

  get resource(): Resource {
    return this._pipe.resource;
  }
  get instrumentationScope(): InstrumentationScope {
    return this._pipe.scope;
  }
  get ended(): boolean {
    return this._ended;
  }
  get droppedAttributesCount(): number {
    return this._droppedAttributesCount;
  }
  get droppedEventsCount(): number {
    return this._droppedEventsCount;
  }
  get droppedLinksCount(): number {
    return this._droppedLinksCount;
  }

  spanContext(): SpanContext {
    return this._spanContext;
  }

  isRecording(): boolean {
    return this._ended === false;
  }

  _isSpanEnded(): boolean {
    if (this._ended) {
      const { traceId, spanId } = this._spanContext;
      const error = new Error(`Operation attempted on ended Span {traceId: ${traceId}, spanId: ${spanId}}`);
      diag.warn(`Cannot execute the operation on ended Span {traceId: ${traceId}, spanId: ${spanId}}`, error);
    }
    return this._ended;
  }

  setAttribute(key: string, value?: AttributeValue): this {
    if (this._isSpanEnded()) return this;
    const limits = this._limits;
    const decision = addAttribute(
      this.attributes,
      key,
      value,
      this._attributesCount,
      limits.attributeCountLimit,
      limits.attributeValueLengthLimit,
    );
    if (decision === DROP_LIMIT_REACHED) {
      this._droppedAttributesCount++;
      if (this._droppedAttributesCount === 1) diag.warn('Dropping extra attributes.');
    } else if (decision === ADD_NEW) this._attributesCount++;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes)
      if (ObjectPrototypeHasOwnProperty(attributes, key)) this.setAttribute(key, attributes[key]);
    return this;
  }

  /** Room for one more event: false when none are allowed; else the oldest goes at the limit. */
  _eventRoom(): boolean {
    const limit = this._limits.eventCountLimit;
    if (limit === 0) {
      diag.warn('No events allowed.');
      this._droppedEventsCount++;
      return false;
    }
    if (this.events.length >= limit) {
      if (this._droppedEventsCount === 0) diag.debug('Dropping extra events.');
      ArrayPrototypeShift(this.events);
      this._droppedEventsCount++;
    }
    return true;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, timeStamp?: TimeInput): this {
    if (this._isSpanEnded() || !this._eventRoom()) return this;
    let input: unknown = attributesOrStartTime;
    if (isTimeInput(input)) {
      if (!isTimeInput(timeStamp)) timeStamp = input;
      input = undefined;
    }
    const time = this._eventTime(timeStamp);
    const limits = this._limits;
    const attributes = cleanAttributes(
      input,
      limits.attributePerEventCountLimit,
      limits.attributeValueLengthLimit,
      true,
      counts,
    );
    ArrayPrototypePush<TimedEvent>(
      this.events,
      attributes === undefined ? { name, time } : { name, time, attributes, droppedAttributesCount: counts.dropped },
    );
    return this;
  }

  addLink(link: Link): this {
    if (this._isSpanEnded()) return this;
    const limits = this._limits;
    if (limits.linkCountLimit === 0) {
      this._droppedLinksCount++;
      return this;
    }
    if (this.links.length >= limits.linkCountLimit) {
      if (this._droppedLinksCount === 0) diag.debug('Dropping extra links.');
      ArrayPrototypeShift(this.links);
      this._droppedLinksCount++;
    }
    ArrayPrototypePush(this.links, cleanLink(link, limits));
    return this;
  }

  addLinks(links: Link[]): this {
    if (ArrayIsArray(links)) for (let i = 0; i < links.length; i++) this.addLink(links[i]!);
    else for (const link of links as Iterable<Link>) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this._isSpanEnded()) return this;
    if (status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    const next: SpanStatus = { code: status.code };
    if (status.code === SpanStatusCode.ERROR) {
      const message: unknown = status.message;
      if (typeof message === 'string') next.message = message;
      else if (message != null)
        diag.warn(`Dropping invalid status.message of type '${typeof message}', expected 'string'`);
    }
    this.status = next;
    return this;
  }

  updateName(name: string): this {
    if (this._isSpanEnded()) return this;
    this.name = name;
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes = exceptionAttributes(exception, this._lazyStack(), exceptionShape);
    if (attributes === undefined) {
      this._unrecorded(exception);
      return;
    }
    const limits = this._limits;
    // Strings within the limits come out of the event's cleaning as they went in: kept as
    // they are, which also keeps a lazy stack lazy.
    if (
      !exceptionShape.strings ||
      limits.attributeValueLengthLimit !== Infinity ||
      limits.attributePerEventCountLimit < 3
    ) {
      this.addEvent('exception', attributes, time);
      return;
    }
    if (this._isSpanEnded() || !this._eventRoom()) return;
    const at = this._eventTime(time);
    ArrayPrototypePush<TimedEvent>(this.events, {
      name: 'exception',
      time: at,
      attributes,
      droppedAttributesCount: 0,
    });
  }
}
