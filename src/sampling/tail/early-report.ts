// Traces tail sampling decided before their local root ended, gathered into one report at
// most once a minute (the first a second after the first such decision, so that a burst
// makes one line): a budget too small for the load is said, never silently absorbed.
// Owns the counting and the timing of the report; the words are the callback's.
export type EarlyReason = 'budget' | 'maxHold' | 'exit';

export interface EarlyCounts {
  /** By why: the budget was full, or the trace was held the longest hold. */
  budget: number;
  maxHold: number;
  spans: number;
  kept: number;
  dropped: number;
  /** All reports before this one, this one included: traces decided early since start. */
  total: number;
  /** Not the first report. */
  again: boolean;
}

const INTERVAL_MS = 60_000;
const FIRST_DELAY_MS = 1000;

export class EarlyReporter {
  readonly #report: (counts: EarlyCounts) => void;
  #counts = { budget: 0, maxHold: 0, spans: 0, kept: 0, dropped: 0 };
  #total = 0;
  #last = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(report: (counts: EarlyCounts) => void) {
    this.#report = report;
  }

  add(why: 'budget' | 'maxHold', spans: number, kept: boolean): void {
    const c = this.#counts;
    c[why]++;
    c.spans += spans;
    if (kept) c.kept++;
    else c.dropped++;
    this.#total++;
    if (this.#timer !== undefined) return;
    const wait = Math.max(FIRST_DELAY_MS, this.#last + INTERVAL_MS - Date.now());
    // unref: a report is never a reason to stay alive.
    this.#timer = setTimeout(() => this.flush(), wait).unref();
  }

  /** Reports what is gathered, if anything. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const c = this.#counts;
    if (c.budget + c.maxHold === 0) return;
    this.#counts = { budget: 0, maxHold: 0, spans: 0, kept: 0, dropped: 0 };
    const again = this.#last !== 0;
    this.#last = Date.now();
    try {
      this.#report({ ...c, total: this.#total, again });
    } catch {
      // a report is never worth hurting the app for
    }
  }
}
