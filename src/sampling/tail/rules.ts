// What one finished span says about its trace under the tail-sampling rules: the probability
// (0 to 1) that the trace is kept. 1 when the span qualifies by itself (its level, an ERROR
// status, a downstream service that kept the trace, a local root lasting long enough), else
// what the user's decide() returns. Pure: no clock, no state.
// Owns the rules' reading of a span; must not hold spans or count anything.
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ATTR_KEPT_DOWNSTREAM, ATTR_LEVEL_NUM } from '../../attributes.ts';
import { LEVEL_NUMBERS } from '../../levels.ts';
import type { TailRules } from './settings.ts';

/** The span has no parent in this process: a server span, a job, a root of the app's own. */
export function isLocalRoot(span: ReadableSpan): boolean {
  const parent = span.parentSpanContext;
  return parent === undefined || parent.isRemote === true;
}

function durationMs(span: ReadableSpan): number {
  const [s, ns] = span.duration;
  return s * 1000 + ns / 1e6;
}

/** The span's level: logfire.level_num, and at least `error` for an ERROR status. */
export function spanLevel(span: ReadableSpan): number {
  const n = span.attributes[ATTR_LEVEL_NUM];
  const level = typeof n === 'number' ? n : 0;
  return span.status.code === SpanStatusCode.ERROR ? Math.max(level, LEVEL_NUMBERS.error) : level;
}

/** The span qualifies by the built-in rules: its trace is kept whatever else happens. */
export function qualifies(span: ReadableSpan, rules: TailRules, root: boolean): boolean {
  if (spanLevel(span) >= rules.levelNum) return true;
  if (span.attributes[ATTR_KEPT_DOWNSTREAM] === true) return true;
  return root && rules.durationMs !== undefined && durationMs(span) >= rules.durationMs;
}

/**
 * The probability of keeping the span's trace: 1 when it qualifies, else decide()'s answer
 * (0 without one). A decide() that throws or answers something other than a number counts
 * as 0 and is reported through `onError`, once.
 */
export function keepProbability(
  span: ReadableSpan,
  rules: TailRules,
  root: boolean,
  onError: (error: unknown) => void,
): number {
  if (qualifies(span, rules, root)) return 1;
  if (rules.decide === undefined) return 0;
  try {
    const p = rules.decide(span);
    if (typeof p !== 'number' || Number.isNaN(p)) {
      onError(
        new TypeError(
          `sampling.tail.decide returned ${typeof p === 'number' ? 'NaN' : typeof p}; expected a number from 0 to 1`,
        ),
      );
      return 0;
    }
    return Math.min(1, Math.max(0, p));
  } catch (error) {
    onError(error);
    return 0;
  }
}
