// Bud's additions to the options of library instrumentations, merged with the user's own:
// the incoming request's id and end user on the HTTP server span. (The integrations issue
// adds more per library.) Owns these option hooks; must not load any instrumentation.
import type { Span } from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';
import type { ResolvedConfig } from '../config/types.ts';
import { warn } from '../errors.ts';

type Options = Record<string, unknown>;
type RequestHook = (span: Span, request: unknown) => void;

export function enrichOptions(name: string, user: Options | undefined, config: ResolvedConfig): Options {
  if (name !== 'http') return { ...user };
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
