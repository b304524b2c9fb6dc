// Attribute validation, copying and limits for the agent's spans (src/tracing/span-base.ts,
// which the SDK-replacing span and the auto-trace span both extend): the rules of
// @opentelemetry/core 3.0 (common/attributes.ts), the same warnings, the same values kept,
// dropped and counted, without its per-value cost. core checks every value with a new WeakSet
// and copies attributes through Object.entries; here a string, number or boolean costs a
// typeof, and only arrays and objects are walked (with a set of visited objects only once
// one nests another). Built-ins are the ones captured at load (src/primordials.ts).
// Owns those rules; must not know about spans or limits' sources.
import { diag } from '@opentelemetry/api';
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import {
  ArrayIsArray,
  ArrayPrototypeMap,
  ObjectEntries,
  ObjectGetOwnPropertySymbols,
  ObjectKeys,
  ObjectPrototypeHasOwnProperty,
  SetCtor,
  SetPrototypeAdd,
  SetPrototypeHas,
  StringPrototypeSubstring,
  Uint8ArrayPrototypeSlice,
} from '../primordials.ts';

/** What addAttribute did: core's AddAttributeDecision. */
export const DROP_UNDEFINED = 0;
export const DROP_INVALID = 1;
export const DROP_LIMIT_REACHED = 2;
export const ADD_NEW = 3;
export const ADD_OVERWRITE_EXISTING = 4;

/** The counts a clean reports, written into a caller's object (no result object per call). */
export interface CleanCounts {
  count: number;
  dropped: number;
}

type Check = (v: unknown) => boolean;

function isPrimitive(t: string): boolean {
  return t === 'string' || t === 'number' || t === 'boolean';
}

/**
 * core's isAnyValue: string, number, boolean, null, Uint8Array, arrays of these and plain
 * objects of these, no object reached twice. Without nested objects no object can be
 * reached twice, so the set of visited ones is made only when there is one.
 */
export function isAnyValue(val: unknown): boolean {
  const t = typeof val;
  if (isPrimitive(t)) return true;
  if (t !== 'object') return false;
  if (val === null || val instanceof Uint8Array) return true;
  if (ArrayIsArray(val)) {
    for (let i = 0; i < val.length; i++) {
      const item: unknown = val[i];
      if (item === undefined || item === null || isPrimitive(typeof item)) continue;
      return isAnyValueDeep(val, new SetCtor());
    }
    return true;
  }
  return isAnyValueDeep(val, new SetCtor());
}

function isAnyValueDeep(val: unknown, visited: Set<unknown>): boolean {
  const t = typeof val;
  if (isPrimitive(t)) return true;
  if (t !== 'object') return false;
  if (val === null || val instanceof Uint8Array) return true;
  if (SetPrototypeHas(visited, val)) return false;
  SetPrototypeAdd(visited, val);
  if (ArrayIsArray(val)) {
    for (let i = 0; i < val.length; i++) {
      const item: unknown = val[i];
      if (item !== undefined && !isAnyValueDeep(item, visited)) return false;
    }
    return true;
  }
  const obj = val as Record<string, unknown>;
  const ctor: unknown = obj.constructor;
  if (ctor !== Object && ctor !== undefined) return false;
  const keys = ObjectKeys(obj);
  for (let i = 0; i < keys.length; i++) {
    const v = obj[keys[i]!];
    if (v !== undefined && !isAnyValueDeep(v, visited)) return false;
  }
  return true;
}

/** core's isSimpleAttributeValue: a primitive, or an array of one primitive type (and nullish). */
export function isSimpleValue(val: unknown): boolean {
  if (!ArrayIsArray(val)) return isPrimitive(typeof val);
  let type: string | undefined;
  for (let i = 0; i < val.length; i++) {
    const element: unknown = val[i];
    if (element == null) continue;
    const elementType = typeof element;
    if (elementType === type) continue;
    if (type === undefined && isPrimitive(elementType)) {
      type = elementType;
      continue;
    }
    return false;
  }
  return true;
}

/** core's copyAndTruncAnyValue: strings and byte arrays cut at `limit`, arrays and objects copied. */
export function copyValue(val: unknown, limit: number): unknown {
  if (typeof val === 'string') return val.length <= limit ? val : StringPrototypeSubstring(val, 0, limit);
  if (typeof val !== 'object' || val === null) return val;
  if (val instanceof Uint8Array) return val.length <= limit ? val : Uint8ArrayPrototypeSlice(val, 0, limit);
  if (ArrayIsArray(val)) return ArrayPrototypeMap(val, (elem: unknown) => copyValue(elem, limit));
  const out: Record<string, unknown> = {};
  const obj = val as Record<string, unknown>;
  const keys = ObjectKeys(obj);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (obj[k] !== undefined) out[k] = copyValue(obj[k], limit);
  }
  return out;
}

