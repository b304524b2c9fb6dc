// The one exit deadline. Set when the agent first holds the exit (the first 'beforeExit', a
// signal it handles alone, shutdown(), 'exit'), it bounds every later step: flushes, retries,
// a second signal, the sync flush. Telling the span pipeline and the exporters is part of
// setting it: from then on they stop retrying by the deadline, not by their own schedule.
// Owns the deadline and the waits it bounds; must not listen to the process (shutdown.ts).
import type { Sdk } from './sdk.ts';
import { errorText, warn } from '../errors.ts';
import { debug, uptimeMs } from '../debug.ts';

export class ExitDeadline {
  /** The configured bound, shutdownTimeoutMs. */
  readonly timeoutMs: number;
  readonly #sdk: Sdk;
  #at: number | undefined;

  constructor(sdk: Sdk, timeoutMs: number) {
    this.#sdk = sdk;
    this.timeoutMs = timeoutMs;
  }

  /** When the exit must be over (Date.now() time), once the process has started to end. */
  get at(): number | undefined {
    return this.#at;
  }

  /** The process starts to end: from now on everything shares one deadline. */
  start(): void {
    if (this.#at !== undefined) return;
    const deadline = Date.now() + this.timeoutMs;
    this.#at = deadline;
    debug('exit deadline set at %s ms', uptimeMs());
    this.#sdk.spans?.processor.beginExit(deadline);
    for (const e of this.#sdk.exporters) e.drain?.(deadline);
  }

  remaining(): number {
    return Math.max(0, (this.#at ?? Number.POSITIVE_INFINITY) - Date.now());
  }

  /** The exit bound is reached: stop waiting and fail what is in flight (counted as timed out). */
  readonly giveUp = (): void => {
    debug('exit bound of %d ms reached', this.timeoutMs);
    for (const e of this.#sdk.exporters) e.abort?.();
    this.#sdk.spans?.processor.abortRetries();
  };

  /**
   * Resolves when `work` settles or after `ms`. The timer is not unref'd: export sockets and
   * retry timers do not hold the event loop (transport.ts), so it is what keeps an exit's
   * flush running, until the deadline at most.
   */
  bounded(work: Promise<unknown>, ms: number, what: string, onTimeout?: () => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        onTimeout?.();
        resolve();
      }, ms);
      work.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          // At exit, failures go into the one exit report instead.
          if (this.#at === undefined)
            warn('BUDOBSERVE_EXPORT_FAILED', 'step', [what, errorText(error)], { cause: error, once: what });
          resolve();
        },
      );
    });
  }
}
