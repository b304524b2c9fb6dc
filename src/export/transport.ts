// One OTLP/HTTP request, and, for senders that do not retry themselves (the metrics and
// logs SDKs), OTLP's retry rules within the export timeout (retry.ts). The span batch
// processor retries whole batches itself, for as long as the collector asks: it sends with
// `retry: false`, and each attempt is bounded by the export timeout.
// Written here rather than taken from @opentelemetry/otlp-exporter-base because the agent
// must be able to abort what is in flight when exit is bounded, neither its retry timers nor
// its sockets may hold the process open, and that transport loads `http` with `await
// import()`, which starts the ESM loader in CommonJS apps.
// Owns sockets, request timers and retry waits; must not decide what is dropped (the batch
// processor does) nor read configuration.
import type { Agent, ClientRequest } from 'node:http';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { AGENT_VERSION } from '../version.ts';
import {
  abortError,
  hintFor,
  INITIAL_BACKOFF_MS,
  networkHint,
  nextBackoff,
  retryWait,
  statusHint,
  withHint,
} from './retry.ts';

// http, https (which brings tls and crypto) and zlib are loaded at the first export, not at
// start-up: a process that never exports, or exports late, does not pay for them first.
const http = (): typeof import('node:http') => process.getBuiltinModule('node:http');
const https = (): typeof import('node:https') => process.getBuiltinModule('node:https');
const zlib = (): typeof import('node:zlib') => process.getBuiltinModule('node:zlib');

export interface TransportOptions {
  url: string;
  headers: Record<string, string>;
  contentType: string;
  /** Bounds one attempt; with `retry`, also every attempt of one send together. */
  timeoutMs: number;
  compression: 'none' | 'gzip';
  /** Retry here (true, the default) or leave it to the caller, which reads the error's hint. */
  retry?: boolean;
}

export class ExportHttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ExportHttpError';
    this.status = status;
  }
}

export class HttpTransport {
  readonly #url: URL;
  readonly #opts: TransportOptions;
  readonly #headers: Record<string, string>;
  #agent: Agent | undefined;
  readonly #inFlight = new Set<ClientRequest>();
  /** Pending retry waits: how to fail them (abort) and, for unreachable collectors, end them (drain). */
  readonly #timers = new Map<NodeJS.Timeout, { reject: (e: Error) => void; wake: (() => void) | undefined }>();
  /** Set when the app starts to exit: no retry waits past it, none for a refused collector. */
  #exitDeadline: number | undefined;

