// One Span message from a ReadableSpan (the SDK's span or any object implementing it), with
// its events, links and status, field by field in otlp-transformer's order and with its
// choices: trace_state and parent_span_id only when set, kind shifted by one (OTLP keeps 0
// for unspecified), the dropped counts always written, and the W3C `flags` field: the trace
// flags with "has is_remote" (0x100) and, for a remote parent or link, "is remote" (0x200).
// Owns the span's encoding; must not group spans nor encode the resource or scope.
import type { Link, SpanStatus } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { writeAttributes } from './attributes.ts';
import { writeHrTime, writeTime } from './time.ts';
import type { ProtoWriter } from './writer.ts';
import * as tags from './tags.ts';

const CONTEXT_HAS_IS_REMOTE = 0x100;
const CONTEXT_IS_REMOTE = 0x200;

/** The agent's own spans (src/tracing/span.ts) give their clock times as numbers. */
interface ClockTimed {
  _clockTimes(out: Float64Array): boolean;
}
const times = new Float64Array(4);

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  const flags = (traceFlags & 0xff) | CONTEXT_HAS_IS_REMOTE;
  return isRemote ? flags | CONTEXT_IS_REMOTE : flags;
}

/** The span as a length-delimited message (its tag is the caller's). */
export function writeSpan(w: ProtoWriter, span: ReadableSpan): void {
  // Two bytes kept for the length: most spans are 128 bytes to 16 KiB.
  const at = w.begin(2);
  const ctx = span.spanContext();
  w.byte(tags.SPAN_TRACE_ID);
  w.id(ctx.traceId);
  w.byte(tags.SPAN_SPAN_ID);
  w.id(ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    w.byte(tags.SPAN_TRACE_STATE);
    w.string(traceState);
  }
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.byte(tags.SPAN_PARENT_SPAN_ID);
    w.id(parent.spanId);
  }
  w.byte(tags.SPAN_NAME);
  w.string(span.name);
  const kind = (span.kind as number | undefined) == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    w.byte(tags.SPAN_KIND);
    w.varint(kind);
  }
  if ((span as ReadableSpan & Partial<ClockTimed>)._clockTimes?.(times) === true) {
    w.byte(tags.SPAN_START_TIME);
    writeTime(w, times[0]!, times[1]!);
    w.byte(tags.SPAN_END_TIME);
    writeTime(w, times[2]!, times[3]!);
  } else {
    w.byte(tags.SPAN_START_TIME);
    writeHrTime(w, span.startTime);
    w.byte(tags.SPAN_END_TIME);
    writeHrTime(w, span.endTime);
  }
  if (span.attributes) writeAttributes(w, span.attributes, tags.SPAN_ATTRIBUTE);
  w.byte(tags.SPAN_DROPPED_ATTRIBUTES);
  w.varint(span.droppedAttributesCount);
  for (const event of span.events) writeEvent(w, event);
  w.byte(tags.SPAN_DROPPED_EVENTS);
  w.varint(span.droppedEventsCount);
  for (const link of span.links) writeLink(w, link);
  w.byte(tags.SPAN_DROPPED_LINKS);
  w.varint(span.droppedLinksCount);
  writeStatus(w, span.status);
  w.raw(tags.SPAN_FLAGS);
  w.fixed32(spanFlags(ctx.traceFlags, parent?.isRemote));
  w.end(at, 2);
}

function writeEvent(w: ProtoWriter, event: TimedEvent): void {
  w.byte(tags.SPAN_EVENT);
  const at = w.begin(1);
  w.byte(tags.EVENT_TIME);
  writeHrTime(w, event.time);
  w.byte(tags.EVENT_NAME);
  w.string(event.name);
  if (event.attributes) writeAttributes(w, event.attributes, tags.EVENT_ATTRIBUTE);
  w.byte(tags.EVENT_DROPPED_ATTRIBUTES);
  w.varint(event.droppedAttributesCount || 0);
  w.end(at, 1);
}

function writeLink(w: ProtoWriter, link: Link): void {
  w.byte(tags.SPAN_LINK);
  const at = w.begin(1);
  const ctx = link.context;
  w.byte(tags.LINK_TRACE_ID);
  w.id(ctx.traceId);
  w.byte(tags.LINK_SPAN_ID);
  w.id(ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    w.byte(tags.LINK_TRACE_STATE);
    w.string(traceState);
  }
  if (link.attributes) writeAttributes(w, link.attributes, tags.LINK_ATTRIBUTE);
  w.byte(tags.LINK_DROPPED_ATTRIBUTES);
  w.varint(link.droppedAttributesCount || 0);
  w.byte(tags.LINK_FLAGS);
  w.fixed32(spanFlags(ctx.traceFlags, ctx.isRemote));
  w.end(at, 1);
}

function writeStatus(w: ProtoWriter, status: SpanStatus): void {
  w.byte(tags.SPAN_STATUS);
  const at = w.begin(1);
  if (status.message) {
    w.byte(tags.STATUS_MESSAGE);
    w.string(status.message);
  }
  w.byte(tags.STATUS_CODE);
  w.varint(status.code);
  w.end(at, 1);
}
