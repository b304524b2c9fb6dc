// Instrumentation for postgres.js (the `postgres` package), which no OpenTelemetry package
// covers: one CLIENT span per query, from the moment the app asks for its result (queries are
// lazy thenables) to its result or error. Owns patching `postgres`; must not touch other
// drivers or read process.env.
//
// postgres.js exports only its factory, `postgres(url | options)`; the Query class that every
// `sql\`…\``, `sql.unsafe()`, `sql.file()` and transaction query is made of stays internal. So the
// factory is wrapped, and the first `sql` it returns yields Query.prototype (from a query that
// is built, never run) whose `handle()` — where a query starts executing — is patched once per
// copy of the package (its ES-module and CommonJS builds are two copies). Which connection a
// query belongs to is known from its `handler`, recorded per `sql` and per transaction scope.
import { context, SpanKind } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { sqlSpanName, summarizeSql } from '../spans/sql.ts';
import { recordFailure } from '../spans/failure.ts';

interface Meta {
  host?: string;
  port?: number;
  database?: string;
}

/** The parts of postgres.js's Query this file reads or replaces. */
interface PgQuery {
  strings?: readonly string[];
  args?: readonly unknown[];
  handler?: unknown;
  executed?: boolean;
  /** The final statement, set by the connection when it builds the query. */
  string?: string;
  resolve: (x: unknown) => unknown;
  reject: (e: unknown) => unknown;
  [kSpan]?: Span;
}

type Sql = ((...args: unknown[]) => unknown) & {
  options?: { host?: unknown; port?: unknown; database?: unknown };
  unsafe?: (text: string) => PgQuery;
  begin?: (...args: unknown[]) => unknown;
  reserve?: (...args: unknown[]) => unknown;
  savepoint?: (...args: unknown[]) => unknown;
};

type Factory = (...args: unknown[]) => Sql;

const kSpan = Symbol('budobserve.postgres.span');
const kOriginal = Symbol('budobserve.postgres.original');
const SYSTEM = 'postgresql';

export class PostgresJsInstrumentation extends InstrumentationBase {
  /** query.handler → where its connection goes; a handler belongs to one sql or one transaction scope. */
  readonly #handlers = new WeakMap<object, Meta>();

