// Value parsers shared by the file and environment layers. Each takes the raw value and
// returns either { value } or { expected }, a phrase that completes "expected …" in the
// message the user sees. A list or map parser may also drop parts it cannot use (an
// unknown name, a header no request can carry) and say so in `dropped`; the rest stands.
// They never throw, and never put a secret's value in a message.
import { quote } from '../errors.ts';
import { didYouMean } from './suggest.ts';

export type Parsed<T> =
  | {
      ok: true;
      value: T;
      /**
       * Parts left out, each a phrase completing "<source>: …" that ends with what follows
       * from it. Parts dropped and nothing left: the resolver uses the next lower source.
       */
      dropped?: string[];
    }
  | { ok: false; expected: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (expected: string): Parsed<never> => ({ ok: false, expected });

export type Parser<T = unknown> = (raw: unknown, fromEnv: boolean) => Parsed<T>;

export const string: Parser<string> = (raw) =>
  typeof raw === 'string' && raw.trim() !== '' ? ok(raw.trim()) : bad('a non-empty string');

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

export const boolean: Parser<boolean> = (raw) => {
  if (typeof raw === 'boolean') return ok(raw);
  if (typeof raw === 'string') {
    const v = raw.trim().toLowerCase();
    if (TRUE.has(v)) return ok(true);
    if (FALSE.has(v)) return ok(false);
  }
  return bad('true or false');
};

export function number(min: number, max: number, integer = false): Parser<number> {
  const what = `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`;
  return (raw) => {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) return bad(what);
    return ok(n);
  };
}

export function oneOf<const T extends string>(values: readonly T[]): Parser<T> {
  const what = `one of ${values.map((v) => `'${v}'`).join(', ')}`;
  return (raw) => {
    const v = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
    return values.includes(v as T) ? ok(v as T) : bad(what);
  };
}

/** A comma-separated list in env, an array of strings in files. */
export const list: Parser<string[]> = (raw) => {
  if (typeof raw === 'string')
    return ok(
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  if (Array.isArray(raw) && raw.every((s) => typeof s === 'string'))
    return ok(raw.map((s) => s.trim()).filter(Boolean));
  return bad('a list of strings (comma-separated in an environment variable)');
};

/** Globs as strings; a config file may also give RegExps. */
export const patterns: Parser<Array<string | RegExp>> = (raw) => {
  if (typeof raw === 'string' || raw instanceof RegExp) raw = [raw];
  if (Array.isArray(raw) && raw.every((s) => typeof s === 'string' || s instanceof RegExp)) {
    const out: Array<string | RegExp> = [];
    for (const p of raw) {
      if (typeof p !== 'string') out.push(p);
      else for (const s of p.split(',')) if (s.trim()) out.push(s.trim());
    }
    return ok(out);
  }
  return bad('glob strings or RegExps (a comma-separated list in an environment variable)');
};

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000 };

/** `5ms`, `0.5s`, `250us`; a bare number is milliseconds. Returns milliseconds. */
export const duration: Parser<number> = (raw) => {
  const expected = "a duration such as '5ms', '0.5s' or '250us' (a bare number is milliseconds)";
  if (typeof raw === 'number') return Number.isFinite(raw) && raw >= 0 ? ok(raw) : bad(expected);
  if (typeof raw !== 'string') return bad(expected);
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ns|us|µs|ms|s|m)?\s*$/i.exec(raw);
  if (!m) return bad(expected);
  const unit = UNIT_MS[(m[2] ?? 'ms').toLowerCase()];
  return unit === undefined ? bad(expected) : ok(Number(m[1]) * unit);
};

export const url: Parser<string> = (raw) => {
  if (typeof raw !== 'string' || raw.trim() === '') return bad('an http:// or https:// URL');
  try {
    const u = new URL(raw.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return bad('an http:// or https:// URL');
    return ok(raw.trim());
  } catch {
    return bad('an http:// or https:// URL');
  }
};

/**
 * OTel's `key=value,key2=value2` (values percent-decoded, W3C-baggage style) in env;
 * a plain object of strings in files.
 */
export const keyValues: Parser<Record<string, string>> = (raw) => {
  const expected = 'key=value pairs separated by commas (an object of strings in a file)';
  const out: Record<string, string> = {};
  if (typeof raw === 'string') {
    for (const part of raw.split(',')) {
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      if (eq <= 0) return bad(expected);
      try {
        out[decodeURIComponent(part.slice(0, eq).trim())] = decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return bad(expected);
      }
    }
    return ok(out);
  }
  if (isPlainObject(raw)) {
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return bad(expected);
      out[k] = String(v);
    }
    return ok(out);
  }
  return bad(expected);
};

// Node's own rules (lib/_http_common.js): a header name is an RFC 9110 token, a value
// holds no control character but HTAB and no character above U+00FF. Checked here
// rather than with http.validateHeaderName/Value: loading node:http costs 12-16 ms at
// start-up, and the agent does not load it otherwise (test/config-values.test.mjs checks
// these against node:http character by character).
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const NOT_FIELD_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

export const headerName = (name: string): boolean => TOKEN.test(name);
export const headerValue = (value: string): boolean => !NOT_FIELD_CHAR.test(value);

