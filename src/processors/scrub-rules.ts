// What looks like a secret, for the scrubber (scrubbing.ts): the built-in patterns, the keys
// whose values are never data, the values that keep their shape when scrubbed (URLs, SQL,
// stack traces), and the replacement of SQL literals. Credential formats found inside any
// text are in scrub-credentials.ts, the parts of a URL in url-secrets.ts.
// Owns the rules; must not walk spans or decide what is done with a match.
import { warn } from '../errors.ts';
import { compilePattern } from '../config/parse.ts';
import {
  ATTR_MSG_TEMPLATE,
  ATTR_SPAN_TYPE,
  ATTR_LEVEL_NUM,
  ATTR_TAGS,
  ATTR_JSON_SCHEMA,
  ATTR_SCRUBBED,
  ATTR_SAMPLE_RATE,
  ATTR_MSG,
} from '../attributes.ts';

export interface Pattern {
  /** Shown in the replacement and in logfire.scrubbed: a built-in's canonical name, else as written. */
  name: string;
  value: RegExp;
  /** For keys, which also split at camelCase (`csrfToken`). */
  key: RegExp;
  /** Built-ins only: the value is this word and nothing else. */
  whole?: RegExp;
  /**
   * Matched against keys (and JSON text, to find keys inside) only: in free text the word is
   * too common to replace a whole value ("Unexpected token < in JSON").
   */
  keyOnly?: boolean;
}

export type Shape = 'url' | 'query' | 'sql' | 'stack' | 'message';

export const TOKEN_NAME = 'BUD_OBSERVE_TOKEN';

/** Everything decided by a key alone. */
export interface KeyInfo {
  safe: boolean;
  pattern: Pattern | null;
  shape: Shape | undefined;
}

const WORDS: Array<[name: string, source: string]> = [
  ['password', 'password'],
  ['passwd', 'passwd'],
  ['mysql_pwd', 'mysql[._ -]?pwd'],
  ['secret', 'secret'],
  // `author`, `authors`, `author_id` are not credentials; `authorization` and `oauth` are.
  ['auth', 'auth(?!ors?(?![a-z]))'],
  ['credential', 'credential'],
  ['private_key', 'private[._ -]?key'],
  ['api_key', 'api[._ -]?key'],
  ['session', 'session'],
  ['cookie', 'cookie'],
  ['social_security', 'social[._ -]?security'],
  ['credit_card', 'credit[._ -]?card'],
];

// Short acronyms must stand alone (`_` counts as a separator), or random base64 and hex
// would match them. Keys also split at camelCase, which needs a case-sensitive test.
const ACRONYMS = ['csrf', 'xsrf', 'jwt', 'ssn'];
function keyAcronym(a: string): RegExp {
  const cap = a[0]!.toUpperCase() + a.slice(1);
  return new RegExp(`(?:(?<![A-Za-z0-9])${a}|(?<![A-Z])(?:${cap}|${a.toUpperCase()}))(?![a-z0-9])`);
}

// `token` as a word of a key: `accessToken`, `refresh_token`, `GITHUB_TOKEN`, `csrftoken`, but
// not `tokenizer`, `tokens_used`, `gen_ai.usage.input_tokens`, `token_count` or `tokenType`
// (counts and kinds of LLM tokens, not credentials).
const caseForms = (w: string): string => `${w}|${w[0]!.toUpperCase()}${w.slice(1)}|${w.toUpperCase()}`;
const NOT_A_CREDENTIAL = ['count', 'type', 'usage', 'limit', 'budget', 'length', 'len', 'index', 'position', 'ids?']
  .map(caseForms)
  .join('|');
const TOKEN_KEY = new RegExp(
  String.raw`(?:(?<![A-Za-z0-9])(?:access|refresh|id|bearer|api|app|bot|github|gh|csrf|xsrf)?token(?![a-z0-9])|(?<![A-Z])Token(?![a-z0-9])|(?<![A-Z])TOKEN(?![A-Za-z0-9]))` +
    String.raw`(?![._ -]?(?:${NOT_A_CREDENTIAL})s?(?![a-z]))`,
);

/** `s` as a RegExp source that matches it literally. */
const escapeRe = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

/**
 * The agent's token first (a token that contains 'secret' is reported as the token), the
 * built-ins, then the extra patterns; an extra pattern that does not compile is skipped.
 */
