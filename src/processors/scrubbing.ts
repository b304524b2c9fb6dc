// Scrubbing: values that look like secrets are replaced by `[Scrubbed due to '<pattern>']`
// before telemetry leaves the process, and each replacement is listed in `logfire.scrubbed`.
// Semantics follow Python Logfire's scrubber: a key that matches scrubs its value, a string
// value that contains a pattern is scrubbed, JSON inside strings is scrubbed recursively, a
// callback may keep a match. Beyond it, credentials recognised by their shape (scrub-credentials.ts)
// are replaced inside any string, alone, and a URL under any key keeps its shape. It runs
// where spans are exported (scrub-export.ts) and printed, not in onEnd, so the app's
// span.end() pays nothing (benchmarks/scrubbing.mjs measures both placements and the cost
// per span).
// Owns walking spans and log records and replacing what matched; the patterns themselves
// are in scrub-rules.ts, scrub-credentials.ts and url-secrets.ts. Must not change spans in place.
import type { Attributes, Link, SpanStatus } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ScrubMatch } from '../config/types.ts';
import { warn } from '../errors.ts';
import {
  anyOf,
  compilePatterns,
  compileTemplate,
  keyInfo,
  secretName,
  SqlLiterals,
  TOKEN_NAME,
} from './scrub-rules.ts';
import type { KeyInfo, Pattern, Template } from './scrub-rules.ts';
import { credentialScanners } from './scrub-credentials.ts';
import type { CredentialScanner } from './scrub-credentials.ts';
import { decodeUriPart, replaceUrlSecrets, URL_HINT, WHOLE_URL } from './url-secrets.ts';
import { at, blank, copyLog, copySpan, failClosed, marker, toAttribute, withNotes } from './scrub-copy.ts';
import type { Note, Path } from './scrub-copy.ts';
import { ATTR_MSG_TEMPLATE, ATTR_MSG } from '../attributes.ts';

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
// The shortest credential the shapes find (`a://u:p@h`); shorter strings get the word test only.
const MIN_CREDENTIAL = 8;
const JSON_START = /^\s*[[{]/;

export class Scrubber {
  readonly #patterns: Pattern[];
  readonly #valuePatterns: Pattern[];
  /** All value patterns as one RegExp: the single word test every string gets. */
  readonly #any: RegExp | undefined;
  /** The key-only patterns (`token`), to find such keys inside JSON text. */
  readonly #keyOnly: RegExp;
  readonly #keys = new Map<string, KeyInfo>();
  readonly #templates = new Map<string, Template & { keyed: boolean }>();
  readonly #literals = new SqlLiterals();
  readonly #token: Pattern | undefined;
  readonly #callback: ((match: ScrubMatch) => unknown) | undefined;
  readonly #sql: boolean;
  #notes: Note[] | undefined;

  constructor(opts: ScrubOptions = {}) {
    this.#patterns = compilePatterns(opts.extraPatterns ?? [], opts.token);
    this.#valuePatterns = this.#patterns.filter((p) => p.keyOnly !== true);
    this.#any = anyOf(this.#patterns);
    this.#keyOnly = anyOf(this.#patterns, true) ?? /(?!)/;
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
      if (message !== undefined && message !== '') {
        const m = this.#value(message, STATUS, undefined, undefined, 0);
        if (m !== message) status = { ...span.status, message: String(m) };
      }
      if (attributes === undefined && events === undefined && links === undefined && status === undefined) return span;
      return copySpan(
        span,
        withNotes(attributes ?? span.attributes, this.#notes, attributes !== undefined),
        events,
        links,
        status,
      );
    } catch (error) {
      warn('BUDOBSERVE_INTERNAL', 'scrubSpans', [], { cause: error, once: 'scrub' });
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
      return copyLog(record, withNotes(attributes ?? record.attributes, this.#notes, attributes !== undefined), body);
    } catch (error) {
      warn('BUDOBSERVE_INTERNAL', 'scrubLogs', [], { cause: error, once: 'scrub-log' });
      return copyLog(
        record,
        blank(record.attributes),
        record.body === undefined ? undefined : marker('scrubbing error'),
      );
    } finally {
      this.#notes = saved;
    }
  }

  /** Events or links: a copy of the list when some item's attributes changed. */
  #each<T extends TimedEvent | Link>(items: T[], section: string): T[] | undefined {
    let out: T[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const a =
        item.attributes === undefined ? undefined : this.#attributes(item.attributes, [section, i, 'attributes']);
      if (a !== undefined) (out ??= items.slice())[i] = { ...item, attributes: a };
    }
    return out;
  }

  /** A copy with scrubbed values, or undefined when nothing changed (and nothing allocated). */
  #attributes(attrs: Attributes, prefix: Path): Attributes | undefined {
    let out: Attributes | undefined;
    for (const key in attrs) {
      const value = attrs[key];
      const next = this.#attribute(key, value, prefix, attrs);
      if (next !== value) (out ??= { ...attrs })[key] = next;
    }
    return out;
  }

  // Paths are built only once something matched: the common span allocates nothing.
  #attribute(key: string, value: unknown, prefix: Path, attrs: Attributes): unknown {
    // A boolean or nothing cannot leak a secret, whatever its key says.
    if (value === undefined || value === null || typeof value === 'boolean') return value;
    const k = this.#key(key);
    if (k.safe) return value;
    if (k.pattern !== null) return this.#redact([...prefix, key], value, k.pattern.name, true);
    if (typeof value === 'string') {
      switch (k.shape) {
        case 'url':
        case 'query':
          return this.#url(value, prefix, key, k.shape === 'query');
        case 'message':
          return this.#message(value, attrs[ATTR_MSG_TEMPLATE], prefix);
        case 'sql':
          return this.#statement(value, prefix, key, attrs);
        case 'stack':
          return this.#stack(value, prefix, key);
        default:
          return this.#value(value, prefix, key, undefined, 0);
      }
    }
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const x: unknown = value[i];
        if (typeof x !== 'string') continue;
        const n = this.#value(x, prefix, key, i, 0);
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
    return this.#valuePatterns.find((p) => p.value.test(s) && p.whole?.test(s) !== true);
  }

  /**
   * A string with no shape of its own (its key says nothing), at prefix + a + b: a URL keeps
   * its shape, a word replaces it (JSON is walked instead), else credentials go from inside.
   * The common string costs three anchored or single-pass tests and allocates nothing.
   */
  #value(s: string, prefix: Path, a: string | number | undefined, b: number | undefined, depth: number): unknown {
    const word = this.#maybe(s);
    if (s.length < MIN_CREDENTIAL) return word ? this.#string(s, at(prefix, a, b), depth) : s;
    const json = depth < MAX_DEPTH && JSON_START.test(s);
    // The common string ends here: nothing to find. A URL with nothing in it needs no parse.
    if (!word && !(json && this.#keyOnly.test(s)) && !credentialScanners().text.mayHold(s)) return s;
    const path = at(prefix, a, b);
    if (WHOLE_URL.test(s)) return this.#urlParts(s, path, false);
    if (word) return this.#string(s, path, depth);
    const next = json ? this.#json(s, path, depth) : undefined;
    return next !== undefined ? next : this.#inText(credentialScanners().text, s, path);
  }

  /** A string known to match a word: parsed and scrubbed inside when it is JSON, else replaced. */
  #string(s: string, path: Path, depth: number): unknown {
    const p = this.#valuePattern(s);
    if (p === undefined) return s;
    if (depth < MAX_DEPTH && JSON_START.test(s)) {
      const next = this.#json(s, path, depth);
      if (next !== undefined) return next;
    }
    return this.#redact(path, s, p.name, depth === 0);
  }

  /** JSON text walked as values, re-serialized when something changed; undefined: not JSON. */
  #json(s: string, path: Path, depth: number): unknown {
    let parsed: unknown;
    try {
      parsed = JSON.parse(s);
    } catch {
      return undefined;
    }
    const next = this.#nested(parsed, path, depth + 1);
    return next === parsed ? s : JSON.stringify(next);
  }

  /** Each credential in `s` replaced alone; the same string when there is none. */
  #inText(scanner: CredentialScanner, s: string, path: Path): string {
    return scanner.replace(s, (name, secret) => String(this.#redact(path, secret, name, true)), this.#param);
  }

  /** The marker name for a query parameter that carries a credential, or null. */
  readonly #param = (raw: string): string | null => {
    const name = decodeUriPart(raw);
    return (this.#key(name).pattern ?? secretName(name))?.name ?? null;
  };

  /** Parsed JSON and structured log values: arrays, plain objects and the strings inside. */
  #nested(v: unknown, path: Path, depth: number): unknown {
    if (typeof v === 'string') return this.#value(v, path, undefined, undefined, depth);
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
      const n = p === null ? this.#nested(x, [...path, k], depth + 1) : this.#redact([...path, k], x, p.name, false);
      if (n !== x) (out ??= { ...v })[k] = n;
    }
    return out ?? v;
  }

  /**
   * A URL stays readable: only a userinfo password, secret query values and credentials
   * recognised by their shape go. `key`: the URL is the attribute prefix + key.
   */
  #url(url: string, prefix: Path, key: string, queryOnly: boolean): unknown {
    if (!this.#maybe(url) && !URL_HINT.test(url) && !credentialScanners().url.mayHold(url)) return url;
    return this.#urlParts(url, at(prefix, key), queryOnly);
  }

  #urlParts(url: string, path: Path, queryOnly: boolean): unknown {
    const redact = (part: string, value: string, name: string): string =>
      String(this.#redact([...path, part], value, name, true));
    let out = replaceUrlSecrets(url, queryOnly, this.#secretOf, redact);
    if (credentialScanners().url.mayHold(out)) out = this.#inText(credentialScanners().url, out, path); // a JWT in a path segment
    // The token anywhere else (a path segment, a fragment) takes the whole URL.
    if (this.#token?.value.test(out) === true) return this.#redact(path, url, TOKEN_NAME, true);
    return out;
  }

  /** A query parameter is secret by its name, or by a word in its value. */
  readonly #secretOf = (name: string, value: string): string | null =>
    this.#param(name) ?? this.#valuePattern(value)?.name ?? null;

  /**
   * The formatted message: its template's own words are code, not data, so only the values
   * put into it are scrubbed, in place, a `{password}` by its name (as Logfire does when
   * formatting). A message that does not follow its template is scanned whole.
   */
  #message(msg: string, template: unknown, prefix: Path): unknown {
    if (typeof template !== 'string') return this.#value(msg, prefix, ATTR_MSG, undefined, 0);
    const t = this.#templates.get(template) ?? this.#newTemplate(template);
    if (!t.keyed && !this.#maybe(msg))
      return msg.length >= MIN_CREDENTIAL && credentialScanners().text.mayHold(msg)
        ? this.#inText(credentialScanners().text, msg, [...prefix, ATTR_MSG])
        : msg;
    const m = t.re.exec(msg);
    if (m === null) return this.#value(msg, prefix, ATTR_MSG, undefined, 0);
    let out = t.literals[0]!;
    const path = [...prefix, ATTR_MSG];
    for (let i = 0; i < t.fields.length; i++) {
      const field = t.fields[i]!;
      const value = m[i + 1]!;
      const p = this.#key(field).pattern;
      const next =
        p !== null
          ? this.#redact([...path, field], value, p.name, true)
          : this.#value(value, path, field, undefined, 0);
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

  /**
   * SQL keeps its shape: on a match (always, with dbStatements) its literals become ?, and
   * the credentials in literals go with them. Without dbStatements, other credentials are
   * replaced alone.
   */
  #statement(sql: string, prefix: Path, key: string, attrs: Attributes): unknown {
    if (JSON_START.test(sql)) return this.#value(sql, prefix, key, undefined, 0); // MongoDB's statements are JSON
    const system = attrs['db.system.name'] ?? attrs['db.system'];
    const mysql = system === 'mysql' || system === 'mariadb';
    if (this.#sql) return this.#literals.replace(sql, mysql);
    const p = this.#valuePattern(sql);
    if (p === undefined)
      return sql.length >= MIN_CREDENTIAL && credentialScanners().text.mayHold(sql)
        ? this.#inText(credentialScanners().text, sql, [...prefix, key])
        : sql;
    const stripped = this.#literals.replace(sql, mysql);
    // A matching word outside every literal is a table or column name (`sessions`), not a secret.
    return stripped === sql ? sql : this.#redact([...prefix, key], sql, p.name, true, stripped);
  }

  /** A stack trace keeps its frames (code locations); its message part is scanned. */
  #stack(stack: string, prefix: Path, key: string): unknown {
    const frames = stack.search(/\n\s+at /);
    const head = frames < 0 ? stack : stack.slice(0, frames);
    const next = this.#value(head, prefix, key, undefined, 0);
    return next === head ? stack : String(next) + (frames < 0 ? '' : stack.slice(frames));
  }

  /**
   * The callback may keep a match, and its answer is exported; anything else, a throw
   * included, scrubs it. `top`: the answer must be an OTel attribute value.
   */
  #redact(path: Path, value: unknown, name: string, top: boolean, replacement?: string): unknown {
    if (this.#callback !== undefined) {
      let kept: unknown;
      try {
        kept = this.#callback({ path, value, pattern: name });
      } catch (error) {
        warn('BUDOBSERVE_INTERNAL', 'scrubCallback', [], { cause: error, once: 'scrub-callback' });
      }
      if (kept !== undefined && kept !== null) return kept === value || !top ? kept : toAttribute(kept);
    }
    (this.#notes ??= []).push({ path, matched_substring: name });
    if (replacement !== undefined) return replacement;
    return Array.isArray(value) ? [marker(name)] : marker(name);
  }
}
