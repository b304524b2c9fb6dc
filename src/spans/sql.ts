// A cheap summary of a SQL statement for span names and attributes: its operation (SELECT,
// INSERT, …) and the first table it names. Shared by the SQL integrations
// (src/libraries/postgres-js.ts, src/integrations/enrich/db.ts) and the DbSummaryProcessor
// (src/processors/db-summary.ts). Owns reading SQL text; must never throw, parse fully or see
// literal values (the scrubbing processor deals with those).

export interface SqlSummary {
  /** Upper-cased first keyword: SELECT, INSERT, BEGIN, … */
  operation?: string;
  /** The table after FROM / INTO / UPDATE / TABLE, quotes removed; schema-qualified as written. */
  collection?: string;
}

// Only the head of a statement is read: a summary must cost the same for a 1 MB INSERT.
const HEAD = 4096;
const LEADING = /^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/|\()*/;
const KEYWORD = /^[A-Za-z]+/;
// An identifier part: bare, "double-quoted" or `back-quoted`; up to three dot-separated parts.
const PART = String.raw`(?:"(?:[^"]|"")+"|\x60[^\x60]+\x60|[A-Za-z_][\w$]*)`;
const NAME = String.raw`(${PART}(?:\s*\.\s*${PART}){0,2})`;
// Where the table follows, by operation. FROM in a SELECT may come after a long select list,
// so it is searched for; the others sit right behind their keywords.
const TARGET: Readonly<Record<string, RegExp>> = {
  SELECT: new RegExp(String.raw`\bFROM\s+(?:ONLY\s+)?${NAME}`, 'i'),
  DELETE: new RegExp(String.raw`^DELETE\s+(?:(?:LOW_PRIORITY|QUICK|IGNORE)\s+)*FROM\s+(?:ONLY\s+)?${NAME}`, 'i'),
  INSERT: new RegExp(
    String.raw`^(?:INSERT|REPLACE)\s+(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE)\s+)*INTO\s+${NAME}`,
    'i',
  ),
  UPDATE: new RegExp(String.raw`^UPDATE\s+(?:(?:ONLY|LOW_PRIORITY|IGNORE)\s+)*${NAME}`, 'i'),
  TABLE: new RegExp(
    String.raw`^(?:CREATE|DROP|ALTER|TRUNCATE)\s+(?:(?:GLOBAL|LOCAL|TEMPORARY|TEMP|UNLOGGED)\s+)*TABLE\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(?:ONLY\s+)?${NAME}`,
    'i',
  ),
  TRUNCATE: new RegExp(String.raw`^TRUNCATE\s+(?:ONLY\s+)?${NAME}`, 'i'),
  COPY: new RegExp(String.raw`^COPY\s+${NAME}`, 'i'),
};
const BY_OPERATION: Readonly<Record<string, RegExp | undefined>> = {
  SELECT: TARGET['SELECT'],
  DELETE: TARGET['DELETE'],
  INSERT: TARGET['INSERT'],
  REPLACE: TARGET['INSERT'],
  UPDATE: TARGET['UPDATE'],
  CREATE: TARGET['TABLE'],
  DROP: TARGET['TABLE'],
  ALTER: TARGET['TABLE'],
  TRUNCATE: TARGET['TRUNCATE'],
  COPY: TARGET['COPY'],
};

function unquote(name: string): string {
  return name
    .split(/\s*\.\s*/)
    .map((p) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p.startsWith('`') ? p.slice(1, -1) : p))
    .join('.');
}

// Words after FROM that are not tables: a subquery's SELECT, a function call's LATERAL, etc.
const NOT_A_TABLE = new Set(['SELECT', 'LATERAL', 'UNNEST', 'VALUES', 'WITH']);

export function summarizeSql(text: unknown): SqlSummary {
  if (typeof text !== 'string' || text === '') return {};
  try {
    let head = text.length > HEAD ? text.slice(0, HEAD) : text;
    head = head.slice(LEADING.exec(head)?.[0].length ?? 0);
    const word = KEYWORD.exec(head)?.[0];
    if (word === undefined) return {};
    const operation = word.toUpperCase();
    const re = BY_OPERATION[operation];
    const m = re === undefined ? null : re.exec(head);
    const raw = m?.[1];
    if (raw === undefined || NOT_A_TABLE.has(raw.toUpperCase())) return { operation };
    return { operation, collection: unquote(raw) };
  } catch {
    return {};
  }
}

/** Span name per the database semantic conventions: `{operation} {collection or namespace}`. */
export function sqlSpanName(summary: SqlSummary, namespace: string | undefined, fallback: string): string {
  if (summary.operation === undefined) return fallback;
  const target = summary.collection ?? namespace;
  return target === undefined || target === '' ? summary.operation : `${summary.operation} ${target}`;
}
