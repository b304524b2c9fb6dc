// Bud's additions to the http instrumentation's options: the incoming request's id and end
// user on the HTTP server span. Owns these option hooks; must not load any instrumentation.
import type { Span } from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';
import type { ResolvedConfig } from '../config/types.ts';
import { warn } from '../errors.ts';
import type { Options } from './enrich.ts';

type RequestHook = (span: Span, request: unknown) => void;

export function enrichHttp(user: Options | undefined, config: ResolvedConfig): Options {
  const header = config.requestIdHeader.toLowerCase();
  const enduser = config.enduserId;
  const userHook = user?.['requestHook'] as RequestHook | undefined;
  return {
    ...user,
    requestHook(span: Span, request: unknown): void {
      const incoming = request as IncomingMessage;
      // Only incoming requests have headers to read here; outgoing ones are ClientRequests.
      if (incoming.headers !== undefined && typeof (incoming as { statusCode?: unknown }).statusCode !== 'number') {
        const id = incoming.headers[header];
        if (typeof id === 'string' && id !== '') span.setAttribute('bud.request.id', id.slice(0, 256));
        if (enduser !== undefined) {
          try {
            const who = enduser(incoming);
            if (typeof who === 'string' && who !== '') span.setAttribute('enduser.id', who);
          } catch (error) {
            warn('BUDOBSERVE_INTERNAL', 'the enduserId hook threw; enduser.id is left out', { cause: error, once: 'enduserId' });
          }
        }
      }
      userHook?.(span, request);
    },
  };
}
