// Scrubbing: values that look like secrets are replaced by `[Scrubbed due to '<pattern>']`
// before telemetry leaves the process, and each replacement is listed in `logfire.scrubbed`.
// Semantics follow Python Logfire's scrubber: a key that matches scrubs its value, a string
// value that contains a pattern is scrubbed, JSON inside strings is scrubbed recursively, a
// callback may keep a match. It runs where spans are exported and printed, not in onEnd, so
// the app's span.end() pays nothing (benchmarks/scrubbing.mjs measures both placements).
// Owns walking spans and log records and replacing what matched; the patterns themselves
// are in scrub-rules.ts. Must not change spans in place.
import type { AnyValue, Attributes, AttributeValue, Link, SpanStatus } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ResolvedConfig, ScrubMatch } from '../config/types.ts';
import { warn } from '../errors.ts';
import {
  anyOf, compilePatterns, compileTemplate, decodeUriPart, keyInfo, QUERY_PARAM, replaceSqlLiterals, SAFE_KEYS, secretName,
  TOKEN_NAME, URL_HINT, USERINFO, USERINFO_PASSWORD,
} from './scrub-rules.ts';
import type { KeyInfo, Pattern, Template } from './scrub-rules.ts';

type Path = Array<string | number>;
interface Note { path: Path; matched_substring: string }

export interface ScrubOptions {
  extraPatterns?: string[];
  callback?: (match: ScrubMatch) => unknown;
  /** Replace the literals of every SQL statement, not only of those that match. */
  dbStatements?: boolean;
  /** The agent's own export token: any value containing it is scrubbed. */
  token?: string;
}

const ATTRIBUTES: Path = ['attributes'];
const STATUS: Path = ['otel_status_message'];
const BODY: Path = ['log_body'];
const MAX_DEPTH = 32;
const KEY_CACHE_MAX = 4096;

const marker = (reason: string): string => `[Scrubbed due to '${reason}']`;

