// A batching span processor that, unlike the SDK's BatchSpanProcessor, can hand over every
// span it still owes the collector synchronously. Exit paths (process.exit(), an uncaught
// exception) run no more event-loop turns, so an async flush there delivers nothing; the
// exit flusher (exit-flush.ts) serializes what drainSync() returns and sends it from a
// worker thread while the main thread waits. Everything else follows the OTel batch
// processor's contract: bounded queue, drop-newest when full, export by size or delay.
// Exports out at once are limited, so a collector that hangs or answers slowly cannot make
// memory grow without limit. Dropped spans are counted, reported as one warning a minute at
// most and as the budobserve.spans.dropped self-metric.
import type { Context, Counter, MeterProvider } from '@opentelemetry/api';
import { metrics, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { warn } from '../errors.ts';

export interface BatchOptions {
  exporter: SpanExporter;
  scheduleDelayMs: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
  /** Called once per failed export, with the error if any. */
  onExportError?: (error: unknown) => void;
}

type DropReason = 'queue_full' | 'export_failed';

// Batches out at once outside a flush. With the queue bound this caps the spans held for the
// collector at maxQueueSize + 2 batches, however slowly it answers (the OTel SDK's processor
// allows one); a flush may add up to one more queue's worth for as long as it lasts.
const MAX_CONCURRENT_EXPORTS = 2;

const DROP_REPORT_INTERVAL_MS = 60_000;
// The first report waits this long so that a burst of drops makes one line, not one per span.
const FIRST_DROP_REPORT_DELAY_MS = 1000;

// Made on the first drop, from whatever meter provider is global then: the metrics SDK is
// registered only when metrics are exported, and otherwise the API's no-op meter costs nothing.
let dropCounter: { provider: MeterProvider; counter: Counter } | undefined;

function countDropped(n: number, reason: DropReason): void {
  try {
    const provider = metrics.getMeterProvider();
    if (dropCounter?.provider !== provider) {
      const counter = provider.getMeter('budobserve').createCounter('budobserve.spans.dropped', {
        description: 'Spans the agent dropped: its export queue was full, or the collector did not accept them',
        unit: '{span}',
      });
      dropCounter = { provider, counter };
    }
    dropCounter.counter.add(n, { reason });
  } catch {
    // a self-metric is never worth hurting the app for
  }
}

export class BudBatchSpanProcessor implements SpanProcessor {
  readonly #exporter: SpanExporter;
  readonly #opts: BatchOptions;
  #queue: ReadableSpan[] = [];
  /** Batches handed to the exporter and not yet answered, with the number of their first span. */
  readonly #inFlight = new Map<ReadableSpan[], number>();
  #inFlightSpans = 0;
  /** Spans ever queued: the number the next queued span gets. */
  #queued = 0;
  readonly #waiters = new Set<() => void>();
  #timer: NodeJS.Timeout | undefined;
  #shutdown: Promise<void> | undefined;
  /** Spans dropped since start. */
  dropped = 0;
  readonly #unreported: Record<DropReason, number> = { queue_full: 0, export_failed: 0 };
  #reportTimer: NodeJS.Timeout | undefined;
  #lastReport = 0;

  constructor(opts: BatchOptions) {
    this.#exporter = opts.exporter;
    this.#opts = { ...opts, maxExportBatchSize: Math.min(opts.maxExportBatchSize, opts.maxQueueSize) };
  }

  onStart(_span: Span, _ctx: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.#shutdown !== undefined || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#queue.length >= this.#opts.maxQueueSize) {
      this.#drop(1, 'queue_full');
      return;
    }
    // An index, not push(): this runs inside the app's call, which may have replaced
    // Array.prototype.push (a call counter, a test double).
    this.#queue[this.#queue.length] = span;
    this.#queued++;
    this.#schedule(this.#queue.length >= this.#opts.maxExportBatchSize ? 0 : this.#opts.scheduleDelayMs);
  }

  #schedule(delay: number): void {
    if (this.#timer !== undefined) {
      if (delay !== 0) return;
      clearTimeout(this.#timer);
    }
    // unref: a pending export must never keep the app alive; exit paths flush instead.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, delay).unref();
  }

  /** Exports what is queued, as far as the limit on concurrent exports allows. */
  #pump(): void {
    while (this.#queue.length > 0 && this.#canSend()) this.#exportOne();
  }

  #canSend(): boolean {
    if (this.#inFlight.size < MAX_CONCURRENT_EXPORTS) return true;
    // While a flush waits (at exit above all) time matters more than sockets: the queue goes
    // out at once, still never more than a queue's worth of spans in flight.
    return this.#waiters.size > 0 && this.#inFlightSpans < this.#opts.maxQueueSize;
  }

  #exportOne(): void {
    const first = this.#queued - this.#queue.length;
    const batch = this.#queue.splice(0, this.#opts.maxExportBatchSize);
    this.#inFlight.set(batch, first);
    this.#inFlightSpans += batch.length;
    const done = (result: ExportResult): void => {
      if (!this.#inFlight.delete(batch)) return; // drained at exit meanwhile
      this.#inFlightSpans -= batch.length;
      if (result.code !== ExportResultCode.SUCCESS) {
        this.#drop(batch.length, 'export_failed');
        this.#opts.onExportError?.(result.error);
      }
      // Spans that waited for a free export slot go now if they fill a batch or a flush
      // waits for them; otherwise at the usual delay.
      if (this.#queue.length > 0) this.#schedule(this.#waiters.size > 0 || this.#queue.length >= this.#opts.maxExportBatchSize ? 0 : this.#opts.scheduleDelayMs);
      for (const w of this.#waiters) w();
    };
    try {
      this.#exporter.export(batch, done);
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  /** Number of the oldest span not yet answered by the collector. */
  #oldestOwed(): number {
    let oldest = this.#queued - this.#queue.length;
    for (const first of this.#inFlight.values()) oldest = Math.min(oldest, first);
    return oldest;
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

  /** Takes every span not yet acknowledged by the collector (queued and in flight). */
  drainSync(): ReadableSpan[] {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const out: ReadableSpan[] = [];
    for (const batch of this.#inFlight.keys()) out.push(...batch);
    this.#inFlight.clear();
    this.#inFlightSpans = 0;
    out.push(...this.#queue);
    this.#queue = [];
    for (const w of this.#waiters) w();
    return out;
  }

  /** Spans queued or in flight. */
  get pending(): number {
    return this.#queue.length + this.#inFlightSpans;
  }

  #drop(n: number, reason: DropReason): void {
    this.dropped += n;
    this.#unreported[reason] += n;
    countDropped(n, reason);
    if (this.#reportTimer !== undefined) return;
    const wait = Math.max(FIRST_DROP_REPORT_DELAY_MS, this.#lastReport + DROP_REPORT_INTERVAL_MS - Date.now());
    // unref: the report is never a reason to stay alive; exit reports what is left.
    this.#reportTimer = setTimeout(() => this.reportDropped(), wait).unref();
  }

  /** One warning for the spans dropped since the last one, if any. */
  reportDropped(): void {
    if (this.#reportTimer !== undefined) clearTimeout(this.#reportTimer);
    this.#reportTimer = undefined;
    const { queue_full: full, export_failed: failed } = this.#unreported;
    if (full + failed === 0) return;
    this.#unreported.queue_full = 0;
    this.#unreported.export_failed = 0;
    const since = this.#lastReport === 0 ? '' : ' since the previous report';
    this.#lastReport = Date.now();
    const why: string[] = [];
    if (full > 0) why.push(`${full} because the export queue (${this.#opts.maxQueueSize} spans, OTEL_BSP_MAX_QUEUE_SIZE) was full`);
    if (failed > 0) why.push(`${failed} because the collector did not accept them`);
    warn('BUDOBSERVE_SPANS_DROPPED', `${full + failed} spans were dropped${since}: ${why.join(', ')}; ${this.dropped} since start`);
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= this.forceFlush().then(() => {
      this.reportDropped();
      return this.#exporter.shutdown();
    });
    return this.#shutdown;
  }
}
