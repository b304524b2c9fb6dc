// The error a web framework caught for the current request, carried to the HTTP server span.
// Frameworks catch a handler's error and answer 500 themselves, so the http instrumentation
// only sees the status; the framework integrations note the error here (noteServerError) and
// the http instrumentation's applyCustomAttributesOnSpan hook (src/integrations/enrich/http.ts)
// records it on the server span when the response was a 5xx. Owns that hand-over; must not
// start or end spans.
//
// The registry lives on globalThis: this file is bundled into the main agent and into each
// lazily loaded integration chunk, and all copies must share one table.
import { context } from '@opentelemetry/api';
import type { Context, Exception, Span } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { recordFailure } from './failure.ts';
import { onSettle } from './settle.ts';

const kRegistry = Symbol.for('budobserve.web.serverErrors');

function registry(): WeakMap<Span, unknown> {
  const g = globalThis as Record<symbol, WeakMap<Span, unknown> | undefined>;
  return (g[kRegistry] ??= new WeakMap());
}

/** The HTTP server span of the request `ctx` belongs to, if the http instrumentation made one. */
export function serverSpanOf(ctx: Context = context.active()): Span | undefined {
  const meta = getRPCMetadata(ctx);
  return meta?.type === RPCType.HTTP ? meta.span : undefined;
}

/** Sets the route template of the request `ctx` belongs to: the http instrumentation names its server span `METHOD route` from it. */
export function setServerRoute(route: string, ctx: Context = context.active()): void {
  const meta = getRPCMetadata(ctx);
  if (meta?.type === RPCType.HTTP) meta.route = route;
}

/**
 * Remembers `error` for the server span. The first error of a request wins: it is the one
 * thrown where the request failed, later ones are the same failure passed on or wrapped.
 */
export function noteServerError(error: unknown, span: Span | undefined = serverSpanOf()): void {
  if (span === undefined || error === undefined || error === null) return;
  const errors = registry();
  if (!errors.has(span)) errors.set(span, error);
}

/**
 * Records the noted error on the server span as an `exception` event (with the thrown
 * error's own stack) and in its status message, when the response is a server error; an
 * error the app answered with a 4xx was handled, and stays off the server span.
 */
export function recordServerError(span: Span, statusCode: number | undefined): void {
  const errors = registry();
  if (!errors.has(span)) return;
  const error = errors.get(span);
  errors.delete(span);
  if (statusCode === undefined || statusCode < 500) return;
  // error.type stays the status code the http instrumentation set, as HTTP semconv asks.
  recordFailure(span, error, { type: String(statusCode) });
}

/**
 * Makes a framework's own span hand the exceptions it records to the server span too: the
 * framework instrumentations record the handler's error on their INTERNAL spans and offer no
 * other hook where it passes.
 */
export function forwardExceptions(frameworkSpan: Span, server: Span | undefined = serverSpanOf()): void {
  if (server === undefined || server === frameworkSpan) return;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called later with its own receiver (Reflect.apply)
  const record = frameworkSpan.recordException;
  if (typeof record !== 'function') return;
  frameworkSpan.recordException = function recordException(
    this: Span,
    exception: Exception,
    time?: Parameters<Span['recordException']>[1],
  ): void {
    noteServerError(exception, server);
    record.call(this, exception, time);
  };
}

/**
 * Calls a framework's request handler and notes what it throws or rejects with for the server
 * span of the request it runs in; the result is passed on unchanged.
 */
export function callNotingErrors(handler: (...args: unknown[]) => unknown, thisArg: unknown, args: unknown[]): unknown {
  const server = serverSpanOf();
  return onSettle(() => Reflect.apply(handler, thisArg, args), { error: (error) => noteServerError(error, server) });
}
