// The resource and instrumentation-scope parts of a request, encoded once and kept: every
// batch repeats them. ResourceSpans.resource (and its schema_url, written after the scopes)
// is kept per Resource object, ScopeSpans.scope (and its schema_url) per scope object, each
// checked on use against what it was encoded from: a resource whose attributes settle later
// (SettlingResource, OTel's async resource) hands out a new attributes object then, and is
// encoded again. An attributes object changed in place is not seen (nothing in the SDK or the
// agent does that). Encoded as otlp-transformer's writeResource and writeInstrumentationScope.
// Owns the caches; must not encode spans.
import type { Attributes } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { writeAttributes } from './attributes.ts';
import type { ProtoWriter } from './writer.ts';
import * as tags from './tags.ts';

interface Encoded {
  /** The part before the spans (before the scopes, for a resource), its tag included. */
  head: Uint8Array;
  /** The schema_url field after them, or no bytes. */
  tail: Uint8Array;
}

interface ResourceEntry extends Encoded {
  attributes: Attributes | undefined;
  schemaUrl: string | undefined;
}

interface ScopeEntry extends Encoded {
  name: string;
  version: string | undefined;
  schemaUrl: string | undefined;
  attributes: Attributes | undefined;
  dropped: number | undefined;
}

type Scope = InstrumentationScope & { attributes?: Attributes; droppedAttributesCount?: number };

const resources = new WeakMap<Resource, ResourceEntry>();
const scopes = new WeakMap<InstrumentationScope, ScopeEntry>();

/** A copy of what `w` holds from `from` on. */
const copyFrom = (w: ProtoWriter, from: number): Uint8Array => Uint8Array.prototype.slice.call(w.buf, from, w.pos);

/** The schema_url field under `tag`, as bytes of its own (none when there is no URL). */
function schemaUrlField(w: ProtoWriter, tag: number, url: string | undefined): Uint8Array {
  if (!url) return new Uint8Array(0);
  const from = w.pos;
  w.byte(tag);
  w.string(url);
  const bytes = copyFrom(w, from);
  w.pos = from;
  return bytes;
}

/** Writes ResourceSpans.resource; returns what goes after the scopes. */
export function writeResource(w: ProtoWriter, resource: Resource): Uint8Array {
  // Read once: the SDK's resource logs an error each time it is read before it settles.
  const attributes = resource.attributes as Attributes | undefined;
  const schemaUrl = resource.schemaUrl;
  const known = resources.get(resource);
  if (known !== undefined && known.attributes === attributes && known.schemaUrl === schemaUrl) {
    w.raw(known.head);
    return known.tail;
  }
  const from = w.pos;
  w.byte(tags.RESOURCE_SPANS_RESOURCE);
  const at = w.begin(2);
  if (attributes) writeAttributes(w, attributes, tags.RESOURCE_ATTRIBUTE);
  w.byte(tags.RESOURCE_DROPPED_ATTRIBUTES);
  w.byte(0);
  w.end(at, 2);
  const entry: ResourceEntry = { attributes, schemaUrl, head: copyFrom(w, from), tail: new Uint8Array(0) };
  entry.tail = schemaUrlField(w, tags.RESOURCE_SPANS_SCHEMA_URL, schemaUrl);
  resources.set(resource, entry);
  return entry.tail;
}

/** Writes ScopeSpans.scope; returns what goes after the spans. */
export function writeScope(w: ProtoWriter, scope: Scope): Uint8Array {
  const { name, version, schemaUrl, attributes, droppedAttributesCount: dropped } = scope;
  const known = scopes.get(scope);
  if (
    known !== undefined &&
    known.name === name &&
    known.version === version &&
    known.schemaUrl === schemaUrl &&
    known.attributes === attributes &&
    known.dropped === dropped
  ) {
    w.raw(known.head);
    return known.tail;
  }
  const from = w.pos;
  w.byte(tags.SCOPE_SPANS_SCOPE);
  const at = w.begin(1);
  w.byte(tags.SCOPE_NAME);
  w.string(name);
  if (version) {
    w.byte(tags.SCOPE_VERSION);
    w.string(version);
  }
  if (attributes) writeAttributes(w, attributes, tags.SCOPE_ATTRIBUTE);
  if (dropped) {
    w.byte(tags.SCOPE_DROPPED_ATTRIBUTES);
    w.varint(dropped);
  }
  w.end(at, 1);
  const entry: ScopeEntry = {
    name,
    version,
    schemaUrl,
    attributes,
    dropped,
    head: copyFrom(w, from),
    tail: new Uint8Array(0),
  };
  entry.tail = schemaUrlField(w, tags.SCOPE_SPANS_SCHEMA_URL, schemaUrl);
  scopes.set(scope, entry);
  return entry.tail;
}
