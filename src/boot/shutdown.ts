// Delivers what the app produced however it ends, and then lets it end exactly as it would
// have without the agent:
// - natural exit ('beforeExit'): an async flush, bounded by shutdownTimeoutMs;
// - SIGTERM / SIGINT: flush, then, if the app installed no handler of its own, re-raise
//   the signal so the exit status is the one the signal gives (143, 130);
// - process.exit() and uncaught exceptions ('exit'): what is still owed goes through the
//   synchronous exit flush. An uncaught exception is first recorded as a span.
// shutdown() is idempotent and bounded, whichever path calls it first.
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Sdk } from './sdk.ts';
import { errorText } from './sdk.ts';
import { flushAtExit } from '../export/exit-flush.ts';
import type { ExitPayload } from '../export/exit-flush.ts';
import { markExiting, warn } from '../errors.ts';
import { debug, uptimeMs } from '../debug.ts';

export interface Lifecycle {
  /** Flushes every signal; resolves within the bound even if the collector never answers. */
  forceFlush(): Promise<void>;
  /** Flushes and stops the SDK; later calls return the same promise. */
  shutdown(): Promise<void>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function installLifecycle(sdk: Sdk, timeoutMs: number, opts: { signals: boolean }): Lifecycle {
  let shutdownPromise: Promise<void> | undefined;
  let exited = false;
  // Set when the process starts to end (first 'beforeExit', a signal): every later flush, the
  // exit flush included, shares it, so the whole exit stays within timeoutMs.
  let exitDeadline: number | undefined;
  const startExit = (): void => { exitDeadline ??= Date.now() + timeoutMs; };
  const remaining = (): number => Math.max(0, (exitDeadline ?? Number.POSITIVE_INFINITY) - Date.now());

  const bounded = (work: Promise<unknown>, what: string, ms = timeoutMs): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        // The collector is too slow: stop waiting, fail what is in flight, and let the exit
        // flush take the rest within what is left of the bound.
        debug('%s exceeded %d ms', what, ms);
        for (const e of sdk.exporters) e.abort?.();
        resolve();
      }, ms);
      // Not unref'd: export sockets do not hold the event loop (transport.ts), so this timer
      // is what keeps a natural exit's flush running, for at most timeoutMs.
      work.then(() => { clearTimeout(timer); resolve(); }, (error: unknown) => {
        clearTimeout(timer);
        warn('BUDOBSERVE_EXPORT_FAILED', `${what} failed: ${errorText(error)}`, { cause: error, once: what });
        resolve();
      });
    });

  // The chain, not TracerProvider.forceFlush(): that one arms a 30 s timer that holds the
  // event loop until the flush ends, which a hung collector would make 30 s.
  const flushAll = (): Promise<unknown> => Promise.all([
    sdk.chain.forceFlush(),
    sdk.meterProvider?.forceFlush(),
    sdk.loggerProvider?.forceFlush(),
  ]);

  const lifecycle: Lifecycle = {
    forceFlush: () => bounded(flushAll(), 'flush'),
    shutdown() {
      shutdownPromise ??= bounded(Promise.all([
        sdk.tracerProvider.shutdown(),
        sdk.meterProvider?.shutdown(),
        sdk.loggerProvider?.shutdown(),
      ]), 'shutdown');
      return shutdownPromise;
    },
  };

  let firstBeforeExit = true;
  process.on('beforeExit', () => {
    // The flush's bound timer keeps the loop alive until it is done; then 'beforeExit' fires
    // again and, with nothing left to send, the process ends as it would have. Metrics are
    // flushed on the first pass only: a metrics export always has something to send.
    if (firstBeforeExit) {
      // Logged on the first pass only: in a worker, a write to stderr wakes the event loop,
      // so logging on every pass would make 'beforeExit' fire for ever.
      debug('beforeExit at %s ms', uptimeMs());
      firstBeforeExit = false;
      startExit();
      for (const e of sdk.exporters) e.drain?.();
      // A gRPC channel stays open after an export and would keep the process alive for
      // ever: with gRPC, the end of the event loop is the end of the SDK.
      void (sdk.grpc ? lifecycle.shutdown() : bounded(flushAll(), 'flush', remaining()));
    } else if ((sdk.spans?.processor.pending ?? 0) > 0 && remaining() > 0) {
      void bounded(sdk.chain.forceFlush(), 'flush', remaining());
    }
  });

  process.on('exit', () => {
    if (exited) return;
    exited = true;
    markExiting();
    debug('exit at %s ms', uptimeMs());
    const spans = sdk.spans;
    if (spans === undefined) return;
    spans.processor.reportDropped();
    sdk.chain.releaseHeld();
    const owed = spans.processor.drainSync();
    if (owed.length === 0 || spans.exporter.serialize === undefined) return;
    try {
      const body = spans.exporter.serialize(owed);
      if (body === undefined) return;
      const payloads: ExitPayload[] = [{ target: spans.target, body }];
      const result = flushAtExit(payloads, exitDeadline ?? Date.now() + timeoutMs);
      debug('exit flush of %d spans: %s', owed.length, result);
      if (result === 'timeout') warn('BUDOBSERVE_SHUTDOWN_TIMEOUT', `${owed.length} spans were not confirmed by ${spans.target.url} within ${timeoutMs} ms at exit`);
      else if (result === 'failed') warn('BUDOBSERVE_EXPORT_FAILED', `${owed.length} spans could not be delivered to ${spans.target.url} at exit`);
    } catch (error) {
      warn('BUDOBSERVE_INTERNAL', `exit flush failed: ${errorText(error)}`, { cause: error });
    }
  });

  // Worker threads get no signals; only the main thread listens.
  for (const signal of opts.signals ? SIGNALS : []) {
    const onSignal = (): void => {
      // Someone else listens (the app, a framework): they decide whether the process ends.
      // We only flush; if they exit synchronously, the 'exit' flush covers it.
      const others = process.listenerCount(signal) > 1;
      if (others) {
        void lifecycle.forceFlush();
        return;
      }
      startExit();
      for (const e of sdk.exporters) e.drain?.();
      void lifecycle.shutdown().finally(() => {
        process.removeListener(signal, onSignal);
        // Re-raise with the default disposition so the exit status is the signal's own.
        process.kill(process.pid, signal);
      });
    };
    process.on(signal, onSignal);
  }

  process.on('uncaughtExceptionMonitor', (error, origin) => {
    try {
      recordCrash(error, origin);
    } catch {
      // recording the crash must never change it
    }
  });

  return lifecycle;
}

function recordCrash(error: unknown, origin: string): void {
  const tracer = trace.getTracer('budobserve');
  const active = trace.getSpan(context.active());
  const err = error instanceof Error ? error : new Error(String(error));
  const span = tracer.startSpan(origin === 'unhandledRejection' ? 'Unhandled rejection' : 'Uncaught exception', {
    attributes: { 'logfire.span_type': 'log', 'logfire.level_num': 21, 'logfire.msg': `${err.name}: ${err.message}`, 'exception.type': err.name, 'exception.message': err.message },
  });
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  span.end();
  // The span that was running when the app crashed will never end on its own; end it as
  // failed so it is exported with the crash instead of being lost.
  if (active !== undefined && active.isRecording()) {
    active.recordException(err);
    active.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    active.end();
  }
}
