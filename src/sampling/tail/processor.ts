// Tail sampling: holds the finished spans of each trace's local part until the trace is
// decided, then passes the kept ones, whole and in the order they ended, to the exporting
// processor behind it. A trace is kept as soon as one of its spans qualifies (rules.ts), and
// decided when its local root ends (with auto-tracing, in the microtask after, so that the
// spans its gate releases with the root join): kept at the background rate (by trace id),
// else dropped.
// Memory is bounded: past the budget in spans or estimated bytes, or past the longest hold,
// the oldest undecided traces are decided early by the same rule as a root that ends now,
// and that is reported (one warning a minute at most). Exit decides whatever is held alike.
// Sits in front of the exporting processor only: the console view and the user's processors
// see every span. Loaded as a chunk (dist/lazy/tail-sampling.cjs) only when it is on.
// Owns holding and deciding; must not export, print spans or read the configuration.
import { TraceFlags } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { TailLimits, TailRules } from './settings.ts';
import { keptAtRate } from './settings.ts';
import { isLocalRoot, keepProbability } from './rules.ts';
import { estimateBytes } from './size.ts';
import { EarlyReporter } from './early-report.ts';
import type { EarlyCounts, EarlyReason } from './early-report.ts';

export interface TailSamplerOptions {
  rules: TailRules;
  limits: TailLimits;
  /** Spans dropped by tail sampling, for the budobserve.spans.dropped metric. */
  onDropped: (spans: number) => void;
  /** decide() threw or answered something other than a number. */
  onDecideError: (error: unknown) => void;
  /** Traces decided before their local root ended, at most once a minute (default: one warning). */
  onEarly?: (counts: EarlyCounts, limits: TailLimits) => void;
  /**
   * Decide a local root that does not qualify in the microtask after it ends, not at once:
   * with auto-tracing, whose gate releases a call's children right after the call's own span.
   */
  deferRoots?: boolean;
}

interface Held {
  spans: ReadableSpan[];
  bytes: number;
  since: number;
  /** The highest probability decide() gave any of its spans. */
  p: number;
  /** Its local root ended, unqualified: decided once the current call is done (#decideRoots). */
  rootEnded: boolean;
}

export interface TailStats {
  heldTraces: number;
  heldSpans: number;
  heldBytes: number;
  /** The most spans and estimated bytes ever held at once. */
  peakSpans: number;
  peakBytes: number;
  keptTraces: number;
  droppedTraces: number;
  droppedSpans: number;
  /** Traces decided before their local root ended, by why. */
  early: Record<EarlyReason, number>;
}

// Decisions remembered for spans that end after their trace was decided (work that outlives
// the response); the oldest are forgotten first. ~100 bytes each.
const MAX_DECIDED = 16_384;

