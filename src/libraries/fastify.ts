// Fastify 5, zero-code: @fastify/otel (Fastify's own maintained instrumentation) registers
// itself on every Fastify instance as it is created (`registerOnInitialization`, through the
// 'fastify.initialization' diagnostics channel), so the app registers no plugin. It sets the
// route on the HTTP server span's RPC metadata, from which the http instrumentation names
// that SERVER span `METHOD /route/:param` and sets http.route; its own spans ('request', the
// hooks, the handler) are INTERNAL children. Bud adds: the error @fastify/otel records on its
// request span is handed to the server span (src/spans/server-span.ts).
// Owns the construction of @fastify/otel; must not patch Fastify itself.
import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { FastifyOtelInstrumentationOpts } from '@fastify/otel';
import type { Span } from '@opentelemetry/api';
import { forwardExceptions } from '../spans/server-span.ts';

type RequestHook = NonNullable<FastifyOtelInstrumentationOpts['requestHook']>;

export class FastifyInstrumentation extends FastifyOtelInstrumentation {
  constructor(config: FastifyOtelInstrumentationOpts = {}) {
    const userHook = config.requestHook;
    const requestHook: RequestHook = (span: Span, request) => {
      // Called in the onRequest hook, inside the HTTP server span's context.
      forwardExceptions(span);
      userHook?.(span, request);
    };
    super({ ...config, registerOnInitialization: true, requestHook });
  }
}
