// Bud's additions to the options of the web framework instrumentations (express, koa, nestjs-core):
// the error a handler threw, which these instrumentations record on their own INTERNAL layer
// spans only, is handed to the HTTP server span (src/spans/server-span.ts) so that the request's
// SERVER span carries the exception with the handler's stack. The route template and the
// `METHOD route` name come from the instrumentations themselves (they set the RPC metadata
// route the http instrumentation reads). Owns these option hooks; must not load any instrumentation.
import type { Span } from '@opentelemetry/api';
import type { Enricher, Options } from './types.ts';
import { forwardExceptions } from '../../spans/server-span.ts';

type LayerHook = (span: Span, info: unknown) => void;

/** A requestHook that forwards the layer span's exceptions, then calls the user's own. */
function forwardingHook(user: Options | undefined): Options {
  const userHook = user?.['requestHook'] as LayerHook | undefined;
  return {
    ...user,
    requestHook(span: Span, info: unknown): void {
      forwardExceptions(span);
      userHook?.(span, info);
    },
  };
}

export const webEnrichers: Readonly<Record<string, Enricher>> = {
  express: forwardingHook,
  koa: forwardingHook,
};
