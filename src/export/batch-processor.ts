// A batching span processor that, unlike the SDK's BatchSpanProcessor, can hand over every
// span it still owes the collector synchronously. Exit paths (process.exit(), an uncaught
// exception) run no more event-loop turns, so an async flush there delivers nothing; the
// exit flusher (exit-flush.ts) serializes what drainSync() returns and sends it from a
// worker thread while the main thread waits. Everything else follows the OTel batch
// processor's contract: bounded queue, drop-newest when full, export by size or delay.
// Exports out at once are limited, so a collector that hangs or answers slowly cannot make
// memory grow without limit. A batch the collector asks to send again (429, 502-504, a
// network failure) is retried by this processor, honouring Retry-After, for as long as the
// collector asks: it keeps its export slot until the queue needs the room, and then the
// oldest retrying batch gives way. Dropped spans are counted, reported as one warning a
// minute at most and as the budobserve.spans.dropped self-metric; from the start of exit on,
// what is lost is kept for the one exit report (exitLoss) instead.
// Owns the queue, the slots and the retry timers; must not print anything at exit itself.
import type { Context } from '@opentelemetry/api';
import { TraceFlags } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { warn } from '../errors.ts';
import { countDropped, dropCounterNow } from './drop-counter.ts';
import { ReportTimer } from './report-timer.ts';
import type { DroppedReason } from './drop-counter.ts';
import { abortError, hintFor, INITIAL_BACKOFF_MS, nextBackoff, retryWait } from './retry.ts';

export interface BatchOptions {
  exporter: SpanExporter;
  scheduleDelayMs: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
  /** Called once per batch given up on (not per retry), with the error if any. */
  onExportError?: (error: unknown) => void;
}

type DropReason = Exclude<DroppedReason, 'tail_sampled'>;

/** What was lost and not yet reported, for the exit report. */
export interface ExitLoss {
  /** Dropped because the queue was full (before or during exit). */
  queueFull: number;
  /** Given up on before exit started (a final answer, or giving way to newer spans). */
  failedBefore: number;
  /** Given up on during exit because the collector failed; `error` is the first such failure. */
  failedAtExit: number;
  error: unknown;
  /** Cut short by the exit bound. */
  timedOut: number;
  /** Spans dropped since start, these included. */
  droppedTotal: number;
}

/** A batch handed to the exporter and not yet done with. */
interface Owed {
  /** Number of its first span. */
  first: number;
  /** Attempts started; the answer to an earlier one is stale. */
  attempts: number;
  backoff: number;
  /** Set while the batch waits for its next attempt. */
  timer: NodeJS.Timeout | undefined;
  wakeAt: number;
  /** The last attempt failed and the collector asked for another: the batch is retrying. */
  retrying: boolean;
  unreachable: boolean;
  lastError: unknown;
}

// Batches out at once outside a flush, retrying ones included. With the queue bound this caps
// the spans held for the collector at maxQueueSize + 2 batches, however slowly it answers and
// however long it asks to be retried (the OTel SDK's processor allows one); a flush may add
// up to one more queue's worth for as long as it lasts.
const MAX_CONCURRENT_EXPORTS = 2;

export class BudBatchSpanProcessor implements SpanProcessor {
  readonly #exporter: SpanExporter;
  readonly #opts: BatchOptions;
  /** Queued spans: those from #head on (a batch taken from the front moves #head, copies nothing else). */
  #queue: Array<ReadableSpan | undefined> = [];
  #head = 0;
  readonly #inFlight = new Map<ReadableSpan[], Owed>();
  #inFlightSpans = 0;
  /** Spans ever queued: the number the next queued span gets. */
  #queued = 0;
  readonly #waiters = new Set<() => void>();
  #timer: NodeJS.Timeout | undefined;
  /** The timer is due at once (delay 0), not at the schedule delay. */
  #timerNow = false;
  #shutdown: Promise<void> | undefined;
  /** Spans dropped since start. */
  dropped = 0;
  readonly #unreported: Record<DropReason, number> = { queue_full: 0, export_failed: 0 };
  readonly #reportTimer = new ReportTimer(() => this.reportDropped());
  /** Set by beginExit(): the exit deadline and what the exit has cost so far. */
  #exit: { deadline: number; failed: number; error: unknown; timedOut: number } | undefined;

  constructor(opts: BatchOptions) {
    this.#exporter = opts.exporter;
    this.#opts = { ...opts, maxExportBatchSize: Math.min(opts.maxExportBatchSize, opts.maxQueueSize) };
  }

