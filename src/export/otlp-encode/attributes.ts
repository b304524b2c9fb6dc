// Attributes as repeated KeyValue, and every AnyValue kind, decided as otlp-transformer's
// writeAnyValue decides: a string; a boolean; a number as int_value when it is an integer in
// [-2^63, 2^63), else as double_value (NaN, the infinities, fractions, larger integers); a
// Uint8Array as bytes; an array as ArrayValue; another object as KeyValueList; anything else
// (undefined, null, a bigint, a function) as an empty AnyValue, which is what the SDK sends.
// Own enumerable keys in for-in order, as the SDK's. Owns that encoding; must not filter or
// rename attributes (scrubbing is the processors').
import type { ProtoWriter } from './writer.ts';
import {
  ANY_ARRAY,
  ANY_BOOL,
  ANY_BYTES,
  ANY_DOUBLE,
  ANY_INT,
  ANY_KVLIST,
  ANY_STRING,
  ARRAY_VALUE,
  KEY_VALUE_KEY,
  KEY_VALUE_VALUE,
  KVLIST_VALUE,
} from './tags.ts';

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;
// Called as hasOwn.call(record, key) inside for-in, the form V8 turns into an enum-cache
// check; Object.hasOwn measured ~10% slower on the whole encoder.
// eslint-disable-next-line @typescript-eslint/unbound-method -- always called with .call()
const hasOwn = Object.prototype.hasOwnProperty;

/** Each own key of `attributes` as a KeyValue under `tag` (its field in the enclosing message). */
export function writeAttributes(w: ProtoWriter, attributes: object, tag: number): void {
  const record = attributes as Record<string, unknown>;
  for (const key in record) {
    if (!hasOwn.call(record, key)) continue;
    w.byte(tag);
    writeKeyValue(w, key, record[key]);
  }
}

/** One KeyValue message, its length included. */
function writeKeyValue(w: ProtoWriter, key: string, value: unknown): void {
  const kv = w.begin(1);
  w.byte(KEY_VALUE_KEY);
  w.string(key);
  w.byte(KEY_VALUE_VALUE);
  const any = w.begin(1);
  writeAnyValue(w, value);
  w.end(any, 1);
  w.end(kv, 1);
}

/** The fields of one AnyValue (its length is the caller's). */
function writeAnyValue(w: ProtoWriter, value: unknown): void {
  const type = typeof value;
  if (type === 'string') {
    w.byte(ANY_STRING);
    w.string(value as string);
  } else if (type === 'boolean') {
    w.byte(ANY_BOOL);
    w.byte(value ? 1 : 0);
  } else if (type === 'number') {
    const n = value as number;
    if (Number.isInteger(n) && n >= MIN_INT64 && n < MAX_INT64) {
      w.byte(ANY_INT);
      w.varint(n);
    } else {
      w.byte(ANY_DOUBLE);
      w.double(n);
    }
  } else if (value instanceof Uint8Array) {
    w.byte(ANY_BYTES);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    writeArray(w, value);
  } else if (type === 'object' && value !== null) {
    writeKvList(w, value as Record<string, unknown>);
  }
}

function writeArray(w: ProtoWriter, values: unknown[]): void {
  w.byte(ANY_ARRAY);
  const array = w.begin(1);
  for (const item of values) {
    w.byte(ARRAY_VALUE);
    const any = w.begin(1);
    writeAnyValue(w, item);
    w.end(any, 1);
  }
  w.end(array, 1);
}

function writeKvList(w: ProtoWriter, record: Record<string, unknown>): void {
  w.byte(ANY_KVLIST);
  const list = w.begin(1);
  for (const key in record) {
    if (!hasOwn.call(record, key)) continue;
    w.byte(KVLIST_VALUE);
    writeKeyValue(w, key, record[key]);
  }
  w.end(list, 1);
}
