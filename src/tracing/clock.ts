// The agent's span clock and the HrTime arithmetic of @opentelemetry/core, for src/tracing/.
// One monotonic read (performance.now) per span start and end; wall-clock time is that plus an
// anchor. The anchor starts as performance.timeOrigin, which makes it core's hrTime() (and the
// auto-trace runtime's clock, which anchors there too), and is checked against Date.now() at
// most once a second: a wall clock that stepped (NTP, a suspended VM) by more than the 1 ms
// Date.now() can tell moves it. The SDK's span reads Date.now() and performance.now() per span
// instead, and so starts spans on whole milliseconds; here they keep sub-millisecond precision.
// Built-ins are src/primordials.ts' (the clock is taken there at its first reading): spans start
// inside app calls.
// Owns time reading and conversion; must not know about spans.
import type { HrTime } from '@opentelemetry/api';
import { ArrayIsArray, DateNow, MathRound, MathTrunc, PerformanceNow, PerformanceTimeOrigin } from '../primordials.ts';

const CHECK_EVERY_MS = 1000;
// Date.now() is the wall time cut to the millisecond: within 2 ms is agreement.
const TOLERANCE_MS = 2;

// performance.timeOrigin, read with the first span (src/primordials.ts says why not at load).
let anchor: number | undefined;
let checkAt = 0;

/** performance.now(): the monotonic reading spans are timed with. */
export const monotonicNow: () => number = PerformanceNow;

/** What to add to a monotonic reading `p` (taken just now) for epoch milliseconds. */
export function anchorAt(p: number): number {
  anchor ??= PerformanceTimeOrigin();
  if (p >= checkAt) {
    checkAt = p + CHECK_EVERY_MS;
    const wall = DateNow();
    const drift = wall - (p + anchor);
    // Re-anchored in the middle of Date.now()'s millisecond, its best guess of the wall time.
    if (drift > TOLERANCE_MS || drift < -TOLERANCE_MS) anchor = wall + 0.5 - p;
  }
  return anchor;
}

/** Epoch milliseconds now. */
export function wallNow(): number {
  const p = PerformanceNow();
  return p + anchorAt(p);
}

// The functions below are @opentelemetry/core 3.0's (common/time.ts), with the same rounding,
// so that a time given by the caller becomes the same HrTime as on the SDK's span.

export function millisToHrTime(epochMillis: number): HrTime {
  const epochSeconds = epochMillis / 1e3;
  return [MathTrunc(epochSeconds), MathRound((epochMillis % 1e3) * 1e6)];
}

export function addHrTimes(a: HrTime, b: HrTime): HrTime {
  const out: HrTime = [a[0] + b[0], a[1] + b[1]];
  if (out[1] >= 1e9) {
    out[1] -= 1e9;
    out[0] += 1;
  }
  return out;
}

/** addHrTimes(time, millisToHrTime(ms)), to the same nanosecond, without the array between. */
export function addMillis(time: HrTime, ms: number): HrTime {
  const out: HrTime = [time[0] + MathTrunc(ms / 1e3), time[1] + MathRound((ms % 1e3) * 1e6)];
  if (out[1] >= 1e9) {
    out[1] -= 1e9;
    out[0] += 1;
  }
  return out;
}

export function hrTimeDuration(start: HrTime, end: HrTime): HrTime {
  let seconds = end[0] - start[0];
  let nanos = end[1] - start[1];
  if (nanos < 0) {
    seconds -= 1;
    nanos += 1e9;
  }
  return [seconds, nanos];
}

/** core's isTimeInputHrTime. */
export function isHrTime(value: unknown): value is HrTime {
  return ArrayIsArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number';
}

/**
 * A performance.now()-based number as an HrTime: core's hrTime(p + offset), where the SDK's
 * offset is its wall clock's difference from performance.timeOrigin + performance.now().
 */
export function monotonicToHrTime(p: number): HrTime {
  const offset = anchorAt(PerformanceNow()) - PerformanceTimeOrigin();
  return addHrTimes(millisToHrTime(PerformanceTimeOrigin()), millisToHrTime(p + offset));
}
