// The field tags (field number << 3 | wire type) the trace encoder writes, precomputed, by
// message, from opentelemetry-proto's trace.proto, common.proto and resource.proto. All but
// Span.flags (field 16) fit one byte. Owns the numbers; must not write anything.

const LEN = 2;
const VARINT = 0;
const I64 = 1;
const I32 = 5;
const tag = (field: number, wire: number): number => (field << 3) | wire;

/** ExportTraceServiceRequest, ResourceSpans and ScopeSpans. */
export const REQUEST_RESOURCE_SPANS = tag(1, LEN);
export const RESOURCE_SPANS_RESOURCE = tag(1, LEN);
export const RESOURCE_SPANS_SCOPE_SPANS = tag(2, LEN);
export const RESOURCE_SPANS_SCHEMA_URL = tag(3, LEN);
export const SCOPE_SPANS_SCOPE = tag(1, LEN);
export const SCOPE_SPANS_SPAN = tag(2, LEN);
export const SCOPE_SPANS_SCHEMA_URL = tag(3, LEN);

/** Resource and InstrumentationScope. */
export const RESOURCE_ATTRIBUTE = tag(1, LEN);
export const RESOURCE_DROPPED_ATTRIBUTES = tag(2, VARINT);
export const SCOPE_NAME = tag(1, LEN);
export const SCOPE_VERSION = tag(2, LEN);
export const SCOPE_ATTRIBUTE = tag(3, LEN);
export const SCOPE_DROPPED_ATTRIBUTES = tag(4, VARINT);

/** Span. */
export const SPAN_TRACE_ID = tag(1, LEN);
export const SPAN_SPAN_ID = tag(2, LEN);
export const SPAN_TRACE_STATE = tag(3, LEN);
export const SPAN_PARENT_SPAN_ID = tag(4, LEN);
export const SPAN_NAME = tag(5, LEN);
export const SPAN_KIND = tag(6, VARINT);
export const SPAN_START_TIME = tag(7, I64);
export const SPAN_END_TIME = tag(8, I64);
export const SPAN_ATTRIBUTE = tag(9, LEN);
export const SPAN_DROPPED_ATTRIBUTES = tag(10, VARINT);
export const SPAN_EVENT = tag(11, LEN);
export const SPAN_DROPPED_EVENTS = tag(12, VARINT);
export const SPAN_LINK = tag(13, LEN);
export const SPAN_DROPPED_LINKS = tag(14, VARINT);
export const SPAN_STATUS = tag(15, LEN);
/** Span.flags, field 16, fixed32: its tag as the two varint bytes it takes. */
export const SPAN_FLAGS = new Uint8Array([(tag(16, I32) & 0x7f) | 0x80, tag(16, I32) >>> 7]);

/** Span.Event, Span.Link, Status. */
export const EVENT_TIME = tag(1, I64);
export const EVENT_NAME = tag(2, LEN);
export const EVENT_ATTRIBUTE = tag(3, LEN);
export const EVENT_DROPPED_ATTRIBUTES = tag(4, VARINT);
export const LINK_TRACE_ID = tag(1, LEN);
export const LINK_SPAN_ID = tag(2, LEN);
export const LINK_TRACE_STATE = tag(3, LEN);
export const LINK_ATTRIBUTE = tag(4, LEN);
export const LINK_DROPPED_ATTRIBUTES = tag(5, VARINT);
export const LINK_FLAGS = tag(6, I32);
export const STATUS_MESSAGE = tag(2, LEN);
export const STATUS_CODE = tag(3, VARINT);

/** KeyValue, AnyValue, ArrayValue, KeyValueList. */
export const KEY_VALUE_KEY = tag(1, LEN);
export const KEY_VALUE_VALUE = tag(2, LEN);
export const ANY_STRING = tag(1, LEN);
export const ANY_BOOL = tag(2, VARINT);
export const ANY_INT = tag(3, VARINT);
export const ANY_DOUBLE = tag(4, I64);
export const ANY_ARRAY = tag(5, LEN);
export const ANY_KVLIST = tag(6, LEN);
export const ANY_BYTES = tag(7, LEN);
export const ARRAY_VALUE = tag(1, LEN);
export const KVLIST_VALUE = tag(1, LEN);
