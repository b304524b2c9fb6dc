// What the agent did at exit, read from its debug log (NODE_DEBUG=budobserve, written by
// src/boot/shutdown.ts) instead of from a stopwatch: when the exit deadline was set, whether
// the bound ran out ("exit bound of N ms reached"), what the synchronous exit flush got.
// The exit tests assert this trail, which does not move with the machine's load; how long
// an exit takes is measured by benchmarks/exit-bounds.mjs.
//
// With TRAIL_ENV a run also has an export timeout of 10 minutes: then nothing but the exit
// bound can end an export to a collector that never answers, and an exit held by anything
// else (an export, a retry, a timer of an SDK) is held past runApp's 30 s and killed, which
// the test sees as the wrong ending. Waits shorter than the bound that a bug could add (a
// retry's backoff left running at exit) are the unit tests' (test/export-retry.test.mjs).

import assert from 'node:assert/strict';

/** Environment for a run whose exit trail is read. */
export const TRAIL_ENV = { NODE_DEBUG: 'budobserve', BUD_OBSERVE_EXPORT_TIMEOUT: '600000' };

/**
 * shutdownTimeoutMs for runs that must not wait for the bound at all (a collector that
 * refuses connections): ten minutes, the most the option takes. An exit that retried or
 * waited for the bound instead of giving up on the refusal is killed at runApp's 30 s, and a
 * correct one ends on the refusal, with no bound reached in its trail.
 */
export const FAR_BOUND = '600000';

const DEBUG_LINE = /^BUDOBSERVE \d+: /;

/** stderr without the debug log: what the app and the agent's warnings printed. */
export const withoutDebug = (stderr) =>
  stderr
    .split('\n')
    .filter((l) => !DEBUG_LINE.test(l))
    .join('\n');

/**
 * The exit steps of the debug log, in order and without their times:
 * 'beforeExit', 'exit deadline set', 'exit bound of 1000 ms reached', 'exit',
 * 'exit flush of 300 spans: timeout' (or sent, failed).
 */
export function exitTrail(stderr) {
  return stderr
    .split('\n')
    .filter((l) => DEBUG_LINE.test(l))
    .map((l) => l.replace(DEBUG_LINE, '').replace(/ at [\d.]+ ms$/, ''))
    .filter((l) => /^(beforeExit|exit)\b/.test(l));
}

/**
 * Whether the exit ran into its bound: the flush's bound timer fired, or the synchronous exit
 * flush ran into the deadline (waiting for it, or finding it passed). False when the exit
 * ended before its bound.
 */
export const reachedBound = (trail) =>
  trail.some((l) => /^exit bound of \d+ ms reached$|^exit flush of \d+ spans: timeout$/.test(l));

/**
 * How many times a bound timer ran out ("exit bound of N ms reached"). One deadline makes it
 * once at most: a second is a second wait of a whole bound.
 */
export const boundTimersFired = (trail) => trail.filter((l) => /^exit bound of \d+ ms reached$/.test(l)).length;

/** How many exit deadlines were set: one per process, however many ways it started to end. */
export const deadlinesSet = (trail) => trail.filter((l) => l === 'exit deadline set').length;

/**
 * The exit had one deadline and waited for it `bound` (true: it ran into the bound, its
 * timer firing once at most) or not at all (false: it ended before the bound).
 */
export function assertExitBound(trail, bound, what) {
  const text = `${what}; the exit trail:\n  ${trail.join('\n  ')}`;
  assert.equal(deadlinesSet(trail), 1, `one exit deadline: ${text}`);
  assert.ok(boundTimersFired(trail) <= 1, `the bound ran out once at most: ${text}`);
  assert.equal(
    reachedBound(trail),
    bound,
    bound ? `the bound ended the exit: ${text}` : `the exit ended before its bound: ${text}`,
  );
}
