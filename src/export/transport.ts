// One OTLP/HTTP request with OTLP's retry rules: 429, 502, 503 and 504 and network errors
// are retried with exponential backoff and jitter, no sooner than Retry-After, until the
// deadline; anything else is final. Written here rather than taken from
// @opentelemetry/otlp-exporter-base because the agent must be able to abort what is in
// flight when exit is bounded, neither its retry timers nor its sockets may hold the process
// open, and that transport loads `http` with `await import()`, which starts the ESM loader
// in CommonJS apps.
import type { Agent, ClientRequest } from 'node:http';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { AGENT_VERSION } from '../version.ts';

// http, https (which brings tls and crypto) and zlib are loaded at the first export, not at
// start-up: a process that never exports, or exports late, does not pay for them first.
const http = (): typeof import('node:http') => process.getBuiltinModule('node:http');
const https = (): typeof import('node:https') => process.getBuiltinModule('node:https');
const zlib = (): typeof import('node:zlib') => process.getBuiltinModule('node:zlib');

export interface TransportOptions {
  url: string;
  headers: Record<string, string>;
  contentType: string;
  timeoutMs: number;
  compression: 'none' | 'gzip';
}

export class ExportHttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ExportHttpError';
  }
}

const RETRYABLE = new Set([429, 502, 503, 504]);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const INITIAL_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 5000;

export class HttpTransport {
  readonly #url: URL;
  readonly #opts: TransportOptions;
  readonly #headers: Record<string, string>;
  #agent: Agent | undefined;
  readonly #inFlight = new Set<ClientRequest>();
  /** Pending retry waits: how to fail them (abort) and, for unreachable collectors, end them (drain). */
  readonly #timers = new Map<NodeJS.Timeout, { reject: (e: Error) => void; wake: (() => void) | undefined }>();
  #draining = false;

  constructor(opts: TransportOptions) {
    this.#opts = opts;
    this.#url = new URL(opts.url);
    this.#headers = { ...opts.headers, 'content-type': opts.contentType, 'user-agent': `budobserve-agent/${AGENT_VERSION}` };
    if (opts.compression === 'gzip') this.#headers['content-encoding'] = 'gzip';
  }

  /** Resolves on success; rejects with the last error once retries or time run out. */
  async send(body: Uint8Array): Promise<void> {
    const payload = this.#opts.compression === 'gzip' ? zlib().gzipSync(body) : body;
    const deadline = Date.now() + this.#opts.timeoutMs;
    let backoff = INITIAL_BACKOFF_MS;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`export timed out after ${this.#opts.timeoutMs} ms`);
      let retryAfter: number | undefined;
      try {
        await this.#once(payload, remaining);
        return;
      } catch (error) {
        if (error instanceof ExportHttpError && !RETRYABLE.has(error.status)) throw error;
        if ((error as { aborted?: boolean }).aborted === true) throw error;
        // While the app is exiting, a collector that refuses connections will not come
        // back within the exit bound: fail now instead of holding the exit for the bound.
        if (this.#draining && UNREACHABLE.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
        retryAfter = (error as { retryAfterMs?: number }).retryAfterMs;
        // Retry-After is honoured as a lower bound: a collector answering "Retry-After: 0"
        // (or a date in the past) must not turn retries into a request loop.
        const wait = Math.max(retryAfter ?? 0, backoff * (0.8 + Math.random() * 0.4));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        if (Date.now() + wait >= deadline) throw error;
        await this.#sleep(wait, UNREACHABLE.has((error as NodeJS.ErrnoException).code ?? ''));
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
      const settle = (error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        this.#inFlight.delete(req);
        if (error === undefined) resolve();
        else reject(error);
      };
      // The socket timeout below only catches silence; a collector that trickles its answer
      // a byte at a time would hold the request for ever without this one.
      const deadline = setTimeout(() => req.destroy(new Error(`no complete answer from the collector within ${timeoutMs} ms`)), timeoutMs);
      deadline.unref();
      const req = mod.request(this.#url, { method: 'POST', headers: { ...this.#headers, 'content-length': String(payload.byteLength) }, agent: this.#agent, timeout: timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return settle();
          const err = new ExportHttpError(status, `collector answered HTTP ${status}`) as ExportHttpError & { retryAfterMs?: number };
          const ra = parseRetryAfter(res.headers['retry-after']);
          if (ra !== undefined) err.retryAfterMs = ra;
          settle(err);
        });
        res.on('error', (e) => settle(e));
        // A connection cut in the middle of the answer ends the response without 'end'.
        res.on('close', () => settle(new Error('the collector closed the connection before answering in full')));
      });
      this.#inFlight.add(req);
      // An export in flight must not keep the app alive once the app is done: a collector
      // that hangs would otherwise hold a natural exit for the whole export timeout. The exit
      // flush (bounded by a timer that does hold the loop) sees to what is still owed.
      req.on('socket', (socket) => socket.unref());
      req.on('timeout', () => req.destroy(new Error(`no answer from the collector within ${timeoutMs} ms`)));
      req.on('error', (e) => settle(e));
      req.end(payload);
    });
  }

  /** From now on the app is exiting: unreachable collectors are not retried. */
  drain(): void {
    this.#draining = true;
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

function abortError(): Error {
  return Object.assign(new Error('export aborted: the exit bound was reached'), { aborted: true });
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