/** core ignores (with a warning) a length limit that is not positive. */
function lengthLimit(limit: number): number {
  if (!(limit <= 0)) return limit;
  diag.warn(`Invalid attributeValueLengthLimit: must be positive, got ${limit} (ignoring)`);
  return Infinity;
}

/**
 * core's maybeAddAttribute: sets `key` in `attributes` (which holds `count` keys) within the
 * limits, and says what it did.
 */
export function addAttribute(
  attributes: Attributes,
  key: string,
  value: unknown,
  count: number,
  countLimit: number,
  valueLengthLimit: number,
): number {
  if (value === undefined) return DROP_UNDEFINED;
  if (key.length === 0) {
    diag.warn(`Invalid attribute key: ${key}`);
    return DROP_INVALID;
  }
  const isNewKey = !ObjectPrototypeHasOwnProperty(attributes, key);
  if (isNewKey && count >= countLimit) return DROP_LIMIT_REACHED;
  const t = typeof value;
  if (!isPrimitive(t) && !isAnyValue(value)) {
    diag.warn(`Invalid attribute value set for key: ${key}`);
    return DROP_INVALID;
  }
  const limit = lengthLimit(valueLengthLimit);
  attributes[key] = (t === 'number' || t === 'boolean' ? value : copyValue(value, limit)) as AttributeValue;
  return isNewKey ? ADD_NEW : ADD_OVERWRITE_EXISTING;
}

/**
 * core's cleanAttributesInternal: the valid attributes of `input` within the limits, in a new
 * object; `undefined` when `input` is not an object (core then returns neither attributes nor a
 * count, and the SDK's events and links have neither property).
 */
export function cleanAttributes(
  input: unknown,
  countLimit: number,
  valueLengthLimit: number,
  simple: boolean,
  counts: CleanCounts,
): Attributes | undefined {
  counts.count = 0;
  counts.dropped = 0;
  if (typeof input !== 'object' || input === null) return undefined;
  const check: Check = simple ? isSimpleValue : isAnyValue;
  const limit = lengthLimit(valueLengthLimit);
  const attributes: Attributes = {};
  const entries = ObjectEntries(input);
  let count = 0;
  let dropped = 0;
  for (let i = 0; i < entries.length; i++) {
    const [key, val] = entries[i]!;
    if (val === undefined) continue;
    if (count >= countLimit) {
      dropped++;
      continue;
    }
    if (key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      dropped++;
      continue;
    }
    if (!check(val)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      dropped++;
      continue;
    }
    attributes[key] = copyValue(val, limit) as AttributeValue;
    count++;
  }
  counts.count = count;
  counts.dropped = dropped;
  return attributes;
}

/**
 * The attributes a span starts with, as the SDK's Tracer first cleans them for the sampler (no
 * limits; invalid values dropped and counted). The common case, every value valid, is one
 * object spread and a typeof per value; anything else goes the way core does, from the spread
 * copy (so getters are not read twice).
 */
export function startAttributes(input: unknown, counts: CleanCounts): Attributes {
  counts.count = 0;
  counts.dropped = 0;
  if (typeof input !== 'object' || input === null) return {};
  const copy: Attributes = { ...input };
  // core goes through Object.entries: symbol keys are not attributes. `__proto__` would be an
  // own property of the spread copy, but a prototype assignment in core's fresh object.
  if (ObjectGetOwnPropertySymbols(copy).length === 0) {
    let count = 0;
    let valid = true;
    let holes = false;
    for (const key in copy) {
      const v: unknown = copy[key];
      if (!ObjectPrototypeHasOwnProperty(copy, key) || key.length === 0 || key === '__proto__') valid = false;
      else if (isPrimitive(typeof v)) {
        count++;
        continue;
      } else if (v === undefined) {
        // Left out, not counted, as core does; instrumentations pass many (no user agent, no port).
        holes = true;
        continue;
      } else if (isAnyValue(v)) {
        copy[key] = copyValue(v, Infinity) as AttributeValue;
        count++;
        continue;
      } else valid = false;
      break;
    }
    if (valid) {
      counts.count = count;
      return holes ? withoutUndefined(copy) : copy;
    }
  }
  return cleanAttributes(copy, Infinity, Infinity, false, counts)!;
}

/** A copy of `attrs` without its undefined values, in the same order (not `delete`, which makes a slow object). */
function withoutUndefined(attrs: Attributes): Attributes {
  const out: Attributes = {};
  for (const key in attrs) {
    const v = attrs[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}
