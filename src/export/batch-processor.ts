// A batching span processor that, unlike the SDK's BatchSpanProcessor, can hand over every
// span it still owes the collector synchronously. Exit paths (process.exit(), an uncaught
// exception) run no more event-loop turns, so an async flush there delivers nothing; the
// exit flusher (exit-flush.ts) serializes what drainSync() returns and sends it from a
// worker thread while the main thread waits. Everything else follows the OTel batch
// processor's contract: bounded queue, drop-newest when full, export by size or delay.
import type { Context } from '@opentelemetry/api';
import { TraceFlags } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';

export interface BatchOptions {
  exporter: SpanExporter;
  scheduleDelayMs: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
  /** Called once per failed export, with the error if any. */
  onExportError?: (error: unknown) => void;
}

export class BudBatchSpanProcessor implements SpanProcessor {
  readonly #exporter: SpanExporter;
  readonly #opts: BatchOptions;
  #queue: ReadableSpan[] = [];
  /** Batches handed to the exporter and not yet answered. */
  readonly #inFlight = new Set<ReadableSpan[]>();
  readonly #waiters = new Set<() => void>();
  #timer: NodeJS.Timeout | undefined;
  #shutdown: Promise<void> | undefined;
  dropped = 0;

  constructor(opts: BatchOptions) {
    this.#exporter = opts.exporter;
    this.#opts = { ...opts, maxExportBatchSize: Math.min(opts.maxExportBatchSize, opts.maxQueueSize) };
  }

  onStart(_span: Span, _ctx: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.#shutdown !== undefined || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#queue.length >= this.#opts.maxQueueSize) {
      this.dropped++;
      return;
    }
    this.#queue.push(span);
    if (this.#queue.length >= this.#opts.maxExportBatchSize) this.#schedule(0);
    else this.#schedule(this.#opts.scheduleDelayMs);
  }

  #schedule(delay: number): void {
    if (this.#timer !== undefined) {
      if (delay !== 0) return;
      clearTimeout(this.#timer);
    }
    // unref: a pending export must never keep the app alive; exit paths flush instead.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#exportNext();
    }, delay).unref();
  }

  #exportNext(): void {
    if (this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, this.#opts.maxExportBatchSize);
    this.#inFlight.add(batch);
    const done = (result: ExportResult): void => {
      if (!this.#inFlight.delete(batch)) return; // drained at exit meanwhile
      if (result.code !== ExportResultCode.SUCCESS) this.#opts.onExportError?.(result.error);
      if (this.#inFlight.size === 0) for (const w of this.#waiters) w();
    };
    try {
      this.#exporter.export(batch, done);
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
    if (this.#queue.length > 0) this.#schedule(this.#queue.length >= this.#opts.maxExportBatchSize ? 0 : this.#opts.scheduleDelayMs);
  }

  /** Exports everything queued and resolves when every export has been answered. */
  forceFlush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    while (this.#queue.length > 0) this.#exportNext();
    if (this.#inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const w = (): void => {
        this.#waiters.delete(w);
        resolve();
      };
      this.#waiters.add(w);
    });
  }

  /** Takes every span not yet acknowledged by the collector (queued and in flight). */
  drainSync(): ReadableSpan[] {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const out: ReadableSpan[] = [];
    for (const batch of this.#inFlight) out.push(...batch);
    this.#inFlight.clear();
    out.push(...this.#queue);
    this.#queue = [];
    for (const w of this.#waiters) w();
    return out;
  }

  get pending(): number {
    let n = this.#queue.length;
    for (const b of this.#inFlight) n += b.length;
    return n;
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= this.forceFlush().then(() => this.#exporter.shutdown());
    return this.#shutdown;
  }
}
