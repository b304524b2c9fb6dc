// Keeps a trace whole across services: an HTTP server answers a caller that sent trace
// context with the W3C Trace Context `traceresponse` header (`00-<trace-id>-<span-id>-<flags>`,
// flags 01 when this service keeps its part of the trace), and an HTTP client span that reads
// 01 for its own trace is marked (bud.sampling.kept_downstream), which keeps the caller's part
// too (rules.ts). Used by the http and undici option hooks (integrations/enrich/http.ts), only
// with tail sampling on, so responses are unchanged otherwise.
// Owns the header's format and the two hooks; must not decide traces.
import { TraceFlags } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ATTR_KEPT_DOWNSTREAM } from '../../attributes.ts';
import { keptAtRate } from './settings.ts';
import { keptHere } from './verdict.ts';

export const TRACERESPONSE = 'traceresponse';
const FORMAT = /^\s*00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})\s*$/;

export interface TraceResponse {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

export function formatTraceresponse(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

export function parseTraceresponse(value: unknown): TraceResponse | undefined {
  const text: unknown = Array.isArray(value) ? value[0] : value;
  const m = typeof text === 'string' ? FORMAT.exec(text.toLowerCase()) : null;
  if (m === null) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, sampled: (Number.parseInt(m[3]!, 16) & TraceFlags.SAMPLED) !== 0 };
}

const kAnswering = Symbol('budobserve.traceresponse');
type WriteHead = ServerResponse['writeHead'];

/**
 * Server side: as the response head is written (writeHead, which res.end() without one calls
 * too), says whether this service keeps the trace: already decided kept, a 5xx (its span
 * ends as an error, which keeps it), or drawn by the background rate. Only for callers that
 * sent a traceparent: a browser gets its response unchanged.
 */
export function answerTraceresponse(span: Span, response: ServerResponse, backgroundRate: number): void {
  const sc = span.spanContext();
  if ((sc.traceFlags & TraceFlags.SAMPLED) === 0 || response.req?.headers?.traceparent === undefined) return;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called later with its own receiver (Reflect.apply)
  const original = response.writeHead as WriteHead & { [kAnswering]?: true };
  if (typeof original !== 'function' || original[kAnswering] === true) return;
  const wrapped = function writeHead(this: ServerResponse, ...args: unknown[]): ServerResponse {
    try {
      if (!this.headersSent) {
        const status = typeof args[0] === 'number' ? args[0] : this.statusCode;
        const kept = keptHere(sc.traceId) || status >= 500 || keptAtRate(sc.traceId, backgroundRate);
        this.setHeader(TRACERESPONSE, formatTraceresponse(sc.traceId, sc.spanId, kept));
      }
    } catch {
      // the response is written all the same
    }
    return Reflect.apply(original, this, args) as ServerResponse;
  };
  Object.defineProperty(wrapped, kAnswering, { value: true });
  response.writeHead = wrapped as WriteHead;
}

/** Client side: the called service kept this trace, so this span keeps it here too. */
export function honourTraceresponse(span: Span, value: unknown): void {
  const t = parseTraceresponse(value);
  if (t?.sampled === true && t.traceId === span.spanContext().traceId) span.setAttribute(ATTR_KEPT_DOWNSTREAM, true);
}

/** The header from an http client response (IncomingMessage). */
export function incomingTraceresponse(response: IncomingMessage): unknown {
  return response.headers?.[TRACERESPONSE];
}

/** The header from undici's raw response headers (name, value, name, value, … as Buffers). */
export function undiciTraceresponse(headers: unknown): string | undefined {
  if (!Array.isArray(headers)) return undefined;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (String(headers[i]).toLowerCase() === TRACERESPONSE) return String(headers[i + 1]);
  }
  return undefined;
}