/** An export request's headers: keyValues, less the entries a request cannot carry. */
export const headers: Parser<Record<string, string>> = (raw, fromEnv) => {
  const parsed = keyValues(raw, fromEnv);
  if (!parsed.ok) return parsed;
  const out: Record<string, string> = {};
  const bad: string[] = [];
  let i = 0;
  for (const [name, value] of Object.entries(parsed.value)) {
    i++;
    // Never the value; nor an invalid name, which is often a pasted `Authorization: Bearer …`.
    if (!headerName(name)) bad.push(`entry ${i} is not a valid HTTP header name (not printed: it may hold a secret)`);
    else if (!headerValue(value))
      bad.push(
        `the value of header ${quote(name, "'")} has a character no HTTP header can carry (CR, LF or another control character)`,
      );
    else out[name] = value;
  }
  if (bad.length === 0) return ok(out);
  const left =
    Object.keys(out).length > 0 ? 'export runs without it, the other headers are sent' : 'ignored, no header is left';
  return { ok: true, value: out, dropped: bad.map((b) => `${b}; ${left}`) };
};

/** A secret sent as (part of) a header value: the export token. */
export const headerText: Parser<string> = (raw, fromEnv) => {
  const parsed = string(raw, fromEnv);
  if (!parsed.ok || headerValue(parsed.value)) return parsed;
  return bad('text an HTTP header can carry (no CR, LF or other control character)');
};

/**
 * A list whose items are names from a known set (instrumentations, propagators,
 * exporters): unknown names are reported, with a did-you-mean, and dropped; the rest of
 * the list stands. `hint` says what is known when the set is short enough to list.
 */
export function names<const T extends string>(known: () => readonly T[], noun: string, hint?: string): Parser<T[]> {
  const isKnown = (set: ReadonlySet<string>, n: string): n is T => set.has(n);
  return (raw, fromEnv) => {
    const parsed = list(raw, fromEnv);
    if (!parsed.ok) return parsed;
    const set: ReadonlySet<string> = new Set(known());
    const good = parsed.value.filter((n) => isKnown(set, n));
    if (good.length === parsed.value.length) return { ok: true, value: good };
    // One message per list, at most five names, cut short: a 10,000-item list must not
    // become 10,000 warnings, nor a 20 KB name a 20 KB line. A did-you-mean only for one or
    // two unknown names: those are typos; a longer list of them is something else.
    const unknown = parsed.value.filter((n) => !set.has(n));
    const typos = unknown.length <= 2;
    const named = unknown
      .slice(0, 5)
      .map((n) => `${quote(n, "'", typos ? 80 : 24)}${typos && n.length <= 80 ? didYouMean(n, set) : ''}`)
      .join(', ');
    const more = unknown.length > 5 ? ` and ${unknown.length - 5} more` : '';
    const left = good.length > 0 ? 'ignored, the rest of the list is used' : 'ignored, no name is left';
    return {
      ok: true,
      value: good,
      dropped: [
        `unknown ${noun}${unknown.length > 1 ? 's' : ''} ${named}${more}${hint === undefined ? '' : ` (${hint})`}; ${left}`,
      ],
    };
  };
}

/** How scrubbing compiles an extra pattern: case-insensitive, Python's inline (?i) dropped. */
export function compilePattern(source: string): RegExp {
  return new RegExp(source.replace(/^\(\?i\)/, ''), 'i');
}

/** Regular expressions as text: those that do not compile are reported and dropped. */
export const regexps: Parser<string[]> = (raw, fromEnv) => {
  const parsed = list(raw, fromEnv);
  if (!parsed.ok) return parsed;
  const good: string[] = [];
  const bad: string[] = [];
  for (const source of parsed.value) {
    try {
      compilePattern(source);
      good.push(source);
    } catch (error) {
      // The engine's message repeats the pattern ("Invalid regular expression: /…/i: why").
      const why = String((error as Error).message)
        .split(': ')
        .at(-1);
      bad.push(`pattern ${quote(source, "'")} is not a valid regular expression (${why})`);
    }
  }
  if (bad.length === 0) return parsed;
  const left = good.length > 0 ? 'ignored, the other patterns are used' : 'ignored, no pattern is left';
  return { ok: true, value: good, dropped: bad.slice(0, 5).map((b) => `${b}; ${left}`) };
};

export interface ModelPrice {
  /** US dollars per million input (prompt) tokens. */
  input: number;
  /** US dollars per million output (completion) tokens. */
  output: number;
}

/**
 * LLM prices: `{ "model": { "input": 2.5, "output": 10 } }`, US dollars per million tokens;
 * JSON text in env, an object in a file.
 */
export const prices: Parser<Record<string, ModelPrice>> = (raw) => {
  const expected =
    'an object of { "<model>": { "input": <USD per 1M tokens>, "output": <USD per 1M tokens> } } (JSON text in a variable)';
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      return bad(expected);
    }
  }
  if (!isPlainObject(value)) return bad(expected);
  const out: Record<string, ModelPrice> = {};
  for (const [model, price] of Object.entries(value)) {
    if (!isPlainObject(price)) return bad(expected);
    const { input, output } = price;
    if (typeof input !== 'number' || typeof output !== 'number' || !(input >= 0) || !(output >= 0))
      return bad(expected);
    out[model] = { input, output };
  }
  return ok(out);
};

/** Values only a config file can give (functions, class instances). */
export function fileOnly<T>(check: (raw: unknown) => raw is T, expected: string): Parser<T> {
  return (raw, fromEnv) => (!fromEnv && check(raw) ? ok(raw) : bad(expected));
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
