// Delivers what the app produced however it ends, and then lets it end exactly as it would
// have without the agent:
// - natural exit ('beforeExit'): an async flush;
// - SIGTERM / SIGINT with no handler of the app's: flush, then re-raise the signal so the exit
//   status is the one the signal gives (143, 130);
// - SIGTERM / SIGINT the app handles: the app decides when the process ends. The agent starts
//   sending at once, without holding the process, and the app's own ending (natural or
//   process.exit()) is the exit that the bound applies to;
// - process.exit() and uncaught exceptions ('exit'): what is still owed goes through the
//   synchronous exit flush. An uncaught exception is first recorded as a span.
// One exit deadline (exit-deadline.ts), set when the agent first holds the exit, bounds every
// later step. What that costs is one line on stderr, at the very end (exit-report.ts);
// nothing when all was delivered.
// Owns the process listeners; must not touch the app's own listeners.
import { context, trace } from '@opentelemetry/api';
import type { Sdk } from './sdk.ts';
import { ExitDeadline } from './exit-deadline.ts';
import { recordFailure } from '../spans/failure.ts';
import { exitReport } from './exit-report.ts';
import type { OtherLoss, Owed } from './exit-report.ts';
import { flushAtExit } from '../export/exit-flush.ts';
import { hintFor } from '../export/retry.ts';
import { errorText, markExiting, warn, warnComposed } from '../errors.ts';
import { debug, uptimeMs } from '../debug.ts';
import { ATTR_MSG, ATTR_SPAN_TYPE, ATTR_LEVEL_NUM } from '../attributes.ts';
import { LEVEL_NUMBERS } from '../levels.ts';

export interface Lifecycle {
  /** Flushes every signal; resolves within the bound even if the collector never answers. */
  forceFlush(): Promise<void>;
  /** Flushes and stops the SDK, and starts the exit bound; later calls return the same promise. */
  shutdown(): Promise<void>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** How the last export of metrics or logs went: still pending, done, or the error. */
type Outcome = 'pending' | 'done' | { error: unknown };
type Ends = { metrics?: Outcome; logs?: Outcome };

export function installLifecycle(sdk: Sdk, timeoutMs: number, opts: { signals: boolean }): Lifecycle {
  const exit = new ExitControl(sdk, timeoutMs);
  process.on('beforeExit', () => exit.onBeforeExit());
  process.on('exit', () => exit.onExit());
  // Worker threads get no signals; only the main thread listens.
  for (const signal of opts.signals ? SIGNALS : []) {
    const onSignal = (): void => exit.onSignal(signal, onSignal);
    process.on(signal, onSignal);
  }
  process.on('uncaughtExceptionMonitor', (error, origin) => {
    try {
      recordCrash(error, origin);
    } catch {
      // recording the crash must never change it
    }
  });
  return { forceFlush: () => exit.forceFlush(), shutdown: () => exit.shutdown() };
}

/**
 * The SDK's flushes and its shutdown, each bounded by the exit deadline once there is one.
 * Metrics and logs keep how their last export went (`ends`), for the exit report.
 */
class Flushes {
  readonly #sdk: Sdk;
  readonly #deadline: ExitDeadline;
  #shutdown: Promise<void> | undefined;
  #exitFlush: Promise<void> | undefined;
  readonly ends: Ends = {};

  constructor(sdk: Sdk, deadline: ExitDeadline) {
    this.#sdk = sdk;
    this.#deadline = deadline;
  }

  #track(signal: 'metrics' | 'logs', work: Promise<void> | undefined): Promise<void> | undefined {
    if (work === undefined) return undefined;
    this.ends[signal] = 'pending';
    return work.then(
      () => {
        this.ends[signal] = 'done';
      },
      (error: unknown) => {
        this.ends[signal] = { error };
      },
    );
  }