  onStart(_span: Span, _ctx: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.#shutdown !== undefined || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#waiting >= this.#opts.maxQueueSize && !this.#giveWay()) {
      this.#drop(1, 'queue_full');
      return;
    }
    // An index, not push(): this runs inside the app's call, which may have replaced
    // Array.prototype.push (a call counter, a test double).
    this.#queue[this.#queue.length] = span;
    this.#queued++;
    this.#schedule(this.#waiting >= this.#opts.maxExportBatchSize ? 0 : this.#opts.scheduleDelayMs);
  }

  /** Spans queued and not yet handed to an export. */
  get #waiting(): number {
    return this.#queue.length - this.#head;
  }

  #schedule(delay: number): void {
    if (this.#timer !== undefined) {
      // A timer due at once already serves: while both export slots are busy the queue stays
      // over a batch, and each span ended then would otherwise replace it (~0.5 µs a span).
      if (delay !== 0 || this.#timerNow) return;
      clearTimeout(this.#timer);
    }
    this.#timerNow = delay === 0;
    // unref: a pending export must never keep the app alive; exit paths flush instead.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, delay).unref();
  }

  /** Exports what is queued, as far as the limit on concurrent exports allows. */
  #pump(): void {
    while (this.#queue.length > this.#head && this.#canSend()) this.#exportOne(false);
  }

  #canSend(): boolean {
    if (this.#inFlight.size < MAX_CONCURRENT_EXPORTS) return true;
    // While a flush waits (at exit above all) time matters more than sockets: the queue goes
    // out at once, still never more than a queue's worth of spans in flight.
    return this.#waiters.size > 0 && this.#inFlightSpans < this.#opts.maxQueueSize;
  }

  /** Moves the queue's oldest batch into an export slot; `deferred`: its first attempt runs from a timer. */
  #exportOne(deferred: boolean): void {
    const first = this.#queued - this.#waiting;
    const batch = this.#takeBatch();
    const owed: Owed = {
      first,
      attempts: 0,
      backoff: INITIAL_BACKOFF_MS,
      timer: undefined,
      wakeAt: 0,
      retrying: false,
      unreachable: false,
      lastError: undefined,
    };
    this.#inFlight.set(batch, owed);
    this.#inFlightSpans += batch.length;
    if (deferred) this.#wait(batch, owed, 0);
    else this.#attempt(batch, owed);
  }

  /** The oldest batch off the queue's front, its slots cleared: it costs the batch, not the queue. */
  #takeBatch(): ReadableSpan[] {
    const q = this.#queue;
    const head = this.#head;
    const n = Math.min(this.#opts.maxExportBatchSize, q.length - head);
    if (head === 0 && n === q.length) {
      this.#queue = [];
      return q as ReadableSpan[];
    }
    const batch: ReadableSpan[] = new Array<ReadableSpan>(n);
    for (let i = 0; i < n; i++) {
      batch[i] = q[head + i]!;
      q[head + i] = undefined;
    }
    // Compacted once half spent (a queue taken to its end included: the slice is then empty).
    const next = head + n;
    this.#head = next * 2 >= q.length ? 0 : next;
    if (this.#head === 0) this.#queue = q.slice(next);
    return batch;
  }

  #wait(batch: ReadableSpan[], owed: Owed, ms: number): void {
    owed.wakeAt = Date.now() + ms;
    // unref: a retry pending when the app is done must not keep it alive; exit sees to it.
    owed.timer = setTimeout(() => {
      owed.timer = undefined;
      this.#attempt(batch, owed);
    }, ms).unref();
  }

  #attempt(batch: ReadableSpan[], owed: Owed): void {
    const attempt = ++owed.attempts;
    dropCounterNow(); // made before a drop can happen during shutdown() (drop-counter.ts)
    const done = (result: ExportResult): void => {
      // Stale: the batch gave way, or was taken by the exit flush, meanwhile.
      if (this.#inFlight.get(batch) !== owed || owed.attempts !== attempt) return;
      if (result.code === ExportResultCode.SUCCESS) return this.#settle(batch, owed);
      const error = result.error ?? new Error('the span export failed');
      const hint = hintFor(error);
      const wait = retryWait(hint, owed.backoff, this.#exit?.deadline);
      if (wait === undefined) return this.#settle(batch, owed, error);
      owed.backoff = nextBackoff(owed.backoff);
      owed.retrying = true;
      owed.unreachable = hint?.unreachable === true;
      owed.lastError = error;
      this.#wait(batch, owed, wait);
    };
    try {
      this.#exporter.export(batch, done);
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  /** Done with a batch: delivered, or (with an error) given up on and counted as dropped. */
  #settle(batch: ReadableSpan[], owed: Owed, error?: unknown): void {
    if (!this.#inFlight.delete(batch)) return;
    if (owed.timer !== undefined) clearTimeout(owed.timer);
    owed.timer = undefined;
    this.#inFlightSpans -= batch.length;
    if (error !== undefined) this.#failed(batch.length, error);
    // Spans that waited for a free export slot go now if they fill a batch or a flush
    // waits for them; otherwise at the usual delay.
    const queued = this.#waiting;
    if (queued > 0)
      this.#schedule(
        this.#waiters.size > 0 || queued >= this.#opts.maxExportBatchSize ? 0 : this.#opts.scheduleDelayMs,
      );
    for (const w of this.#waiters) w();
  }

  /**
   * The queue is full while the collector keeps asking for batches again: the oldest
   * retrying batch gives way (dropped, export_failed), and the queue's oldest spans take its
   * slot, so the newest are kept and memory stays within the bound. False when none retries.
   */
  #giveWay(): boolean {
    let oldest: [ReadableSpan[], Owed] | undefined;
    for (const entry of this.#inFlight) {
      const o = entry[1];
      if (o.retrying && o.timer !== undefined && (oldest === undefined || o.first < oldest[1].first)) oldest = entry;
    }
    if (oldest === undefined) return false;
    this.#settle(oldest[0], oldest[1], oldest[1].lastError);
    // Not inside the app's span.end(): the slot's first attempt (scrub, serialize) runs from a timer.
    this.#exportOne(true);
    return true;
  }

  /** Number of the oldest span not yet answered by the collector. */
  #oldestOwed(): number {
    let oldest = this.#queued - this.#waiting;
    for (const o of this.#inFlight.values()) oldest = Math.min(oldest, o.first);
    return oldest;
  }

  /** Starts exporting what is queued now, within the usual limit of exports out at once; waits for nothing. */
  sendNow(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pump();
  }

  /** Exports everything queued and resolves when the collector answered for all of it. */
  forceFlush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    // Spans ended after this call do not hold the flush: under steady load it would never end.
    const target = this.#queued;
    return new Promise((resolve) => {
      const w = (): void => {
        if (this.#oldestOwed() < target) return;
        this.#waiters.delete(w);
        resolve();
      };
      this.#waiters.add(w);
      this.#pump();
      w();
    });
  }

  /**
   * The app is exiting; the exit must be over by `deadline`. A batch waiting to retry a
   * refused collector, or whose wait would end past the deadline, is given up now, and so
   * is every later failure that could not be retried in time; what is lost is kept for
   * exitLoss() rather than reported.
   */
  beginExit(deadline: number): void {
    if (this.#exit !== undefined) return;
    this.#exit = { deadline, failed: 0, error: undefined, timedOut: 0 };
    this.#reportTimer.cancel();
    for (const [batch, owed] of [...this.#inFlight]) {
      if (owed.retrying && owed.timer !== undefined && (owed.unreachable || owed.wakeAt >= deadline))
        this.#settle(batch, owed, owed.lastError);
    }
  }

  /** The exit bound is reached: batches waiting to retry are given up (timed out). */
  abortRetries(): void {
    for (const [batch, owed] of [...this.#inFlight])
      if (owed.timer !== undefined) this.#settle(batch, owed, abortError());
  }

  /** Takes every span not yet acknowledged by the collector (queued, in flight and retrying). */
  drainSync(): ReadableSpan[] {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const out: ReadableSpan[] = [];
    for (const [batch, owed] of this.#inFlight) {
      if (owed.timer !== undefined) clearTimeout(owed.timer);
      out.push(...batch);
    }
    this.#inFlight.clear();
    this.#inFlightSpans = 0;
    for (let i = this.#head; i < this.#queue.length; i++) out.push(this.#queue[i]!);
    this.#queue = [];
    this.#head = 0;
    for (const w of this.#waiters) w();
    return out;
  }

  /** Spans queued or in flight. */
  get pending(): number {
    return this.#waiting + this.#inFlightSpans;
  }

  #failed(n: number, error: unknown): void {
    const exit = this.#exit;
    if (exit === undefined) {
      this.#drop(n, 'export_failed');
      this.#opts.onExportError?.(error);
      return;
    }
    this.dropped += n;
    countDropped(n, 'export_failed');
    if (hintFor(error)?.aborted === true) exit.timedOut += n;
    else {
      exit.failed += n;
      exit.error ??= error;
    }
  }

  #drop(n: number, reason: DropReason): void {
    this.dropped += n;
    this.#unreported[reason] += n;
    countDropped(n, reason);
    if (this.#exit === undefined) this.#reportTimer.schedule();
  }

  /** What is lost and not yet reported, for the one exit report. */
  exitLoss(): ExitLoss {
    return {
      queueFull: this.#unreported.queue_full,
      failedBefore: this.#unreported.export_failed,
      failedAtExit: this.#exit?.failed ?? 0,
      error: this.#exit?.error,
      timedOut: this.#exit?.timedOut ?? 0,
      droppedTotal: this.dropped,
    };
  }

  /** One warning for the spans dropped since the last one, if any. */
  reportDropped(): void {
    this.#reportTimer.cancel();
    const { queue_full: full, export_failed: failed } = this.#unreported;
    if (full + failed === 0) return;
    this.#unreported.queue_full = 0;
    this.#unreported.export_failed = 0;
    const since = this.#reportTimer.reportedBefore ? ' since the previous report' : '';
    this.#reportTimer.ran();
    const why: string[] = [];
    if (full > 0)
      why.push(`${full} because the export queue (${this.#opts.maxQueueSize} spans, OTEL_BSP_MAX_QUEUE_SIZE) was full`);
    if (failed > 0) why.push(`${failed} because the collector did not accept them`);
    warn('BUDOBSERVE_SPANS_DROPPED', 'dropped', [full + failed, since, why.join(', '), this.dropped]);
  }

  get maxQueueSize(): number {
    return this.#opts.maxQueueSize;
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= this.forceFlush().then(() => {
      if (this.#exit === undefined) this.reportDropped();
      return this.#exporter.shutdown();
    });
    return this.#shutdown;
  }
}
