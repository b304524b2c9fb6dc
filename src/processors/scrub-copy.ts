// The scrubber's output objects: copies of spans and log records with new attributes, the
// marker that replaces a secret, a callback's answer as an attribute value, and the fail-closed
// copy made when scrubbing itself fails, and the list of replacements (logfire.scrubbed) a copy carries.
// Owns building copies; must not decide what is a secret (scrub-rules.ts, scrub-credentials.ts).
import type { AnyValue, Attributes, AttributeValue, SpanStatus } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { SAFE_KEYS } from './scrub-rules.ts';
import { ATTR_SCRUBBED } from '../attributes.ts';

/** Where in a span or record a value was: section, key, index… */
export type Path = Array<string | number>;
/** `prefix` with the key (and index) of a value under it. */
export const at = (prefix: Path, a: string | number | undefined, b?: number): Path =>
  a === undefined ? prefix : b === undefined ? [...prefix, a] : [...prefix, a, b];
/** One replacement, as logfire.scrubbed lists it. */
export interface Note {
  path: Path;
  matched_substring: string;
}

/** Adds logfire.scrubbed (after any list already there); `copied`: the attributes are already a copy. */
export function withNotes(attributes: Attributes, notes: readonly Note[] | undefined, copied: boolean): Attributes {
  if (notes === undefined) return attributes;
  let earlier: unknown;
  try {
    earlier = JSON.parse(String(attributes[ATTR_SCRUBBED] ?? '[]'));
  } catch {
    /* not a list: replaced */
  }
  const out = copied ? attributes : { ...attributes };
  out[ATTR_SCRUBBED] = JSON.stringify(Array.isArray(earlier) ? [...(earlier as unknown[]), ...notes] : notes);
  return out;
}

export const marker = (reason: string): string => `[Scrubbed due to '${reason}']`;

/** What a callback returned, as an OTel attribute value. */
export function toAttribute(v: unknown): AttributeValue {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

// Explicit copies: the SDK's span and log record keep fields behind getters, which a
// spread or Object.create would lose or break.
export function copySpan(
  s: ReadableSpan,
  attributes: Attributes,
  events = s.events,
  links = s.links,
  status: SpanStatus = s.status,
): ReadableSpan {
  return {
    name: s.name,
    kind: s.kind,
    spanContext: () => s.spanContext(),
    ...(s.parentSpanContext === undefined ? {} : { parentSpanContext: s.parentSpanContext }),
    startTime: s.startTime,
    endTime: s.endTime,
    status,
    attributes,
    links,
    events,
    duration: s.duration,
    ended: s.ended,
    resource: s.resource,
    instrumentationScope: s.instrumentationScope,
    droppedAttributesCount: s.droppedAttributesCount,
    droppedEventsCount: s.droppedEventsCount,
    droppedLinksCount: s.droppedLinksCount,
  };
}

export function copyLog(r: ReadableLogRecord, attributes: Attributes, body: AnyValue | undefined): ReadableLogRecord {
  return {
    hrTime: r.hrTime,
    hrTimeObserved: r.hrTimeObserved,
    resource: r.resource,
    instrumentationScope: r.instrumentationScope,
    attributes,
    droppedAttributesCount: r.droppedAttributesCount,
    ...(r.spanContext === undefined ? {} : { spanContext: r.spanContext }),
    ...(r.severityText === undefined ? {} : { severityText: r.severityText }),
    ...(r.severityNumber === undefined ? {} : { severityNumber: r.severityNumber }),
    ...(r.eventName === undefined ? {} : { eventName: r.eventName }),
    ...(body === undefined ? {} : { body }),
  };
}

// Fail closed: a bug in the scrubber must not be the way a secret gets out. Names, times and
// safe keys survive; every other value is replaced, and the warning says so.
export function blank(attrs: Attributes | undefined): Attributes {
  const out: Attributes = {};
  for (const k in attrs) out[k] = SAFE_KEYS.has(k) ? attrs[k] : marker('scrubbing error');
  return out;
}

export function failClosed(span: ReadableSpan): ReadableSpan {
  try {
    return copySpan(
      span,
      blank(span.attributes),
      span.events.map((e) => ({ ...e, attributes: blank(e.attributes) })),
      span.links.map((l) => ({ ...l, attributes: blank(l.attributes) })),
      { code: span.status.code },
    );
  } catch {
    return copySpan(span, {}, [], [], { code: 0 });
  }
}