export function compilePatterns(extra: readonly string[], token: string | undefined): Pattern[] {
  const patterns: Pattern[] = [];
  if (token !== undefined && token !== '') {
    const re = new RegExp(escapeRe(token), 'i');
    patterns.push({ name: TOKEN_NAME, value: re, key: re }); // named, never shown: the match is the token
  }
  for (const [name, source] of WORDS) {
    const re = new RegExp(source, 'i');
    patterns.push({ name, value: re, key: re, whole: new RegExp(`^(?:${source})$`, 'i') });
  }
  for (const a of ACRONYMS) {
    patterns.push({
      name: a,
      value: new RegExp(`(?<![a-z0-9])${a}(?![a-z0-9])`, 'i'),
      key: keyAcronym(a),
      whole: new RegExp(`^${a}$`, 'i'),
    });
  }
  patterns.push({ name: 'token', value: TOKEN_KEY, key: TOKEN_KEY, keyOnly: true });
  for (const raw of extra) {
    try {
      // As the configuration checked it (Python's inline (?i) dropped: matching is case-insensitive anyway).
      const re = compilePattern(raw);
      patterns.push({ name: raw, value: re, key: re });
    } catch (error) {
      warn('BUDOBSERVE_CONFIG_INVALID', 'extraPattern', [`'${raw}'`, (error as Error).message]);
    }
  }
  return patterns;
}

/**
 * The value patterns as one RegExp, or undefined when extra patterns only compile alone
 * (named groups). `keyOnly`: the key-only patterns instead, as they are (case-sensitive).
 */
export function anyOf(patterns: readonly Pattern[], keyOnly = false): RegExp | undefined {
  try {
    const some = patterns.filter((p) => (p.keyOnly === true) === keyOnly);
    if (some.length === 0) return /(?!)/;
    return new RegExp(some.map((p) => `(?:${p.value.source})`).join('|'), keyOnly ? '' : 'i');
  } catch {
    return undefined;
  }
}

// Values that are names, types, routes or code, never data: scanning them only hides
// `/sessions/:id` or `AuthError` from the people debugging.
export const SAFE_KEYS: ReadonlySet<string> = new Set([
  ATTR_MSG_TEMPLATE,
  ATTR_JSON_SCHEMA,
  ATTR_TAGS,
  ATTR_SPAN_TYPE,
  ATTR_LEVEL_NUM,
  ATTR_SAMPLE_RATE,
  ATTR_SCRUBBED,
  'exception.type',
  'error.type',
  'event.name',
  'http.route',
  'url.path',
  'url.template',
  'url.scheme',
  'http.request.method',
  'http.method',
  'http.scheme',
  'server.address',
  'net.peer.name',
  'net.host.name',
  'rpc.system',
  'rpc.service',
  'rpc.method',
  'db.system',
  'db.system.name',
  'db.operation',
  'db.operation.name',
  'db.collection.name',
  'db.sql.table',
]);

// Values with a shape worth keeping: scrubbed in part, not replaced whole.
const SHAPED: Record<string, Shape> = {
  [ATTR_MSG]: 'message',
  'url.full': 'url',
  'http.url': 'url',
  'http.target': 'url',
  'url.original': 'url',
  'url.query': 'query',
  'db.query.text': 'sql',
  'db.statement': 'sql',
  'exception.stacktrace': 'stack',
};

const HEADER = /^(?:http\.(?:request|response)\.header|rpc\.grpc\.(?:request|response)\.metadata)\./;

// In query strings and headers these names carry credentials (`?access_token=`, `sig=`,
// `X-Amz-Security-Token`, `?pwd=`); as attribute keys most are too common (`cache_key`,
// `pwd` for a folder) to scrub. `pass`/`pwd`/`otp` only as a whole word: `bypass=1` stays.
const SECRET_NAME = /(?:token|key|sig|signature)$|(?:^|[._-])(?:pass|pwd|otp)$|^(?:code|sid)$/i;

/** A query parameter or header name that carries a credential, named for the marker. */
export function secretName(name: string): Pattern | null {
  const m = SECRET_NAME.exec(name);
  return m === null ? null : { name: m[0].replace(/^[._-]/, '').toLowerCase(), value: SECRET_NAME, key: SECRET_NAME };
}

export function keyInfo(key: string, patterns: readonly Pattern[]): KeyInfo {
  const safe = SAFE_KEYS.has(key) || key.startsWith('code.');
  let pattern = safe ? null : (patterns.find((x) => x.key.test(key)) ?? null);
  const header = HEADER.exec(key);
  if (pattern === null && !safe && header !== null) pattern = secretName(key.slice(header[0].length));
  return { safe, pattern, shape: SHAPED[key] };
}

