// One OTLP/HTTP request with OTLP's retry rules: 429, 502, 503 and 504 and network errors
// are retried with exponential backoff and jitter, honouring Retry-After, until the
// deadline; anything else is final. Written here rather than taken from
// @opentelemetry/otlp-exporter-base because the agent must be able to abort what is in
// flight when exit is bounded, its retry timers must never hold the process open, and its
// transport loads `http` with `await import()`, which starts the ESM loader in CommonJS apps.
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { gzipSync } from 'node:zlib';
import { AGENT_VERSION } from '../version.ts';

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
  // keepAlive agents unref idle sockets, so a quiet exporter never keeps the app alive.
  readonly #agent: HttpAgent;
  readonly #inFlight = new Set<import('node:http').ClientRequest>();
  readonly #timers = new Map<NodeJS.Timeout, (e: Error) => void>();
  #draining = false;

  constructor(opts: TransportOptions) {
    this.#opts = opts;
    this.#url = new URL(opts.url);
    this.#agent = this.#url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, maxSockets: 8 }) : new HttpAgent({ keepAlive: true, maxSockets: 8 });
    this.#headers = { ...opts.headers, 'content-type': opts.contentType, 'user-agent': `budobserve-agent/${AGENT_VERSION}` };
    if (opts.compression === 'gzip') this.#headers['content-encoding'] = 'gzip';
  }

  /** Resolves on success; rejects with the last error once retries or time run out. */
  async send(body: Uint8Array): Promise<void> {
    const payload = this.#opts.compression === 'gzip' ? gzipSync(body) : body;
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
        const wait = retryAfter ?? backoff * (0.8 + Math.random() * 0.4);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        if (Date.now() + wait >= deadline) throw error;
        await this.#sleep(wait);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      // unref: a retry pending when the app is done must not keep it alive; the exit
      // flush takes over those spans.
      const t = setTimeout(() => {
        this.#timers.delete(t);
        resolve();
      }, ms);
      t.unref();
      this.#timers.set(t, reject);
    });
  }

  #once(payload: Uint8Array, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const send = this.#url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(this.#url, { method: 'POST', headers: { ...this.#headers, 'content-length': String(payload.byteLength) }, agent: this.#agent, timeout: timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => {
          this.#inFlight.delete(req);
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve();
          const err = new ExportHttpError(status, `collector answered HTTP ${status}`) as ExportHttpError & { retryAfterMs?: number };
          const ra = parseRetryAfter(res.headers['retry-after']);
          if (ra !== undefined) err.retryAfterMs = ra;
          reject(err);
        });
        res.on('error', (e) => { this.#inFlight.delete(req); reject(e); });
      });
      this.#inFlight.add(req);
      req.on('timeout', () => req.destroy(new Error(`no answer from the collector within ${timeoutMs} ms`)));
      req.on('error', (e) => { this.#inFlight.delete(req); reject(e); });
      req.end(payload);
    });
  }

  /** From now on the app is exiting: unreachable collectors are not retried. */
  drain(): void {
    this.#draining = true;
  }

  /** Gives up on everything in flight (exit is bounded); pending sends reject at once. */
  abort(): void {
    for (const [t, reject] of this.#timers) {
      clearTimeout(t);
      reject(abortError());
    }
    this.#timers.clear();
    for (const req of this.#inFlight) req.destroy(abortError());
    this.#inFlight.clear();
  }

  close(): void {
    this.abort();
    this.#agent.destroy();
  }
}

function abortError(): Error {
  return Object.assign(new Error('export aborted: the exit bound was reached'), { aborted: true });
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
