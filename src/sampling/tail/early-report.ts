// Traces tail sampling decided before their local root ended, gathered into one report at
// most once a minute (the first a second after the first such decision, so that a burst
// makes one line): a budget too small for the load is said, never silently absorbed.
// Owns the counting; when the report runs is report-timer.ts's, its words the callback's.
import { ReportTimer } from '../../export/report-timer.ts';

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

export class EarlyReporter {
  readonly #report: (counts: EarlyCounts) => void;
  #counts = { budget: 0, maxHold: 0, spans: 0, kept: 0, dropped: 0 };
  #total = 0;
  readonly #timer = new ReportTimer(() => this.flush());

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
    this.#timer.schedule();
  }

  /** Reports what is gathered, if anything. */
  flush(): void {
    this.#timer.cancel();
    const c = this.#counts;
    if (c.budget + c.maxHold === 0) return;
    this.#counts = { budget: 0, maxHold: 0, spans: 0, kept: 0, dropped: 0 };
    const again = this.#timer.reportedBefore;
    this.#timer.ran();
    try {
      this.#report({ ...c, total: this.#total, again });
    } catch {
      // a report is never worth hurting the app for
    }
  }
}
