// Bud's additions to the http instrumentation's options: the incoming request's id and end
// user on the HTTP server span, the allow-listed request and response headers on server and
// client spans (`capture.*Headers`; the scrubbing processor scrubs them at export), and the
// error a web framework caught, recorded on the server span of a 5xx (src/spans/server-span.ts), and,
// with tail sampling on, the traceresponse answer and its reading (src/sampling/tail/traceresponse.ts).
// The instrumentation itself names the server span `METHOD route` once a framework set the route.
// Owns these option hooks; must not load any instrumentation.
import type { Span } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResolvedConfig } from '../../config/types.ts';
import { warn } from '../../errors.ts';
import type { Options } from './types.ts';
import { recordServerError } from '../../spans/server-span.ts';
import { ATTR_REQUEST_ID, ATTR_ENDUSER_ID } from '../../attributes.ts';
import { tailSettings } from '../../sampling/tail/settings.ts';
import type { TailChunk } from '../../sampling/tail/install.ts';
import { loadChunk } from '../../lazy.ts';

type RequestHook = (span: Span, request: unknown) => void;
type CustomAttributesHook = (span: Span, request: unknown, response: unknown) => void;
type ResponseHook = (span: Span, response: unknown) => void;
type WriteHead = ServerResponse['writeHead'];
interface HeaderLists {
  requestHeaders?: string[];
  responseHeaders?: string[];
}
interface HeadersToSpanAttributes {
  client?: HeaderLists;
  server?: HeaderLists;
}

function union(a: readonly string[], b: readonly string[] | undefined): string[] {
  return [...new Set([...a, ...(b ?? [])].map((h) => h.toLowerCase()))];
}

/**
 * The configured headers added to the user's own lists, with no empty list: given one, even
 * empty, the instrumentations go through the headers of every request and response.
 */
export function headerLists(user: unknown, config: ResolvedConfig): HeadersToSpanAttributes {
  const own = (user ?? {}) as HeadersToSpanAttributes;
  return { client: nonEmpty(own.client, config), server: nonEmpty(own.server, config) };
}

function nonEmpty(mine: HeaderLists | undefined, config: ResolvedConfig): HeaderLists {
  const requestHeaders = union(config.capture.requestHeaders, mine?.requestHeaders);
  const responseHeaders = union(config.capture.responseHeaders, mine?.responseHeaders);
  return {
    ...(requestHeaders.length > 0 ? { requestHeaders } : {}),
    ...(responseHeaders.length > 0 ? { responseHeaders } : {}),
  };
}

/**
 * Headers given to writeHead() directly, which Node sends without keeping (getHeader() does
 * not see them, so the instrumentation's capture at the end misses them): Fastify and
 * @hono/node-server answer that way. Records the allow-listed ones as the response is written.
 */
function captureWriteHead(span: Span, response: ServerResponse, names: ReadonlySet<string>): void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called later with its own receiver (Reflect.apply)
  const original = response.writeHead as WriteHead & { [kCapturing]?: true };
  if (typeof original !== 'function' || original[kCapturing] === true) return;
  const wrapped = function writeHead(this: ServerResponse, ...args: unknown[]): ServerResponse {
    try {
      const headers = args.find((a, i) => i > 0 && typeof a === 'object' && a !== null);
      const pairs: Array<[string, unknown]> = Array.isArray(headers)
        ? Array.from({ length: headers.length >> 1 }, (_, i): [string, unknown] => [
            String(headers[i * 2]),
            headers[i * 2 + 1],
          ])
        : Object.entries(headers ?? {});
      for (const [key, value] of pairs) {
        const name = key.toLowerCase();
        if (value === undefined || !names.has(name)) continue;
        span.setAttribute(`http.response.header.${name}`, Array.isArray(value) ? value.map(String) : [String(value)]);
      }
    } catch {
      // the response is written all the same
    }
    return Reflect.apply(original, this, args) as ServerResponse;
  };
  Object.defineProperty(wrapped, kCapturing, { value: true });
  response.writeHead = wrapped as WriteHead;
}

const kCapturing = Symbol('budobserve.writeHead');

