// What a failure looks like on a span, one way for the whole agent: the API's spans
// (src/api/bud.ts), the crash span at exit (src/boot/shutdown.ts), the framework error handed
// to an HTTP server span (server-span.ts) and every instrumentation Bud writes (src/libraries/).
// Owns that rule; must not end the span nor decide what counts as a failure (the caller has).
//
// The rule, after OpenTelemetry's semantic conventions for recording errors
// (https://opentelemetry.io/docs/specs/semconv/general/recording-errors/): an `exception`
// event (span.recordException), status ERROR with a message, and `error.type`.
// - An Error is recorded as itself, so the event carries its own name, message and stack.
//   The status message is its message; error.type is its name or, when that is the generic
//   'Error' a subclass left as it is (openai's RateLimitError does), its class's name.
// - Anything else thrown or rejected with (a string, a number, a plain object, undefined) is
//   recorded as text, never wrapped in a new Error: that Error's stack would point into the
//   agent, not the app. The text is the value's `message` when it has a string one, else
//   String(value); it is the event's exception.message and the status message, the event has
//   no exception.type, and error.type is '_OTHER' (the conventions' value when no type applies).
// - `type` replaces error.type where the domain names its failures itself: a SQLSTATE, an HTTP
//   status code.
// Nothing here throws: it runs where the app's own error is on its way out.
import type { Span, TimeInput } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';

export interface FailureDetails {
  /** error.type, when the domain has its own: '42P01', '429'. */
  type?: string | undefined;
  /** When the failure happened, if not now. */
  time?: TimeInput | undefined;
}

/** The text of a thrown value that is not an Error. */
function textOf(value: unknown): string {
  try {
    const message = (value as { message?: unknown } | null | undefined)?.message;
    return typeof message === 'string' ? message : String(value);
  } catch {
    return typeof value; // an object whose toString throws, or a revoked Proxy
  }
}

/** error.type of an Error: its name, unless that is the generic one, then its class's name. */
function typeOf(error: Error): string {
  try {
    const name = error.name;
    if (typeof name === 'string' && name !== '' && name !== 'Error') return name;
    const cls = (error.constructor as { name?: unknown } | undefined)?.name;
    return typeof cls === 'string' && cls !== '' ? cls : 'Error';
  } catch {
    return 'Error';
  }
}

/** Records `error` on `span` by the rule above; returns the error.type it set (metrics reuse it). */
export function recordFailure(span: Span, error: unknown, details: FailureDetails = {}): string {
  const isError = error instanceof Error;
  const message = isError && typeof error.message === 'string' ? error.message : textOf(error);
  const type = details.type ?? (isError ? typeOf(error) : '_OTHER');
  span.recordException(isError ? error : message, details.time);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.setAttribute('error.type', type);
  return type;
}
