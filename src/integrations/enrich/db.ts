// Bud's additions to the options of the SQL and Redis instrumentations (pg, mysql2, ioredis,
// redis): db.operation.name, db.collection.name and a `{operation} {table}` span name for SQL;
// the command name alone as Redis's db.query.text unless the user opts in to keys and
// arguments. Owns these option hooks; must not load any instrumentation. The user's own
// options win, and the user's hooks run after Bud's.
import type { Span } from '@opentelemetry/api';
import type { ResolvedConfig } from '../../config/types.ts';
import type { Enricher, Options } from './types.ts';
import { chainHooks } from './chain-hooks.ts';
import { sqlSpanName, summarizeSql } from '../../spans/sql.ts';

/** Operation, table and span name from the statement text. */
function summarize(span: Span, text: unknown, namespace: string | undefined, fallback: string): void {
  const summary = summarizeSql(text);
  if (summary.operation === undefined) return;
  span.setAttribute('db.operation.name', summary.operation);
  if (summary.collection !== undefined) span.setAttribute('db.collection.name', summary.collection);
  span.updateName(sqlSpanName(summary, namespace, fallback));
}

// pg 0.77 already writes the stable names (db.system.name, db.namespace, db.query.text,
// server.*), with no OTEL_SEMCONV_STABILITY_OPT_IN, but names spans `pg.query:SELECT test`
// and leaves out operation and table. requestHook runs at the start of every query.
function enrichPg(user: Options | undefined): Options {
  return {
    ...user,
    requestHook: chainHooks((span, info) => {
      const i = info as { query?: { text?: unknown }; connection?: { database?: unknown } } | undefined;
      const db = i?.connection?.database;
      summarize(span, i?.query?.text, typeof db === 'string' ? db : undefined, 'postgresql');
    }, user?.['requestHook']),
  };
}

// mysql2 0.70 has no hook at the start of a query and calls responseHook only on success:
// operation, table and span name come from the DbSummaryProcessor (src/processors/), which
// also sees failed queries. Without scrubbing of statements it formats the values into
// db.query.text; with it, those values would only be replaced again, so the statement is
// kept as the app wrote it (`?` and all): the values never enter the span at all.
function enrichMysql2(user: Options | undefined, config: ResolvedConfig): Options {
  const keepPlaceholders =
    config.scrubbing.enabled && config.scrubbing.dbStatements && user?.['maskStatement'] === undefined;
  return {
    ...(keepPlaceholders ? { maskStatement: true, maskStatementHook: (sql: string): string => sql } : {}),
    ...user,
  };
}

// Commands whose arguments are credentials whatever the user opted in to.
const SECRET_COMMANDS = new Set(['auth', 'hello', 'migrate', 'acl']);
const MAX_ARGS = 16;
const MAX_ARG_CHARS = 128;

function arg(a: unknown): string {
  if (typeof a === 'string') return a.length > MAX_ARG_CHARS ? `${a.slice(0, MAX_ARG_CHARS)}…` : a;
  if (typeof a === 'number' || typeof a === 'bigint' || typeof a === 'boolean') return String(a);
  if (a instanceof Uint8Array) return `<${a.byteLength} bytes>`;
  if (Array.isArray(a)) return a.map(arg).join(' ');
  return typeof a;
}

/**
 * db.query.text for Redis: the command name, or (capture.redisKeys) the command with its key
 * and arguments, each cut to a readable length. Values set with SET are arguments too: the
 * option is named for keys because they are what people filter on.
 */
export function redisStatement(capture: boolean): (cmd: string, args: unknown) => string {
  return (cmd, args) => {
    const name = String(cmd);
    if (!capture || !Array.isArray(args) || args.length === 0 || SECRET_COMMANDS.has(name.toLowerCase())) return name;
    const shown = args.slice(0, MAX_ARGS).map(arg);
    if (args.length > MAX_ARGS) shown.push(`[${args.length - MAX_ARGS} more]`);
    return `${name} ${shown.join(' ')}`;
  };
}

function enrichRedis(user: Options | undefined, config: ResolvedConfig): Options {
  return { dbStatementSerializer: redisStatement(config.capture.redisKeys), ...user };
}

export const dbEnrichers: Readonly<Record<string, Enricher>> = {
  pg: enrichPg,
  mysql2: enrichMysql2,
  ioredis: enrichRedis,
  redis: enrichRedis,
};