/** How a message template formats: its own text between the placeholders, and their field names. */
export interface Template {
  re: RegExp;
  literals: string[];
  fields: string[];
}

// As the API reads templates (src/api/template.ts): `{{` and `}}` are braces, `{name:spec}`
// and `{name=}` are placeholders named `name`.
const PLACEHOLDER = /\{\{|\}\}|\{([^{}]*)\}/g;

export function compileTemplate(template: string): Template {
  const literals = [''];
  const fields: string[] = [];
  let source = '^';
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const text = template.slice(last, m.index) + (m[1] === undefined ? m[0][0]! : '');
    literals[literals.length - 1] += text;
    source += escapeRe(text);
    last = m.index + m[0].length;
    if (m[1] === undefined) continue;
    source += '([\\s\\S]*?)';
    fields.push(m[1].split(':')[0]!.trim().replace(/=$/, '').trim());
    literals.push('');
  }
  literals[literals.length - 1] += template.slice(last);
  return { re: new RegExp(`${source}${escapeRe(template.slice(last))}$`), literals, fields };
}

// SQL literals (string, numeric, hex, bit, dollar-quoted) become ?, so a statement keeps
// its tables, columns, placeholders and comments and loses its data. One pass, leftmost
// alternative wins: comments and quoted identifiers are matched whole so nothing inside
// them is taken for a literal, identifiers whole so `t1` keeps its digit. An unterminated
// string runs to the end: a truncated statement must not show its tail. Double-quoted text
// is an identifier as ANSI SQL and PostgreSQL read it, and a string as MySQL and MariaDB
// read it by default: the caller says which dialect the statement is in.
const sqlTokens = (mysql: boolean): RegExp => {
  const dq = mysql ? String.raw`"(?:[^"\\]|""|\\[\s\S])*(?:"|$)|` : '';
  const dqName = mysql ? '' : String.raw`"(?:[^"]|"")*"|`;
  return new RegExp(
    [
      String.raw`(--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|` + dqName + String.raw`\x60[^\x60]*\x60)`, // kept as is
      String.raw`((?:[ENXB]|U&)?'(?:[^'\\]|''|\\[\s\S])*(?:'|$)|` +
        dq +
        String.raw`\$([A-Z_]\w*)?\$[\s\S]*?(?:\$\3\$|$))`, // quoted literals
      String.raw`([A-Z_][\w$]*|[$:@]\w+)`, // identifiers, keywords, placeholders
      String.raw`(0x[0-9A-F]+|(?:\d+\.?\d*|\.\d+)(?:E[+-]?\d+)?)`, // numbers
    ].join('|'),
    'gi',
  );
};
const SQL_TOKENS = sqlTokens(false);
const MYSQL_TOKENS = sqlTokens(true);

/** `mysql` says the statement is MySQL/MariaDB, where "text" is a string, not a name. */
export function replaceSqlLiterals(sql: string, mysql = false): string {
  return stripLiterals(sql, mysql).out;
}

/** `data`: a literal that may be data was replaced (a string, a number of more than 6 characters). */
function stripLiterals(sql: string, mysql: boolean): { out: string; data: boolean } {
  let data = false;
  const out = sql.replace(
    mysql ? MYSQL_TOKENS : SQL_TOKENS,
    (m: string, _kept?: string, quoted?: string, _tag?: string, _word?: string, num?: string) => {
      if (quoted === undefined && num === undefined) return m;
      if (quoted !== undefined || num!.length > 6) data = true;
      return '?';
    },
  );
  return { out, data };
}

const SQL_CACHE_MAX = 512;
const MAX_CACHED_SQL = 2048;

/**
 * replaceSqlLiterals with a memory: statements repeat (an app has a few hundred), so a
 * repeated one costs a lookup instead of a tokenizing pass. Only statements that held no data
 * are kept (placeholders, `LIMIT 50`): a string literal may be a secret, which must not stay
 * in memory longer than the app keeps it. Bounded, in this process only.
 */
export class SqlLiterals {
  readonly #stripped = [new Map<string, string>(), new Map<string, string>()] as const;

  replace(sql: string, mysql: boolean): string {
    const cache = this.#stripped[mysql ? 1 : 0];
    const hit = cache.get(sql);
    if (hit !== undefined) return hit;
    const { out, data } = stripLiterals(sql, mysql);
    if (!data && sql.length <= MAX_CACHED_SQL) {
      if (cache.size >= SQL_CACHE_MAX) cache.clear(); // a stream of one-off statements
      cache.set(sql, out);
    }
    return out;
  }
}
