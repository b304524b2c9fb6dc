// When a throttled report runs: the first a second after the first event it reports (so that
// a burst makes one line, not one per span), then at most once a minute. Shared by the
// batch processor's drop warning and tail sampling's early-decision warning.
// Owns the timing; must not know what is reported.
const INTERVAL_MS = 60_000;
const FIRST_DELAY_MS = 1000;

export class ReportTimer {
  readonly #run: () => void;
  #timer: NodeJS.Timeout | undefined;
  #last = 0;

  /** `run` makes the report; it calls ran() when it has reported something. */
  constructor(run: () => void) {
    this.#run = run;
  }

  /** Whether a report was made before (its message then says "since the previous report"). */
  get reportedBefore(): boolean {
    return this.#last !== 0;
  }

  /** Schedules the next report, if none is. */
  schedule(): void {
    if (this.#timer !== undefined) return;
    const wait = Math.max(FIRST_DELAY_MS, this.#last + INTERVAL_MS - Date.now());
    // unref: a report is never a reason to stay alive; exit reports what is left.
    this.#timer = setTimeout(() => this.#run(), wait).unref();
  }

  /** Drops the scheduled report (the report runs now, or the exit reports instead). */
  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** A report was made now: the next one waits a minute. */
  ran(): void {
    this.#last = Date.now();
  }
}
