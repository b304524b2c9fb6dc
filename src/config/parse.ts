// Value parsers shared by the file and environment layers. Each takes the raw value and
// returns either { value } or { expected }, a phrase that completes "expected …" in the
// message the user sees. They never throw.

export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

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
  if (typeof raw === 'string') return ok(raw.split(',').map((s) => s.trim()).filter(Boolean));
  if (Array.isArray(raw) && raw.every((s) => typeof s === 'string')) return ok(raw.map((s) => s.trim()).filter(Boolean));
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
  const expected = "key=value pairs separated by commas (an object of strings in a file)";
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
  const expected = 'an object of { "<model>": { "input": <USD per 1M tokens>, "output": <USD per 1M tokens> } } (JSON text in a variable)';
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
    if (typeof input !== 'number' || typeof output !== 'number' || !(input >= 0) || !(output >= 0)) return bad(expected);
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
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
