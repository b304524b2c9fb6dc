// Completes SQL client spans whose instrumentation left them short: `db.operation.name`,
// `db.collection.name` and the `{operation} {table}` name from the statement text, and an
// `exception` event on a failed query that has only an error status (mysql2 0.70 offers no
// hook at query start and none on failure). Runs in onEnding, while the span is still
// writable. Owns those attributes; must not touch spans that already carry them.
import type { Context } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { sqlSpanName, summarizeSql } from '../spans/sql.ts';

const SQL_SYSTEMS = new Set(['postgresql', 'mysql', 'mariadb', 'mssql', 'oracle.db', 'sqlite', 'other_sql']);

export class DbSummaryProcessor implements SpanProcessor {
  onStart(_span: Span, _ctx: Context): void {}

  onEnding(span: Span): void {
    const attrs = span.attributes;
    // One property read for the common span, which has no statement.
    const text = attrs['db.query.text'];
    if (typeof text !== 'string') return;
    const system = attrs['db.system.name'];
    if (typeof system !== 'string' || !SQL_SYSTEMS.has(system)) return;
    if (attrs['db.operation.name'] === undefined) {
      const summary = summarizeSql(text);
      if (summary.operation !== undefined) {
        span.setAttribute('db.operation.name', summary.operation);
        if (summary.collection !== undefined) span.setAttribute('db.collection.name', summary.collection);
        const ns = attrs['db.namespace'];
        span.updateName(sqlSpanName(summary, typeof ns === 'string' ? ns : undefined, span.name));
      }
    }
    if (span.status.code === SpanStatusCode.ERROR && !span.events.some((e) => e.name === 'exception')) {
      span.addEvent('exception', {
        'exception.message': span.status.message ?? 'query failed',
        ...(attrs['error.type'] === undefined ? {} : { 'exception.type': attrs['error.type'] }),
      });
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
