// The agent's tracer provider, in place of @opentelemetry/sdk-trace's TracerProvider: one
// tracer per name, version and schema URL (the SDK's key), every one with the provider's
// resource, sampler, id generator, limits and processor chain. src/boot/sdk.ts builds it;
// the app and the instrumentations get its tracers (through SupersedingTracerProvider).
// Owns the tracers' cache and the provider's flush and shutdown; must not build processors.
import type { TracerOptions, TracerProvider } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { BudTracer } from './tracer.ts';
import type { TracerSettings } from './tracer.ts';

export class BudTracerProvider implements TracerProvider {
  readonly #settings: TracerSettings;
  readonly #tracers = new Map<string, BudTracer>();

  constructor(settings: TracerSettings) {
    this.#settings = settings;
  }

  getTracer(name: string, version?: string, options?: TracerOptions): BudTracer {
    const key = `${name}@${version || ''}:${options?.schemaUrl || ''}`;
    let tracer = this.#tracers.get(key);
    if (tracer === undefined) {
      // As the SDK's: version and schemaUrl are own properties, undefined when not given.
      const scope = { name, version, schemaUrl: options?.schemaUrl } as InstrumentationScope;
      tracer = new BudTracer(scope, this.#settings);
      this.#tracers.set(key, tracer);
    }
    return tracer;
  }

  forceFlush(): Promise<void> {
    return this.#settings.processor.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#settings.processor.shutdown();
  }
}
