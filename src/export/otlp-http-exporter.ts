// OTLP over HTTP (protobuf or JSON) for all three signals: the agent's own protobuf encoder
// for traces (otlp-encode/), the SDK's serializers from @opentelemetry/otlp-transformer for
// the rest, sent through the agent's own HttpTransport. Owns the
// serialization and the pending sends; retry policy is the transport's (metrics, logs) or
// the caller's (spans: the batch processor, with `retry: false`).
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ISerializer } from '@opentelemetry/otlp-transformer';
import { HttpTransport } from './transport.ts';
import type { SignalTarget } from './exporters.ts';

/** What the exporter uses of a serializer: requests only, the collector's answer is not read. */
export type RequestSerializer<T> = Pick<ISerializer<T, unknown>, 'serializeRequest'>;

export class OtlpHttpExporter<T> {
  readonly #serializer: RequestSerializer<T>;
  readonly #transport: HttpTransport;
  readonly #pending = new Set<Promise<void>>();
  #closed = false;

  readonly #reportAtExit: boolean;
  #exiting = false;
  /** With reportAtExit: the first export that failed once the app was exiting. */
  failureAtExit: unknown;

  /**
   * @param opts.retry false: one attempt per export; the caller retries (the error carries the hint).
   * @param opts.reportAtExit once drain() was called, a failed export is kept for the agent's
   *   one exit report (failureAtExit) and answered to the SDK as done: the logs SDK would
   *   otherwise print it through OTel's global error handler, a second line at exit.
   */
  constructor(
    target: SignalTarget,
    serializer: RequestSerializer<T>,
    opts: { retry?: boolean; reportAtExit?: boolean } = {},
  ) {
    this.#serializer = serializer;
    this.#reportAtExit = opts.reportAtExit === true;
    this.#transport = new HttpTransport({
      url: target.url,
      headers: target.headers,
      contentType: target.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
      timeoutMs: target.timeoutMs,
      compression: target.compression,
      retry: opts.retry !== false,
    });
  }

  export(items: T, resultCallback: (result: ExportResult) => void): void {
    if (this.#closed)
      return resultCallback({ code: ExportResultCode.FAILED, error: new Error('exporter is shut down') });
    let body: Uint8Array | undefined;
    try {
      body = this.#serializer.serializeRequest(items);
    } catch (error) {
      return resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
    }
    if (body === undefined)
      return resultCallback({ code: ExportResultCode.FAILED, error: new Error('nothing to serialize') });
    const p = this.#transport.send(body).then(
      () => resultCallback({ code: ExportResultCode.SUCCESS }),
      (error: unknown) => {
        if (!this.#reportAtExit || !this.#exiting)
          return resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
        this.failureAtExit ??= error;
        return resultCallback({ code: ExportResultCode.SUCCESS });
      },
    );
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  /** Serializes without sending, for the exit flush. */
  serialize(items: T): Uint8Array | undefined {
    return this.#serializer.serializeRequest(items);
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.#pending);
  }

  /** The app is exiting until `deadline`: no retry of a refused collector, none past the deadline. */
  drain(deadline?: number): void {
    this.#exiting = true;
    this.#transport.drain(deadline);
  }

  /** Stops waiting for the collector: in-flight requests fail now. */
  abort(): void {
    this.#transport.abort();
  }

  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.forceFlush();
    this.#transport.close();
  }
}