export class TailSamplingProcessor implements SpanProcessor {
  readonly #next: SpanProcessor;
  readonly #rules: TailRules;
  readonly #limits: TailLimits;
  readonly #opts: TailSamplerOptions;
  /** Undecided traces, oldest first (a Map keeps insertion order). */
  readonly #held = new Map<string, Held>();
  /** Decided traces: true kept, false dropped. */
  readonly #decided = new Map<string, boolean>();
  #spans = 0;
  #bytes = 0;
  #holdTimer: NodeJS.Timeout | undefined;
  /** Traces whose local root ended, to decide in the microtask after it. */
  #endedRoots: string[] = [];
  readonly #reporter: EarlyReporter;
  readonly #stats: Omit<TailStats, 'heldTraces' | 'heldSpans' | 'heldBytes'> = {
    peakSpans: 0,
    peakBytes: 0,
    keptTraces: 0,
    droppedTraces: 0,
    droppedSpans: 0,
    early: { budget: 0, maxHold: 0, exit: 0 },
  };

  constructor(next: SpanProcessor, opts: TailSamplerOptions) {
    this.#next = next;
    this.#rules = opts.rules;
    this.#limits = opts.limits;
    this.#opts = opts;
    this.#reporter = new EarlyReporter((counts) => opts.onEarly?.(counts, opts.limits));
  }

  onStart(span: Span, ctx: Context): void {
    this.#next.onStart(span, ctx);
  }

  onEnd(span: ReadableSpan): void {
    const sc = span.spanContext();
    // Not recorded for export (head sampling said no): nothing to hold.
    if ((sc.traceFlags & TraceFlags.SAMPLED) === 0) return;
    const id = sc.traceId;
    const decided = this.#decided.get(id);
    if (decided === true) return this.#next.onEnd(span);
    const root = isLocalRoot(span);
    const held = this.#held.get(id);
    const p = keepProbability(span, this.#rules, root, this.#opts.onDecideError);
    // Qualifies (or decide() drew it): kept now, with everything held. A trace dropped
    // before goes on from here: the part already gone is counted, the rest is exported.
    if (keptAtRate(id, p)) return this.#keep(id, held, span);
    if (decided === false) return this.#drop(id, undefined, span);
    if (root && this.#opts.deferRoots !== true) {
      const rate = Math.max(this.#rules.backgroundRate, p, held?.p ?? 0);
      return keptAtRate(id, rate) ? this.#keep(id, held, span) : this.#drop(id, held, span);
    }
    const h = this.#hold(id, held, span, p);
    // With deferRoots, a local root that does not qualify is decided once the call that ended
    // it is done: the spans the auto-trace gate releases right after their root call (its
    // children) still join the trace, and one of them may keep it.
    if (root && h !== undefined && !h.rootEnded) {
      h.rootEnded = true;
      if (this.#endedRoots.length === 0) queueMicrotask(this.#decideRoots);
      this.#endedRoots[this.#endedRoots.length] = id;
    }
  }

  readonly #decideRoots = (): void => {
    const ids = this.#endedRoots;
    this.#endedRoots = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const held = this.#held.get(id);
      // Kept meanwhile, or decided early (budget, exit): nothing left to decide.
      if (held === undefined || !held.rootEnded) continue;
      if (keptAtRate(id, Math.max(this.#rules.backgroundRate, held.p))) this.#keep(id, held, undefined);
      else this.#drop(id, held, undefined);
    }
  };

  /** Holds the span; returns its trace's entry, unless the budget made it decide the trace at once. */
  #hold(id: string, held: Held | undefined, span: ReadableSpan, p: number): Held | undefined {
    if (held === undefined) {
      held = { spans: [], bytes: 0, since: Date.now(), p: 0, rootEnded: false };
      this.#held.set(id, held);
      if (this.#holdTimer === undefined) this.#armHoldTimer(this.#limits.maxHoldMs);
    }
    const bytes = estimateBytes(span);
    // An index, not push(): this runs inside the app's call, which may have replaced push.
    held.spans[held.spans.length] = span;
    held.bytes += bytes;
    if (p > held.p) held.p = p;
    this.#spans++;
    this.#bytes += bytes;
    while ((this.#spans > this.#limits.maxSpans || this.#bytes > this.#limits.maxBytes) && this.#held.size > 0)
      this.#decideOldest('budget');
    // Measured once the budget is kept again: the span just added is over it for that instant only.
    if (this.#spans > this.#stats.peakSpans) this.#stats.peakSpans = this.#spans;
    if (this.#bytes > this.#stats.peakBytes) this.#stats.peakBytes = this.#bytes;
    return this.#held.get(id) === held ? held : undefined;
  }

  #release(id: string, held: Held): void {
    this.#held.delete(id);
    this.#spans -= held.spans.length;
    this.#bytes -= held.bytes;
  }

  #remember(id: string, kept: boolean): void {
    this.#decided.delete(id);
    this.#decided.set(id, kept);
    if (this.#decided.size > MAX_DECIDED) this.#decided.delete(this.#decided.keys().next().value!);
  }

  #keep(id: string, held: Held | undefined, span: ReadableSpan | undefined): void {
    this.#remember(id, true);
    this.#stats.keptTraces++;
    if (held !== undefined) {
      this.#release(id, held);
      const list = held.spans;
      for (let i = 0; i < list.length; i++) this.#next.onEnd(list[i]!);
    }
    if (span !== undefined) this.#next.onEnd(span);
  }

  #drop(id: string, held: Held | undefined, span: ReadableSpan | undefined): void {
    const known = this.#decided.get(id) === false;
    this.#remember(id, false);
    let n = span === undefined ? 0 : 1;
    if (held !== undefined) {
      this.#release(id, held);
      n += held.spans.length;
    }
    if (!known) this.#stats.droppedTraces++;
    this.#stats.droppedSpans += n;
    if (n > 0) this.#opts.onDropped(n);
  }

  /** Decides the oldest undecided trace as if its local root ended now. */
  #decideOldest(why: EarlyReason): void {
    const first = this.#held.entries().next().value;
    if (first === undefined) return;
    this.#decideEarly(first[0], first[1], why);
  }

  #decideEarly(id: string, held: Held, why: EarlyReason): void {
    const kept = keptAtRate(id, Math.max(this.#rules.backgroundRate, held.p));
    this.#stats.early[why]++;
    if (why !== 'exit') this.#reporter.add(why, held.spans.length, kept);
    if (kept) this.#keep(id, held, undefined);
    else this.#drop(id, held, undefined);
  }

  #armHoldTimer(ms: number): void {
    // unref: holding spans is never a reason to keep the app alive; exit decides them.
    this.#holdTimer = setTimeout(
      () => {
        this.#holdTimer = undefined;
        this.checkHold();
      },
      Math.max(1, ms),
    ).unref();
  }

  /** Decides the traces held longer than the longest hold (the timer calls it). */
  checkHold(): void {
    const now = Date.now();
    const max = this.#limits.maxHoldMs;
    for (const [id, held] of this.#held) {
      if (now - held.since < max) {
        if (this.#holdTimer === undefined) this.#armHoldTimer(held.since + max - now);
        return;
      }
      this.#decideEarly(id, held, 'maxHold');
    }
  }

  /** Whether this trace is decided kept here (an HTTP server answers that in traceresponse). */
  isKept(traceId: string): boolean {
    return this.#decided.get(traceId) === true;
  }

  /** The app is ending: every trace still held is decided now, by the rule of a root that ends. */
  releaseHeld(): void {
    if (this.#holdTimer !== undefined) clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    for (const [id, held] of this.#held) this.#decideEarly(id, held, 'exit');
  }

  get stats(): TailStats {
    return {
      ...this.#stats,
      early: { ...this.#stats.early },
      heldTraces: this.#held.size,
      heldSpans: this.#spans,
      heldBytes: this.#bytes,
    };
  }

  forceFlush(): Promise<void> {
    return this.#next.forceFlush();
  }

  shutdown(): Promise<void> {
    this.releaseHeld();
    this.#reporter.flush();
    return this.#next.shutdown();
  }
}
