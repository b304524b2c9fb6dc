// Message templates and attribute values. `'User {name} logged in'` keeps the template as
// the span name and logfire.msg_template, and the formatted text as logfire.msg. Lookups
// follow Logfire: `{user.name}`, `{items[0]}`, `{value=}` (name and value), and a format
// spec after `:` where it makes sense for JavaScript values (`.2f`, `,`, `>8`, `%`).
// Formatting never throws: a missing key leaves its placeholder as written.
import type { AttributeValue, Attributes } from '@opentelemetry/api';
import { ATTR_JSON_SCHEMA } from '../attributes.ts';

const PLACEHOLDER = /\{\{|\}\}|\{([^{}]*)\}/g;

function lookup(attrs: Record<string, unknown>, path: string): { found: boolean; value?: unknown } {
  if (Object.hasOwn(attrs, path)) return { found: true, value: attrs[path] };
  let cur: unknown = attrs;
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+|'[^']*'|"[^"]*")\]/g)) {
    const key = m[1] ?? m[2]!.replace(/^['"]|['"]$/g, '');
    if (cur === null || cur === undefined) return { found: false };
    const next = cur instanceof Map ? (cur as Map<unknown, unknown>).get(key) : (cur as Record<string, unknown>)[key];
    if (next === undefined && !(typeof cur === 'object' && key in cur)) return { found: false };
    cur = next;
  }
  return { found: true, value: cur };
}

function applySpec(value: unknown, spec: string): string {
  const m = /^(?:(.)?([<>^]))?(\d+)?(,)?(?:\.(\d+))?([fde%s])?$/.exec(spec);
  if (m === null) return display(value);
  const [, fill = ' ', align, width, comma, precision, type] = m;
  let text: string;
  if (typeof value === 'number' || typeof value === 'bigint') {
    let n = Number(value);
    if (type === '%') n *= 100;
    text =
      precision !== undefined || type === 'f' || type === '%'
        ? n.toFixed(precision === undefined ? 6 : Number(precision))
        : type === 'e'
          ? n.toExponential(precision === undefined ? undefined : Number(precision))
          : String(n);
    if (comma !== undefined) {
      const [int = '', frac] = text.split('.');
      text = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (frac === undefined ? '' : `.${frac}`);
    }
    if (type === '%') text += '%';
  } else {
    text = display(value);
    if (precision !== undefined) text = text.slice(0, Number(precision));
  }
  const w = width === undefined ? 0 : Number(width);
  if (text.length >= w) return text;
  const pad = fill.repeat(w - text.length);
  const a = align ?? (typeof value === 'number' ? '>' : '<');
  if (a === '>') return pad + text;
  if (a === '^') return pad.slice(0, Math.floor(pad.length / 2)) + text + pad.slice(Math.floor(pad.length / 2));
  return text + pad;
}

/** The text a value shows in a message: strings as they are, everything else as JSON. */
export function display(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null)
    return String(value);
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  return safeStringify(value);
}

export function formatMessage(template: string, attrs: Record<string, unknown>): string {
  if (!template.includes('{') && !template.includes('}')) return template;
  try {
    return template.replace(PLACEHOLDER, (whole, inner: string | undefined) => {
      if (inner === undefined) return whole === '{{' ? '{' : '}';
      let expr = inner.trim();
      let spec = '';
      const colon = expr.indexOf(':');
      if (colon >= 0) {
        spec = expr.slice(colon + 1);
        expr = expr.slice(0, colon).trim();
      }
      const magic = expr.endsWith('=');
      if (magic) expr = expr.slice(0, -1).trim();
      if (expr === '') return whole;
      const { found, value } = lookup(attrs, expr);
      if (!found) return whole;
      const text = spec === '' ? display(value) : applySpec(value, spec);
      return magic ? `${expr}=${typeof value === 'string' ? JSON.stringify(value) : text}` : text;
    });
  } catch {
    return template;
  }
}