  // The chain, not TracerProvider.forceFlush(): that one arms a 30 s timer that holds the
  // event loop until the flush ends, which a hung collector would make 30 s. Metrics go
  // once (sdk.metrics.final), however many exit steps there are.
  forExit(): Promise<void> {
    const sdk = this.#sdk;
    const d = this.#deadline;
    // What tail sampling still holds is decided now, so that what it keeps goes out too.
    if (this.#exitFlush === undefined) sdk.chain.releaseHeld();
    this.#exitFlush ??= d.bounded(
      Promise.all([
        sdk.chain.forceFlush(),
        this.#track('metrics', sdk.metrics?.final()),
        this.#track('logs', sdk.loggerProvider?.forceFlush()),
      ]),
      d.remaining(),
      'flush',
      d.giveUp,
    );
    return this.#exitFlush;
  }

  force(): Promise<void> {
    const sdk = this.#sdk;
    const d = this.#deadline;
    const exiting = d.at !== undefined;
    return d.bounded(
      Promise.all([sdk.chain.forceFlush(), sdk.meterProvider?.forceFlush(), sdk.loggerProvider?.forceFlush()]),
      exiting ? d.remaining() : d.timeoutMs,
      'flush',
      exiting ? d.giveUp : undefined,
    );
  }

  shutdown(): Promise<void> {
    const sdk = this.#sdk;
    const d = this.#deadline;
    d.start();
    this.#shutdown ??= d.bounded(
      Promise.all([
        sdk.tracerProvider.shutdown(),
        this.#track('metrics', sdk.metrics?.shutdown()),
        this.#track('logs', sdk.loggerProvider?.shutdown()),
      ]),
      d.remaining(),
      'shutdown',
      d.giveUp,
    );
    return this.#shutdown;
  }
}

/** How each way of ending is handled (see the top of this file). */
class ExitControl {
  readonly #sdk: Sdk;
  readonly #deadline: ExitDeadline;
  readonly #flushes: Flushes;
  #signalExit: Promise<void> | undefined;
  #firstBeforeExit = true;
  #exited = false;
  #reported = false;

  constructor(sdk: Sdk, timeoutMs: number) {
    this.#sdk = sdk;
    this.#deadline = new ExitDeadline(sdk, timeoutMs);
    this.#flushes = new Flushes(sdk, this.#deadline);
  }

  forceFlush(): Promise<void> {
    return this.#flushes.force();
  }

  shutdown(): Promise<void> {
    return this.#flushes.shutdown();
  }