export function enrichHttp(user: Options | undefined, config: ResolvedConfig): Options {
  const header = config.requestIdHeader.toLowerCase();
  const enduser = config.enduserId;
  const userHook = user?.['requestHook'] as RequestHook | undefined;
  const userCustom = user?.['applyCustomAttributesOnSpan'] as CustomAttributesHook | undefined;
  const userResponseHook = user?.['responseHook'] as ResponseHook | undefined;
  const lists = headerLists(user?.['headersToSpanAttributes'], config);
  const responseNames = new Set(lists.server?.responseHeaders ?? []);
  const tail = tailSettings(config);
  // The traceresponse hooks are in the tail-sampling chunk, loaded only with tail sampling on.
  const tr = tail === undefined ? undefined : loadChunk<TailChunk>('tail-sampling');
  return {
    ...user,
    headersToSpanAttributes: lists,
    ...(responseNames.size === 0 && tr === undefined
      ? {}
      : {
          responseHook(span: Span, response: unknown): void {
            try {
              // A server span's response has writeHead; a client span's is an IncomingMessage.
              if (typeof (response as Partial<ServerResponse>).writeHead === 'function') {
                if (responseNames.size > 0) captureWriteHead(span, response as ServerResponse, responseNames);
                if (tr !== undefined && tail !== undefined)
                  tr.answerTraceresponse(span, response as ServerResponse, tail.rules.backgroundRate);
              } else if (tr !== undefined) {
                tr.honourTraceresponse(span, tr.incomingTraceresponse(response as IncomingMessage));
              }
            } catch (error) {
              warn('BUDOBSERVE_INTERNAL', 'responseHook', [], {
                cause: error,
                once: 'http-response-hook',
              });
            }
            userResponseHook?.(span, response);
          },
        }),
    requestHook(span: Span, request: unknown): void {
      const incoming = request as IncomingMessage;
      // Only incoming requests have headers to read here; outgoing ones are ClientRequests.
      if (incoming.headers !== undefined && typeof (incoming as { statusCode?: unknown }).statusCode !== 'number') {
        const id = incoming.headers[header];
        if (typeof id === 'string' && id !== '') span.setAttribute(ATTR_REQUEST_ID, id.slice(0, 256));
        if (enduser !== undefined) {
          try {
            const who = enduser(incoming);
            if (typeof who === 'string' && who !== '') span.setAttribute(ATTR_ENDUSER_ID, who);
          } catch (error) {
            warn('BUDOBSERVE_INTERNAL', 'enduserId', [], { cause: error, once: 'enduserId' });
          }
        }
      }
      userHook?.(span, request);
    },
    // Called as the span ends, after the instrumentation set the status from the response:
    // the one place where a framework's caught error can still reach the server span.
    applyCustomAttributesOnSpan(span: Span, request: unknown, response: unknown): void {
      try {
        recordServerError(span, (response as ServerResponse | undefined)?.statusCode);
      } catch (error) {
        warn('BUDOBSERVE_INTERNAL', 'serverError', [], { cause: error, once: 'server-error' });
      }
      userCustom?.(span, request, response);
    },
  };
}

/** The same header capture for fetch() (the undici instrumentation's option has one side only), and the traceresponse reading. */
export function enrichUndici(user: Options | undefined, config: ResolvedConfig): Options {
  const own = (user?.['headersToSpanAttributes'] ?? {}) as HeaderLists;
  const userResponseHook = user?.['responseHook'] as
    ((span: Span, info: { response?: { headers?: unknown } }) => void) | undefined;
  const tr = tailSettings(config) === undefined ? undefined : loadChunk<TailChunk>('tail-sampling');
  return {
    ...user,
    // With tail sampling on: a fetch() whose answer says the called service kept the trace keeps it here.
    ...(tr === undefined
      ? {}
      : {
          responseHook(span: Span, info: { response?: { headers?: unknown } }): void {
            tr.honourTraceresponse(span, tr.undiciTraceresponse(info?.response?.headers));
            userResponseHook?.(span, info);
          },
        }),
    headersToSpanAttributes: nonEmpty(own, config),
  };
}
