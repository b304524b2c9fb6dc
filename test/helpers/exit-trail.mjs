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
export const withoutDebug = (stderr) => stderr.split('\n').filter((l) => !DEBUG_LINE.test(l)).join('\n');

/**
 * The exit steps of the debug log, in order and without their times:
 * 'beforeExit', 'exit deadline set', 'exit bound of 1000 ms reached', 'exit',
 * 'exit flush of 300 spans: timeout' (or sent, failed).
 */
export function exitTrail(stderr) {
  return stderr.split('\n')
    .filter((l) => DEBUG_LINE.test(l))
    .map((l) => l.replace(DEBUG_LINE, '').replace(/ at [\d.]+ ms$/, ''))
    .filter((l) => /^(beforeExit|exit)\b/.test(l));
}

/** How many times the bound ran out: the flush's bound timer fired, or the sync flush waited it out. */
export const boundsReached = (trail) => trail.filter((l) => /^exit bound of \d+ ms reached$|^exit flush of \d+ spans: timeout$/.test(l)).length;

/** How many exit deadlines were set: one per process, however many ways it started to end. */
export const deadlinesSet = (trail) => trail.filter((l) => l === 'exit deadline set').length;