  constructor(config: InstrumentationConfig = {}) {
    super('@budobserve/instrumentation-postgres', '0.1.0', config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        'postgres',
        ['>=3 <4'],
        (exports: unknown) => this.#patchModule(exports),
        (exports: unknown) => this.#unpatchModule(exports),
      ),
    ];
  }

  // CommonJS: the module is the factory itself. ES module: a namespace whose default is it.
  #patchModule(exports: unknown): unknown {
    if (typeof exports === 'function') return this.#wrapFactory(exports as Factory);
    const ns = exports as { default?: unknown } | undefined;
    if (typeof ns?.default === 'function') ns.default = this.#wrapFactory(ns.default as Factory);
    return exports;
  }

  #unpatchModule(exports: unknown): unknown {
    const ns = exports as { default?: { [kOriginal]?: Factory } } | undefined;
    const original = ns?.default?.[kOriginal];
    if (original !== undefined) (ns as { default: unknown }).default = original;
    return exports;
  }

  // A Proxy, not a new function: the factory's statics (PostgresError, toCamel, BigInt, …),
  // name and length stay as they are.
  #wrapFactory(factory: Factory): Factory {
    if ((factory as { [kOriginal]?: Factory })[kOriginal] !== undefined) return factory;
    const adopt = (sql: Sql): void => this.#adopt(sql);
    return new Proxy(factory, {
      apply(target, thisArg, args: unknown[]): unknown {
        const sql = Reflect.apply(target, thisArg, args) as Sql;
        adopt(sql);
        return sql;
      },
      get(target, key, receiver): unknown {
        return key === kOriginal ? target : Reflect.get(target, key, receiver);
      },
    });
  }

  #adopt(sql: Sql): void {
    try {
      const o = sql.options;
      const host: unknown = Array.isArray(o?.host) ? o.host[0] : o?.host;
      const port: unknown = Array.isArray(o?.port) ? o.port[0] : o?.port;
      const meta: Meta = {};
      if (typeof host === 'string') meta.host = host;
      if (typeof port === 'number' && Number.isInteger(port)) meta.port = port;
      if (typeof o?.database === 'string') meta.database = o.database;
      this.#register(sql, meta);
      this.#wrapScopes(sql, meta);
    } catch (error) {
      this._diag.warn('postgres.js: a sql instance could not be instrumented', error);
    }
  }

  /** Learns the handler of `sql` (and Query.prototype) from a query that is made but never run. */
  #register(sql: Sql, meta: Meta): void {
    if (typeof sql.unsafe !== 'function') return;
    const probe = sql.unsafe('');
    if (typeof probe.handler === 'function') this.#handlers.set(probe.handler, meta);
    this.#patchQuery(Object.getPrototypeOf(probe) as { handle?: unknown });
  }

  /** Transactions, savepoints and reserved connections run their queries through handlers of their own. */
  #wrapScopes(sql: Sql, meta: Meta): void {
    const withScope = (fn: unknown): unknown =>
      typeof fn !== 'function'
        ? fn
        : (inner: Sql, ...rest: unknown[]): unknown => {
            try {
              this.#register(inner, meta);
              this.#wrapScopes(inner, meta);
            } catch {
              /* the scope's queries get spans without connection attributes */
            }
            return Reflect.apply(fn, undefined, [inner, ...rest]) as unknown;
          };
    const wrapLast = (name: 'begin' | 'savepoint'): void => {
      const original = sql[name];
      if (typeof original !== 'function') return;
      sql[name] = function (this: unknown, ...args: unknown[]): unknown {
        const i = args.length - 1;
        if (i >= 0 && typeof args[i] === 'function') args[i] = withScope(args[i]);
        return Reflect.apply(original, this, args);
      };
    };
    wrapLast('begin');
    wrapLast('savepoint');
    const reserve = sql.reserve;
    if (typeof reserve === 'function') {
      const register = (inner: Sql): Sql => {
        try {
          this.#register(inner, meta);
        } catch {
          /* as above */
        }
        return inner;
      };
      sql.reserve = function (this: unknown, ...args: unknown[]): unknown {
        const p = Reflect.apply(reserve, this, args) as unknown;
        return p instanceof Promise ? p.then(register) : p;
      };
    }
  }

  #patchQuery(proto: { handle?: unknown; [kOriginal]?: unknown }): void {
    const handle = proto.handle;
    if (typeof handle !== 'function' || proto[kOriginal] !== undefined) return;
    const start = (q: PgQuery): void => this.#start(q);
    proto[kOriginal] = handle;
    proto.handle = function (this: PgQuery, ...args: unknown[]): unknown {
      // handle() runs on every then/catch/finally; the first call is the one that executes.
      if (this.executed !== true && this[kSpan] === undefined) start(this);
      return Reflect.apply(handle, this, args) as unknown;
    };
  }

  #start(q: PgQuery): void {
    if (!this.isEnabled()) return;
    try {
      const meta = typeof q.handler === 'function' ? this.#handlers.get(q.handler) : undefined;
      const draft = draftText(q);
      const summary = summarizeSql(draft);
      const attributes: Attributes = { 'db.system.name': SYSTEM };
      if (meta?.database !== undefined) attributes['db.namespace'] = meta.database;
      if (meta?.host !== undefined) attributes['server.address'] = meta.host;
      if (meta?.port !== undefined) attributes['server.port'] = meta.port;
      if (summary.operation !== undefined) attributes['db.operation.name'] = summary.operation;
      if (summary.collection !== undefined) attributes['db.collection.name'] = summary.collection;
      const span = this.tracer.startSpan(
        sqlSpanName(summary, meta?.database, SYSTEM),
        { kind: SpanKind.CLIENT, attributes },
        context.active(),
      );
      q[kSpan] = span;
      const { resolve, reject } = q;
      let done = false;
      const finish = (error: unknown, result: unknown): void => {
        if (done) return;
        done = true;
        try {
          finishSpan(span, q, draft, meta?.database, error, result);
        } catch {
          /* the span still ends */
        }
        span.end();
      };
      q.resolve = (x: unknown): unknown => (finish(undefined, x), resolve(x));
      q.reject = (e: unknown): unknown => (finish(e ?? new Error('query failed'), undefined), reject(e));
    } catch (error) {
      this._diag.warn('postgres.js: a query could not be traced', error);
    }
  }
}

/** The statement as far as it is known before the connection builds it: `$n` for each argument. */
function draftText(q: PgQuery): string {
  const strings = q.strings;
  if (!Array.isArray(strings) || strings.length === 0) return '';
  let text = String(strings[0] ?? '');
  for (let i = 1; i < strings.length; i++) text += `$${i}${String(strings[i] ?? '')}`;
  return text;
}

function finishSpan(
  span: Span,
  q: PgQuery,
  draft: string,
  database: string | undefined,
  error: unknown,
  result: unknown,
): void {
  const text = typeof q.string === 'string' && q.string !== '' ? q.string : draft;
  if (text !== '') span.setAttribute('db.query.text', text);
  if (text !== draft) {
    const summary = summarizeSql(text);
    if (summary.operation !== undefined) span.setAttribute('db.operation.name', summary.operation);
    if (summary.collection !== undefined) span.setAttribute('db.collection.name', summary.collection);
    span.updateName(sqlSpanName(summary, database, SYSTEM));
  }
  if (error !== undefined) {
    // The SQLSTATE (postgres.js's `code`) is the database's own name for the failure.
    const code = (error as { code?: unknown }).code;
    recordFailure(span, error, { type: typeof code === 'string' ? code : undefined });
    if (typeof code === 'string') span.setAttribute('db.response.status_code', code);
    return;
  }
  const count = (result as { count?: unknown } | null | undefined)?.count;
  if (Array.isArray(result) && typeof count === 'number') span.setAttribute('db.response.returned_rows', count);
}