  constructor(opts: TransportOptions) {
    this.#opts = opts;
    this.#url = new URL(opts.url);
    this.#headers = {
      ...opts.headers,
      'content-type': opts.contentType,
      'user-agent': `budobserve-agent/${AGENT_VERSION}`,
    };
    if (opts.compression === 'gzip') this.#headers['content-encoding'] = 'gzip';
  }

  /** Resolves on success; rejects with the last error (tagged with its retry hint) once retries or time run out. */
  async send(body: Uint8Array): Promise<void> {
    const payload = this.#opts.compression === 'gzip' ? zlib().gzipSync(body) : body;
    if (this.#opts.retry === false) return this.#once(payload, this.#opts.timeoutMs);
    const deadline = Date.now() + this.#opts.timeoutMs;
    let backoff = INITIAL_BACKOFF_MS;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`export timed out after ${this.#opts.timeoutMs} ms`);
      try {
        await this.#once(payload, remaining);
        return;
      } catch (error) {
        const hint = hintFor(error);
        const wait = retryWait(hint, backoff, this.#exitDeadline);
        backoff = nextBackoff(backoff);
        if (wait === undefined || Date.now() + wait >= deadline) throw error;
        await this.#sleep(wait, hint?.unreachable === true);
      }
    }
  }

  #sleep(ms: number, unreachable: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      // unref: a retry pending when the app is done must not keep it alive; the exit
      // flush takes over those spans.
      const t = setTimeout(() => {
        this.#timers.delete(t);
        resolve();
      }, ms);
      t.unref();
      this.#timers.set(t, { reject, wake: unreachable ? resolve : undefined });
    });
  }

  #once(payload: Uint8Array, timeoutMs: number): Promise<void> {
    // The http module is instrumented by now: without suppression every export would be a
    // client span, exported in turn, for ever.
    return context.with(suppressTracing(context.active()), () => this.#request(payload, timeoutMs));
  }

  #request(payload: Uint8Array, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const mod = this.#url.protocol === 'https:' ? https() : http();
      this.#agent ??= new mod.Agent({ keepAlive: true, maxSockets: 8 });
      let settled = false;
      let req: ClientRequest | undefined;
      const settle = (error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if (req !== undefined) this.#inFlight.delete(req);
        if (error === undefined) resolve();
        else reject(hintFor(error) === undefined ? withHint(error, networkHint(error)) : error);
      };
      // The socket timeout below only catches silence; a collector that trickles its answer
      // a byte at a time would hold the request for ever without this one.
      const deadline = setTimeout(
        () => req?.destroy(new Error(`no complete answer from the collector within ${timeoutMs} ms`)),
        timeoutMs,
      );
      deadline.unref();
      try {
        req = mod.request(
          this.#url,
          {
            method: 'POST',
            headers: { ...this.#headers, 'content-length': String(payload.byteLength) },
            agent: this.#agent,
            timeout: timeoutMs,
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              const status = res.statusCode ?? 0;
              if (status >= 200 && status < 300) return settle();
              const ra: string | string[] | undefined = res.headers['retry-after'];
              settle(
                withHint(
                  new ExportHttpError(status, `collector answered HTTP ${status}`),
                  statusHint(status, typeof ra === 'string' ? ra : ra?.[0]),
                ),
              );
            });
            res.on('error', (e) => settle(e));
            // A connection cut in the middle of the answer ends the response without 'end'.
            res.on('close', () => settle(new Error('the collector closed the connection before answering in full')));
          },
        );
      } catch (error) {
        // Node refused to build the request (a header value with CR/LF, a bad header name):
        // the same request fails the same way every time, so it is final.
        settle(requestRejected(error));
        return;
      }
      this.#inFlight.add(req);
      // An export in flight must not keep the app alive once the app is done: a collector
      // that hangs would otherwise hold a natural exit for the whole export timeout. The exit
      // flush (bounded by a timer that does hold the loop) sees to what is still owed.
      req.on('socket', (socket) => socket.unref());
      req.on('timeout', () => req?.destroy(new Error(`no answer from the collector within ${timeoutMs} ms`)));
      req.on('error', (e) => settle(e));
      req.end(payload);
    });
  }

  /**
   * From now on the app is exiting, until `deadline`: a refused collector is not retried,
   * and no retry waits past the deadline (none given: only the first holds).
   */
  drain(deadline = Number.POSITIVE_INFINITY): void {
    this.#exitDeadline = Math.min(this.#exitDeadline ?? deadline, deadline);
    // A retry waiting out its backoff after a refused connection tries now, and fails fast.
    for (const [t, { wake }] of this.#timers) {
      if (wake === undefined) continue;
      clearTimeout(t);
      this.#timers.delete(t);
      wake();
    }
  }

  /** Gives up on everything in flight (exit is bounded); pending sends reject at once. */
  abort(): void {
    for (const [t, { reject }] of this.#timers) {
      clearTimeout(t);
      reject(abortError());
    }
    this.#timers.clear();
    for (const req of this.#inFlight) req.destroy(abortError());
    this.#inFlight.clear();
  }

  close(): void {
    this.abort();
    this.#agent?.destroy();
  }
}

// Fixed texts: Node's own messages for these quote the header, and a header may carry a
// credential (the token is one).
const REJECTED: Record<string, string> = {
  ERR_INVALID_CHAR: 'a header value holds a character HTTP forbids (CR, LF or another control character)',
  ERR_INVALID_HTTP_TOKEN: 'a header name is not a valid HTTP token',
};

/** A synchronous throw of http.request(), as a final error naming Node's code, never a value. */
function requestRejected(error: unknown): Error {
  const code =
    (error as NodeJS.ErrnoException | null | undefined)?.code ?? (error as Error | undefined)?.name ?? 'unknown error';
  const why = REJECTED[code] ?? 'Node rejected the request options';
  return withHint(Object.assign(new Error(`the export request could not be made (${code}: ${why})`), { code }), {
    retryable: false,
  });
}