const MAX_JSON = 64 * 1024;

/** JSON for attribute values: Dates, Maps, Sets, BigInts, Errors and binary data kept readable; cycles cut. */
export function safeStringify(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    const text =
      JSON.stringify(value, function replacer(this: Record<string, unknown>, key: string, v: unknown) {
        // toJSON has already run on v (a Buffer arrives as {type, data}); the holder has the original.
        const original = key === '' ? value : this[key];
        if (Buffer.isBuffer(original)) return original.toString('base64');
        if (typeof v === 'bigint') return v.toString();
        if (typeof v === 'function') return `[Function ${v.name || 'anonymous'}]`;
        if (typeof v === 'symbol') return v.toString();
        if (v === null || typeof v !== 'object') return v;
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
        if (v instanceof Map)
          return Object.fromEntries([...v].map(([k, x]) => [typeof k === 'string' ? k : safeStringify(k), x]));
        if (v instanceof Set) return [...(v as Set<unknown>)];
        if (v instanceof Error)
          return { name: v.name, message: v.message, ...(v.stack === undefined ? {} : { stack: v.stack }) };
        if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
        return v;
      }) ?? 'undefined';
    return text.length > MAX_JSON ? `${text.slice(0, MAX_JSON)}…` : text;
  } catch {
    return '"[unserializable]"';
  }
}

// A BudObserve key beside JSON Schema's own, as Logfire uses x-python-datatype: it tells a
// viewer what the serialized JSON was in the program.
const DATATYPE = 'x-budobserve-datatype';

export function jsonSchemaOf(value: unknown): Record<string, unknown> {
  if (value === null) return { type: 'null' };
  switch (typeof value) {
    case 'string':
      return { type: 'string' };
    case 'number':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'bigint':
      return { type: 'string', [DATATYPE]: 'BigInt' };
    case 'undefined':
      return { type: 'null' };
    case 'function':
      return { type: 'string', [DATATYPE]: 'Function' };
    default:
      break;
  }
  if (value instanceof Date) return { type: 'string', format: 'date-time', [DATATYPE]: 'Date' };
  if (value instanceof Error) return { type: 'object', [DATATYPE]: 'Error', title: value.name };
  if (value instanceof Map) return { type: 'object', [DATATYPE]: 'Map' };
  if (value instanceof Set) return { type: 'array', [DATATYPE]: 'Set' };
  if (Buffer.isBuffer(value)) return { type: 'string', format: 'base64', [DATATYPE]: 'Buffer' };
  if (ArrayBuffer.isView(value)) return { type: 'array', [DATATYPE]: value.constructor.name };
  if (Array.isArray(value)) return { type: 'array' };
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  const name = proto?.constructor?.name;
  return name === undefined || name === 'Object' ? { type: 'object' } : { type: 'object', [DATATYPE]: name };
}

function isPrimitiveArray(v: unknown[]): boolean {
  if (v.length === 0) return true;
  const t = typeof v[0];
  return (t === 'string' || t === 'number' || t === 'boolean') && v.every((x) => typeof x === t);
}

/**
 * OTel attributes from user values: primitives and homogeneous primitive arrays as they
 * are, everything else as JSON, described in logfire.json_schema.
 */
export function toAttributes(values: Record<string, unknown>, into: Attributes = {}): Attributes {
  let schema: Record<string, unknown> | undefined;
  for (const [key, v] of Object.entries(values)) {
    if (v === undefined) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      into[key] = v;
      continue;
    }
    if (Array.isArray(v) && isPrimitiveArray(v)) {
      into[key] = v as AttributeValue;
      continue;
    }
    into[key] = typeof v === 'bigint' ? v.toString() : v instanceof Date ? display(v) : safeStringify(v);
    (schema ??= {})[key] = jsonSchemaOf(v);
  }
  if (schema !== undefined) into[ATTR_JSON_SCHEMA] = JSON.stringify({ type: 'object', properties: schema });
  return into;
}
