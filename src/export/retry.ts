// OTLP's retry rules, shared by the transport (metrics and logs, whose SDK readers retry
// nothing themselves) and the span batch processor (which retries whole batches for as long
// as the collector asks, within its queue's memory): which failures are worth another try,
// how long to wait before it, and what changes while the app is exiting.
// Pure decisions: no timers, no I/O, no configuration.

/** Statuses OTLP/HTTP says to retry; any other answer is final. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
/** Errors meaning nothing listens: a collector that refuses now will not come back within an exit bound. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

export const INITIAL_BACKOFF_MS = 500;
export const MAX_BACKOFF_MS = 5000;
// A Retry-After is honoured up to this: a collector (or a skewed clock under an HTTP-date)
// asking for hours would park a batch that long; past this wait the queue has usually
// needed the room anyway. Also keeps setTimeout below its 2^31 ms limit.
const MAX_RETRY_AFTER_MS = 300_000;

/** What the transport attaches to the errors it produces. */
export interface RetryHint {
  /** The request may be sent again (a retryable status, or a network failure). */
  retryable: boolean;
  /** Nothing listens at the address (connection refused, no such host). */
  unreachable?: boolean;
  /** The collector's Retry-After, in ms from when it answered. */
  retryAfterMs?: number;
  /** The wait was cut short by abort(): the exit bound was reached. */
  aborted?: boolean;
}

export function hintFor(error: unknown): RetryHint | undefined {
  const h = (error as { retry?: RetryHint } | null | undefined)?.retry;
  return typeof h === 'object' && h !== null ? h : undefined;
}

/** Tags an error with how to retry it; returns the error. */
export function withHint<E extends Error>(error: E, hint: RetryHint): E & { retry: RetryHint } {
  return Object.assign(error, { retry: hint });
}

/** What an attempt or a retry wait cut short by the exit bound fails with. */
export function abortError(): Error {
  return withHint(new Error('export aborted: the exit bound was reached'), { retryable: false, aborted: true });
}

export function statusHint(status: number, retryAfter: string | undefined): RetryHint {
  const ra = parseRetryAfter(retryAfter);
  return { retryable: RETRYABLE_STATUS.has(status), ...(ra === undefined ? {} : { retryAfterMs: ra }) };
}

/** A failure below HTTP: the socket never connected, was cut, or timed out. */
export function networkHint(error: unknown): RetryHint {
  const code = (error as NodeJS.ErrnoException | null | undefined)?.code ?? '';
  return { retryable: true, unreachable: UNREACHABLE.has(code) };
}

/**
 * How long to wait before the next attempt, or undefined when there is none.
 * @param backoff the exponential backoff for this attempt (before jitter)
 * @param exitDeadline set once the app is exiting: a refused collector is not retried, and
 *   no wait may end past the deadline.
 */
export function retryWait(
  hint: RetryHint | undefined,
  backoff: number,
  exitDeadline: number | undefined,
  now = Date.now(),
): number | undefined {
  if (hint === undefined || !hint.retryable || hint.aborted === true) return undefined;
  if (exitDeadline !== undefined && hint.unreachable === true) return undefined;
  // Retry-After is a lower bound: a collector answering "Retry-After: 0" (or a date in the
  // past) must not turn retries into a request loop.
  const wait = Math.max(Math.min(hint.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS), backoff * (0.8 + Math.random() * 0.4));
  if (exitDeadline !== undefined && now + wait >= exitDeadline) return undefined;
  return wait;
}

export const nextBackoff = (backoff: number): number => Math.min(backoff * 2, MAX_BACKOFF_MS);

/** Retry-After in both of HTTP's forms: delta-seconds or an HTTP-date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
