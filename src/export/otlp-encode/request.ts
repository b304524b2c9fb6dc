// The agent's OTLP/protobuf encoding of a span batch: ReadableSpan[] straight to the bytes of
// an ExportTraceServiceRequest, in one pass over one reused buffer (writer.ts), with the
// resource and scope parts cached (resource-scope.ts). Spans are grouped by resource, then by
// instrumentation scope, both by identity and in order of first appearance, as
// otlp-transformer's serializeTraceExportRequest groups them: the output is byte-identical
// to the SDK's ProtobufTraceSerializer (test/otlp-encode.test.mjs), at a fraction of the
// cost (benchmarks/otlp-encode.mjs).
// Owns the request's layout; must not send, retry, scrub or drop spans.
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { writeResource, writeScope } from './resource-scope.ts';
import { writeSpan } from './span.ts';
import { ProtoWriter } from './writer.ts';
import * as tags from './tags.ts';

type Groups = Map<Resource, Map<InstrumentationScope, ReadableSpan[]>>;

/**
 * One writer for the process, made on the first request (a process that exports no span
 * keeps no buffer): encoding is synchronous and take() hands out a copy.
 */
let writer: ProtoWriter | undefined;

/** The spans by resource, then scope; consecutive spans of one scope (the usual batch) cost no lookup. */
function group(spans: readonly ReadableSpan[]): Groups {
  const groups: Groups = new Map();
  let lastResource: Resource | undefined;
  let lastScope: InstrumentationScope | undefined;
  let list: ReadableSpan[] = [];
  for (const span of spans) {
    const resource = span.resource;
    const scope = span.instrumentationScope;
    if (resource !== lastResource || scope !== lastScope || lastResource === undefined) {
      let byScope = groups.get(resource);
      if (byScope === undefined) groups.set(resource, (byScope = new Map<InstrumentationScope, ReadableSpan[]>()));
      let found = byScope.get(scope);
      if (found === undefined) byScope.set(scope, (found = []));
      list = found;
      lastResource = resource;
      lastScope = scope;
    }
    list.push(span);
  }
  return groups;
}

/** The ExportTraceServiceRequest carrying `spans`, as protobuf bytes of its own. */
export function encodeTraceRequest(spans: readonly ReadableSpan[]): Uint8Array {
  const w = (writer ??= new ProtoWriter());
  w.reset();
  for (const [resource, byScope] of group(spans)) {
    w.byte(tags.REQUEST_RESOURCE_SPANS);
    const resourceSpans = w.begin(3);
    const resourceTail = writeResource(w, resource);
    for (const list of byScope.values()) {
      w.byte(tags.RESOURCE_SPANS_SCOPE_SPANS);
      const scopeSpans = w.begin(3);
      const scopeTail = writeScope(w, list[0]!.instrumentationScope);
      for (let i = 0; i < list.length; i++) {
        w.byte(tags.SCOPE_SPANS_SPAN);
        writeSpan(w, list[i]!);
      }
      w.raw(scopeTail);
      w.end(scopeSpans, 3);
    }
    w.raw(resourceTail);
    w.end(resourceSpans, 3);
  }
  return w.take();
}

/** What OtlpHttpExporter needs of a serializer, for the trace signal over OTLP/HTTP protobuf. */
export const traceProtobufSerializer = {
  serializeRequest: (spans: ReadableSpan[]): Uint8Array => encodeTraceRequest(spans),
};