/** What a callback returned, as an OTel attribute value. */
function toAttribute(v: unknown): AttributeValue {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export class Scrubber {
  readonly #patterns: Pattern[];
  /** All patterns as one RegExp: the single test most strings get. */
  readonly #any: RegExp | undefined;
  readonly #keys = new Map<string, KeyInfo>();
  readonly #templates = new Map<string, Template & { keyed: boolean }>();
  readonly #token: Pattern | undefined;
  readonly #callback: ((match: ScrubMatch) => unknown) | undefined;
  readonly #sql: boolean;
  #notes: Note[] | undefined;

  constructor(opts: ScrubOptions = {}) {
    this.#patterns = compilePatterns(opts.extraPatterns ?? [], opts.token);
    this.#any = anyOf(this.#patterns);
    this.#token = this.#patterns.find((p) => p.name === TOKEN_NAME);
    this.#callback = opts.callback;
    this.#sql = opts.dbStatements === true;
  }

  /** The same span when nothing matched, else a copy with the secrets replaced. */
  scrubSpan(span: ReadableSpan): ReadableSpan {
    const saved = this.#notes; // a callback could end a span that is printed right away
    this.#notes = undefined;
    try {
      const attributes = this.#attributes(span.attributes, ATTRIBUTES);
      const events = this.#each(span.events, 'otel_events');
      const links = this.#each(span.links, 'links');
      let status: SpanStatus | undefined;
      const message = span.status.message;
      if (message !== undefined && this.#maybe(message)) {
        const m = this.#string(message, STATUS, 0);
        if (m !== message) status = { ...span.status, message: String(m) };
      }
      if (attributes === undefined && events === undefined && links === undefined && status === undefined) return span;
      return copySpan(span, this.#withNotes(attributes ?? span.attributes, attributes !== undefined), events, links, status);
    } catch (error) {
      warn('BUDOBSERVE_INTERNAL', 'scrubbing failed; the attribute values of the affected spans were replaced', { cause: error, once: 'scrub' });
      return failClosed(span);
    } finally {
      this.#notes = saved;
    }
  }

  /** scrubSpan for a batch: the same array when no span changed. */
  scrubSpans(spans: ReadableSpan[]): ReadableSpan[] {
    let out: ReadableSpan[] | undefined;
    for (let i = 0; i < spans.length; i++) {
      const s = this.scrubSpan(spans[i]!);
      if (s !== spans[i]) (out ??= spans.slice())[i] = s;
    }
    return out ?? spans;
  }

  /** Attributes and body of a log record; the same record when nothing matched. */
  scrubLogRecord(record: ReadableLogRecord): ReadableLogRecord {
    const saved = this.#notes;
    this.#notes = undefined;
    try {
      const attributes = this.#attributes(record.attributes, ATTRIBUTES);
      const body = this.#nested(record.body, BODY, 0);
      if (attributes === undefined && body === record.body) return record;
      return copyLog(record, this.#withNotes(attributes ?? record.attributes, attributes !== undefined), body as AnyValue | undefined);
    } catch (error) {
      warn('BUDOBSERVE_INTERNAL', 'scrubbing failed; the attribute values of the affected log records were replaced', { cause: error, once: 'scrub-log' });
      return copyLog(record, blank(record.attributes), record.body === undefined ? undefined : marker('scrubbing error'));
    } finally {
      this.#notes = saved;
    }
  }

  /** Events or links: a copy of the list when some item's attributes changed. */
  #each<T extends TimedEvent | Link>(items: T[], section: string): T[] | undefined {
    let out: T[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const a = item.attributes === undefined ? undefined : this.#attributes(item.attributes, [section, i, 'attributes']);
      if (a !== undefined) (out ??= items.slice())[i] = { ...item, attributes: a };
    }
    return out;
  }

  /** Adds logfire.scrubbed (after any list already there); `copied`: the attributes are our own copy. */
  #withNotes(attributes: Attributes, copied: boolean): Attributes {
    if (this.#notes === undefined) return attributes;
    let earlier: unknown;
    try {
      earlier = JSON.parse(String(attributes['logfire.scrubbed'] ?? '[]'));
    } catch { /* not a list: replaced */ }
    const out = copied ? attributes : { ...attributes };
    out['logfire.scrubbed'] = JSON.stringify(Array.isArray(earlier) ? [...earlier, ...this.#notes] : this.#notes);
    return out;
  }

  /** A copy with scrubbed values, or undefined when nothing changed (and nothing allocated). */
  #attributes(attrs: Attributes, prefix: Path): Attributes | undefined {
    let out: Attributes | undefined;
    for (const key in attrs) {
      const value = attrs[key];
      const next = this.#attribute(key, value, prefix, attrs);
      if (next !== value) (out ??= { ...attrs })[key] = next as AttributeValue;
    }
    return out;
  }

  // Paths are built only once something matched: the common span allocates nothing.
  #attribute(key: string, value: unknown, prefix: Path, attrs: Attributes): unknown {
    // A boolean or nothing cannot leak a secret, whatever its key says.
    if (value === undefined || value === null || typeof value === 'boolean') return value;
    const k = this.#key(key);
    if (k.safe) return value;
    if (k.pattern !== null) return this.#redact([...prefix, key], value, k.pattern, true);
    if (typeof value === 'string') {
      if (k.shape === 'url' || k.shape === 'query') return this.#url(value, prefix, key, k.shape === 'query');
      if (k.shape === 'message') return this.#message(value, attrs['logfire.msg_template'], prefix);
      if (k.shape === 'sql' && this.#sql) return this.#statement(value, [...prefix, key], attrs);
      if (!this.#maybe(value)) return value;
      if (k.shape === 'sql') return this.#statement(value, [...prefix, key], attrs);
      return k.shape === 'stack' ? this.#stack(value, [...prefix, key]) : this.#string(value, [...prefix, key], 0);
    }
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const x: unknown = value[i];
        if (typeof x !== 'string' || !this.#maybe(x)) continue;
        const n = this.#string(x, [...prefix, key, i], 0);
        if (n !== x) (out ??= value.slice())[i] = typeof n === 'string' ? n : JSON.stringify(n);
      }
      return out ?? value;
    }
    return typeof value === 'object' ? this.#nested(value, [...prefix, key], 1) : value;
  }

  #key(key: string): KeyInfo {
    return this.#keys.get(key) ?? this.#newKey(key);
  }

  // Apart from #key: a closure there would cost every call a context allocation.
  #newKey(key: string): KeyInfo {
    const k = keyInfo(key, this.#patterns);
    if (this.#keys.size < KEY_CACHE_MAX) this.#keys.set(key, k);
    return k;
  }

  /** One RegExp test: false means no pattern can match; true is confirmed by #valuePattern. */
  #maybe(s: string): boolean {
    return this.#any === undefined ? this.#valuePattern(s) !== undefined : this.#any.test(s);
  }

  #valuePattern(s: string): Pattern | undefined {
    // A value that is nothing but the word ('password', 'Session') names a thing, it is not one.
    return this.#patterns.find((p) => p.value.test(s) && p.whole?.test(s) !== true);
  }

  /** A string known to match: parsed and scrubbed inside when it is JSON, else replaced. */
  #string(s: string, path: Path, depth: number): unknown {
    const p = this.#valuePattern(s);
    if (p === undefined) return s;
    if (depth < MAX_DEPTH && /^\s*[[{]/.test(s)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(s);
      } catch {
        return this.#redact(path, s, p, depth === 0);
      }
      const next = this.#nested(parsed, path, depth + 1);
      return next === parsed ? s : JSON.stringify(next);
    }
    return this.#redact(path, s, p, depth === 0);
  }

  /** Parsed JSON and structured log values: arrays, plain objects and the strings inside. */
  #nested(v: unknown, path: Path, depth: number): unknown {
    if (typeof v === 'string') return this.#maybe(v) ? this.#string(v, path, depth) : v;
    if (v === null || typeof v !== 'object' || depth > MAX_DEPTH || ArrayBuffer.isView(v)) return v;
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const n = this.#nested(v[i], [...path, i], depth + 1);
        if (n !== v[i]) (out ??= v.slice())[i] = n;
      }
      return out ?? v;
    }
    let out: Record<string, unknown> | undefined;
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined || x === null || typeof x === 'boolean') continue;
      const { safe, pattern: p } = this.#key(k);
      if (safe) continue;
      const n = p === null ? this.#nested(x, [...path, k], depth + 1) : this.#redact([...path, k], x, p, false);
      if (n !== x) (out ??= { ...v })[k] = n;
    }
    return out ?? v;
  }

  /** A URL stays readable: only secret query values and a userinfo password go. */
  #url(url: string, prefix: Path, key: string, queryOnly: boolean): unknown {
    return !this.#maybe(url) && !URL_HINT.test(url) ? url : this.#urlParts(url, [...prefix, key], queryOnly);
  }

  #urlParts(url: string, path: Path, queryOnly: boolean): unknown {
    let out = !url.includes('@') ? url : url.replace(USERINFO, (m, user: string, pass: string) => {
      const r = this.#redact([...path, 'password'], decodeUriPart(pass), USERINFO_PASSWORD, true);
      return r === decodeUriPart(pass) ? m : `${user}:${String(r)}@`;
    });
    const q = queryOnly ? 0 : out.search(/[?#]/);
    if (q >= 0) {
      out = out.slice(0, q) + out.slice(q).replace(QUERY_PARAM, (m, sep: string, rawName: string, raw: string) => {
        if (raw === '' || raw === 'REDACTED') return m; // REDACTED: already done by the instrumentation
        const name = decodeUriPart(rawName);
        const value = decodeUriPart(raw);
        const p = this.#key(name).pattern ?? secretName(name) ?? this.#valuePattern(value);
        if (p === null || p === undefined) return m;
        const r = this.#redact([...path, name], value, p, true);
        return r === value ? m : `${sep}${rawName}=${String(r)}`;
      });
    }
    // The token anywhere else (a path segment, a fragment) takes the whole URL.
    if (this.#token?.value.test(out) === true) return this.#redact(path, url, this.#token, true);
    return out;
  }

  /**
   * The formatted message: its template's own words are code, not data, so only the values
   * put into it are scrubbed, in place, a `{password}` by its name (as Logfire does when
   * formatting). A message that does not follow its template is scanned whole.
   */
  #message(msg: string, template: unknown, prefix: Path): unknown {
    if (typeof template !== 'string') return this.#maybe(msg) ? this.#string(msg, [...prefix, 'logfire.msg'], 0) : msg;
    const t = this.#templates.get(template) ?? this.#newTemplate(template);
    if (!t.keyed && !this.#maybe(msg)) return msg;
    const m = t.re.exec(msg);
    if (m === null) return this.#string(msg, [...prefix, 'logfire.msg'], 0);
    let out = t.literals[0]!;
    for (let i = 0; i < t.fields.length; i++) {
      const field = t.fields[i]!;
      const value = m[i + 1]!;
      const p = this.#key(field).pattern;
      const next = p !== null ? this.#redact([...prefix, 'logfire.msg', field], value, p, true) : this.#maybe(value) ? this.#string(value, [...prefix, 'logfire.msg', field], 0) : value;
      out += String(next) + t.literals[i + 1]!;
    }
    return out;
  }

  #newTemplate(template: string): Template & { keyed: boolean } {
    const t = { ...compileTemplate(template), keyed: false };
    t.keyed = t.fields.some((f) => this.#key(f).pattern !== null);
    if (this.#templates.size < KEY_CACHE_MAX) this.#templates.set(template, t);
    return t;
  }

  /** SQL keeps its shape: on a match (always, with dbStatements) its literals become ?. */
  #statement(sql: string, path: Path, attrs: Attributes): unknown {
    if (/^\s*[[{]/.test(sql)) return this.#string(sql, path, 0); // MongoDB's statements are JSON
    const system = attrs['db.system.name'] ?? attrs['db.system'];
    const mysql = system === 'mysql' || system === 'mariadb';
    if (this.#sql) return replaceSqlLiterals(sql, mysql);
    const p = this.#valuePattern(sql);
    const stripped = p === undefined ? sql : replaceSqlLiterals(sql, mysql);
    // A matching word outside every literal is a table or column name (`sessions`), not a secret.
    return stripped === sql ? sql : this.#redact(path, sql, p!, true, stripped);
  }

  /** A stack trace keeps its frames (code locations); its message part is scanned. */
  #stack(stack: string, path: Path): unknown {
    const at = stack.search(/\n\s+at /);
    const head = at < 0 ? stack : stack.slice(0, at);
    const next = this.#string(head, path, 0);
    return next === head ? stack : String(next) + (at < 0 ? '' : stack.slice(at));
  }

  /**
   * The callback may keep a match, and its answer is exported; anything else, a throw
   * included, scrubs it. `top`: the answer must be an OTel attribute value.
   */
  #redact(path: Path, value: unknown, p: Pattern, top: boolean, replacement?: string): unknown {
    if (this.#callback !== undefined) {
      let kept: unknown;
      try {
        kept = this.#callback({ path, value, pattern: p.name });
      } catch (error) {
        warn('BUDOBSERVE_INTERNAL', 'scrubbing.callback threw; the values it was asked about were scrubbed', { cause: error, once: 'scrub-callback' });
      }
      if (kept !== undefined && kept !== null) return kept === value || !top ? kept : toAttribute(kept);
    }
    (this.#notes ??= []).push({ path, matched_substring: p.name });
    if (replacement !== undefined) return replacement;
    return Array.isArray(value) ? [marker(p.name)] : marker(p.name);
  }
}

/** The scrubber the configuration asks for, or undefined when scrubbing is off. */
export function createScrubber(config: ResolvedConfig): Scrubber | undefined {
  if (!config.scrubbing.enabled) return undefined;
  const { extraPatterns, callback, dbStatements } = config.scrubbing;
  return new Scrubber({ extraPatterns, dbStatements, ...(callback === undefined ? {} : { callback }), ...(config.export.token === undefined ? {} : { token: config.export.token }) });
}

type SpanExporterLike = SpanExporter & { abort?(): void; drain?(): void; serialize?(spans: ReadableSpan[]): Uint8Array | undefined };

/** The span exporter with every batch scrubbed on its way out, the exit flush's included. */
export function scrubbingSpans<E extends SpanExporterLike>(exporter: E, scrubber: Scrubber | undefined): E {
  if (scrubber === undefined) return exporter;
  const wrapped: SpanExporterLike = {
    export: (spans, done) => exporter.export(scrubber.scrubSpans(spans), done),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
  if (exporter.serialize !== undefined) wrapped.serialize = (spans) => exporter.serialize!(scrubber.scrubSpans(spans));
  if (exporter.drain !== undefined) wrapped.drain = () => exporter.drain!();
  if (exporter.abort !== undefined) wrapped.abort = () => exporter.abort!();
  return wrapped as E;
}

export function scrubbingLogs(exporter: LogRecordExporter, scrubber: Scrubber | undefined): LogRecordExporter {
  if (scrubber === undefined) return exporter;
  return {
    export: (records, done) => exporter.export(records.map((r) => scrubber.scrubLogRecord(r)), done),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
}

// Explicit copies: the SDK's span and log record keep fields behind getters, which a
// spread or Object.create would lose or break.
function copySpan(s: ReadableSpan, attributes: Attributes, events = s.events, links = s.links, status = s.status): ReadableSpan {
  return {
    name: s.name, kind: s.kind, spanContext: () => s.spanContext(), ...(s.parentSpanContext === undefined ? {} : { parentSpanContext: s.parentSpanContext }),
    startTime: s.startTime, endTime: s.endTime, status, attributes, links, events, duration: s.duration, ended: s.ended,
    resource: s.resource, instrumentationScope: s.instrumentationScope,
    droppedAttributesCount: s.droppedAttributesCount, droppedEventsCount: s.droppedEventsCount, droppedLinksCount: s.droppedLinksCount,
  };
}

function copyLog(r: ReadableLogRecord, attributes: Attributes, body: AnyValue | undefined): ReadableLogRecord {
  return {
    hrTime: r.hrTime, hrTimeObserved: r.hrTimeObserved, resource: r.resource, instrumentationScope: r.instrumentationScope,
    attributes, droppedAttributesCount: r.droppedAttributesCount,
    ...(r.spanContext === undefined ? {} : { spanContext: r.spanContext }),
    ...(r.severityText === undefined ? {} : { severityText: r.severityText }),
    ...(r.severityNumber === undefined ? {} : { severityNumber: r.severityNumber }),
    ...(r.eventName === undefined ? {} : { eventName: r.eventName }),
    ...(body === undefined ? {} : { body }),
  };
}

// Fail closed: a bug here must not be the way a secret gets out. Names, times and safe
// keys survive; every other value is replaced, and the warning says so.
function blank(attrs: Attributes | undefined): Attributes {
  const out: Attributes = {};
  for (const k in attrs) out[k] = SAFE_KEYS.has(k) ? attrs[k] : marker('scrubbing error');
  return out;
}

function failClosed(span: ReadableSpan): ReadableSpan {
  try {
    return copySpan(span, blank(span.attributes), span.events.map((e) => ({ ...e, attributes: blank(e.attributes) })),
      span.links.map((l) => ({ ...l, attributes: blank(l.attributes) })), { code: span.status.code });
  } catch {
    return copySpan(span, {}, [], [], { code: 0 });
  }
}