  onBeforeExit(): void {
    const d = this.#deadline;
    // The flush's bound timer keeps the loop alive until it is done; then 'beforeExit' fires
    // again and, with nothing left to send, the process ends as it would have.
    if (this.#firstBeforeExit) {
      // Logged on the first pass only: in a worker, a write to stderr wakes the event loop,
      // so logging on every pass would make 'beforeExit' fire for ever.
      debug('beforeExit at %s ms', uptimeMs());
      this.#firstBeforeExit = false;
      d.start();
      // A gRPC channel stays open after an export and would keep the process alive for
      // ever: with gRPC, the end of the event loop is the end of the SDK.
      void (this.#sdk.grpc ? this.shutdown() : this.#flushes.forExit());
    } else if ((this.#sdk.spans?.processor.pending ?? 0) > 0 && d.remaining() > 0) {
      void d.bounded(this.#sdk.chain.forceFlush(), d.remaining(), 'flush', d.giveUp);
    }
  }

  onExit(): void {
    if (this.#exited) return;
    this.#exited = true;
    markExiting();
    debug('exit at %s ms', uptimeMs());
    this.#deadline.start();
    this.#report(syncFlush(this.#sdk, this.#deadline.at ?? Date.now()));
  }

  onSignal(signal: (typeof SIGNALS)[number], listener: () => void): void {
    const sdk = this.#sdk;
    // Someone else listens (the app, a framework): they decide whether and when the process
    // ends, and the bound counts from that end. Sending starts now, holding nothing: no
    // timer, unref'd sockets, no flush left waiting should the app live on; if they exit
    // synchronously, the 'exit' flush covers it.
    if (this.#signalExit === undefined && process.listenerCount(signal) > 1) {
      sdk.chain.releaseHeld();
      sdk.spans?.processor.sendNow();
      return;
    }
    // A second signal (npm and the terminal both forward Ctrl-C) shares the first's bound.
    if (this.#signalExit !== undefined) return;
    this.#deadline.start();
    this.#signalExit = this.#flushes.forExit().then(() => {
      // No 'exit' event follows a death by signal: the report is made now, synchronously.
      markExiting();
      const left = sdk.spans?.processor.pending ?? 0;
      this.#report(left > 0 ? { count: left, result: 'timeout' } : undefined);
      process.removeListener(signal, listener);
      // Re-raise with the default disposition so the exit status is the signal's own.
      process.kill(process.pid, signal);
    });
  }

  /** The one line about what the exit lost, printed once, at the very end. */
  #report(owed: Owed | undefined): void {
    if (this.#reported) return;
    this.#reported = true;
    reportLoss(this.#sdk, this.#flushes.ends, owed, this.#deadline.timeoutMs);
  }
}

/** Gathers what each signal lost at exit and prints exit-report.ts's one line about it, if any. */
function reportLoss(sdk: Sdk, ends: Ends, owed: Owed | undefined, boundMs: number): void {
  try {
    const spans = sdk.spans;
    const others: OtherLoss[] = [];
    for (const [signal, url] of [
      ['metrics', sdk.metrics?.target.url],
      ['logs', sdk.logsTarget?.url],
    ] as const) {
      let end = ends[signal];
      const logsFailure = signal === 'logs' ? sdk.logsFailureAtExit?.() : undefined;
      if (end === 'done' && logsFailure !== undefined)
        end = hintFor(logsFailure)?.aborted === true ? 'pending' : { error: logsFailure };
      if (url === undefined || end === undefined || end === 'done') continue;
      others.push({ signal, url, outcome: end === 'pending' ? 'timeout' : end });
    }
    const line = exitReport({
      url: spans?.target.url,
      boundMs,
      loss: spans?.processor.exitLoss(),
      owed,
      others,
      queueSize: spans?.processor.maxQueueSize ?? 0,
    });
    if (line === 'drops') spans?.processor.reportDropped();
    else if (line !== undefined) warnComposed(line.code, line.message);
  } catch (error) {
    warn('BUDOBSERVE_INTERNAL', 'exitReport', [errorText(error)], { cause: error });
  }
}

/** At 'exit': sends what is still owed from a worker thread, until the deadline; what it could not. */
function syncFlush(sdk: Sdk, deadline: number): Owed | undefined {
  const spans = sdk.spans;
  if (spans === undefined) return undefined;
  sdk.chain.releaseHeld();
  const owed = spans.processor.drainSync();
  if (owed.length === 0) return undefined;
  if (spans.exporter.serialize === undefined)
    return { count: owed.length, result: 'failed', reason: 'process.exit() leaves no time for an export over gRPC' };
  try {
    const body = spans.exporter.serialize(owed);
    if (body === undefined) return undefined;
    const r = flushAtExit([{ target: spans.target, body }], deadline);
    debug('exit flush of %d spans: %s', owed.length, r.result);
    if (r.result === 'timeout') return { count: owed.length, result: 'timeout' };
    if (r.result === 'failed') return { count: owed.length, result: 'failed', reason: r.reason };
    return undefined;
  } catch (error) {
    return { count: owed.length, result: 'failed', reason: `the exit flush failed (${errorText(error)})` };
  }
}

function recordCrash(error: unknown, origin: string): void {
  const tracer = trace.getTracer('budobserve');
  const active = trace.getSpan(context.active());
  const err = error instanceof Error ? error : new Error(String(error));
  const span = tracer.startSpan(origin === 'unhandledRejection' ? 'Unhandled rejection' : 'Uncaught exception', {
    attributes: {
      [ATTR_SPAN_TYPE]: 'log',
      [ATTR_LEVEL_NUM]: LEVEL_NUMBERS.fatal,
      [ATTR_MSG]: `${err.name}: ${err.message}`,
      'exception.type': err.name,
      'exception.message': err.message,
    },
  });
  recordFailure(span, error);
  span.end();
  // The span that was running when the app crashed will never end on its own; end it as
  // failed so it is exported with the crash instead of being lost.
  if (active !== undefined && active.isRecording()) {
    recordFailure(active, error);
    active.end();
  }
}
