// Acting when a call settles, one way for the agent: ending the span that covers a call
// (the API's bud.span(), Dapr's client calls and handlers), noting a framework handler's
// error for the server span (server-span.ts), recording a return value (src/api/instrument.ts).
// Owns that plumbing; must not start spans nor decide what a failure is beyond a throw, a
// rejection, or what the caller's failureOf says.
//
// Microtask order is part of the contract (the app's own order must not change under the
// agent): a returned promise gets exactly one `.then`, with no handler where the caller has
// none, and the promise it returns is handed back in place of the original, which is what
// each of these places did before; a plain value or a throw is handled synchronously.
import type { Context, Span } from '@opentelemetry/api';
import { context } from '@opentelemetry/api';
import { recordFailure } from './failure.ts';

export interface Settled {
  /** The call's value: returned, or the promise's fulfilment. */
  value?: ((value: unknown) => void) | undefined;
  /** What it threw, or the promise's rejection; passed on unchanged after this returns. */
  error?: ((error: unknown) => void) | undefined;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

/**
 * Calls `fn` and tells `on` how it ended. `thenables`: any object with a then() counts as a
 * promise (the API, whose callers return what they like), rather than only native Promises
 * (wrappers of a library's functions, which must not call then() on a lazy thenable, a query
 * builder say, that the library's caller may never run).
 */
export function onSettle<T>(fn: () => T, on: Settled, thenables = false): T {
  let result: T;
  try {
    result = fn();
  } catch (error) {
    on.error?.(error);
    throw error;
  }
  if (thenables ? isThenable(result) : result instanceof Promise) {
    const { value, error } = on;
    // The promise then() makes is what the caller gets: typed as the call's own result, as the
    // caller can only await it or chain on it.
    return (result as PromiseLike<unknown>).then(
      value === undefined
        ? undefined
        : (v) => {
            value(v);
            return v;
          },
      error === undefined
        ? undefined
        : (e: unknown) => {
            error(e);
            throw e;
          },
    ) as T;
  }
  on.value?.(result);
  return result;
}

export interface EndOnSettleOptions {
  /** Run `fn` in this context (the span's); the settle handlers attach after, in the caller's. */
  context?: Context | undefined;
  /** As for onSettle. */
  thenables?: boolean | undefined;
  /** The failure a returned value stands for, if any: for APIs that report failure in their result. */
  failureOf?: ((value: unknown) => unknown) | undefined;
}

/**
 * Runs `fn` as the work of `span` and ends the span when its result settles: at once for a
 * value or a throw, on resolve or reject for a promise. A throw, a rejection or a value that
 * `failureOf` calls a failure is recorded with recordFailure first.
 */
export function endOnSettle<T>(span: Span, fn: () => T, options: EndOnSettleOptions = {}): T {
  const { context: ctx, failureOf } = options;
  return onSettle(
    ctx === undefined ? fn : () => context.with(ctx, fn),
    {
      value(value) {
        const failure = failureOf?.(value);
        if (failure !== undefined) recordFailure(span, failure);
        span.end();
      },
      error(error) {
        recordFailure(span, error);
        span.end();
      },
    },
    options.thenables === true,
  );
}
