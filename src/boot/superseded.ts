// The global tracer provider the app and its libraries see: the SDK's, except for the tracer
// scopes of a library's own built-in tracing that one of Bud's integrations replaces
// (@anthropic-ai/sdk 1.x traces its calls itself; Bud's anthropic integration records the
// same call with cost and metrics, and two spans of one call would count its tokens twice).
// Those get a tracer that records nothing, so the library's HTTP spans and everything else
// below stay under Bud's span. A library given its own tracerProvider option is not affected.
// Owns that choice of tracer; must not create spans.
import { ProxyTracerProvider } from '@opentelemetry/api';
import type { Tracer, TracerOptions, TracerProvider } from '@opentelemetry/api';

// A ProxyTracerProvider with no delegate hands out tracers that record nothing.
const silent = new ProxyTracerProvider();

export class SupersedingTracerProvider implements TracerProvider {
  readonly #inner: TracerProvider;
  readonly #superseded = new Set<string>();

  constructor(inner: TracerProvider) {
    this.#inner = inner;
  }

  /** From now on, tracers of `scope` record nothing. */
  supersede(scope: string): void {
    this.#superseded.add(scope);
  }

  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    return this.#superseded.has(name)
      ? silent.getTracer(name, version, options)
      : this.#inner.getTracer(name, version, options);
  }
}
