// Where scrubbing runs: the scrubber the configuration asks for (scrubbing.ts), put in front
// of the span and log exporters, so every batch is scrubbed on its way out (the exit flush's
// included) and the app's span.end() pays nothing.
// Owns that wiring; must not scrub anything itself nor decide what is a secret.
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { ResolvedConfig } from '../config/types.ts';
import { Scrubber } from './scrubbing.ts';

/** The scrubber the configuration asks for, or undefined when scrubbing is off. */
export function createScrubber(config: ResolvedConfig): Scrubber | undefined {
  if (!config.scrubbing.enabled) return undefined;
  const { extraPatterns, callback, dbStatements } = config.scrubbing;
  return new Scrubber({
    extraPatterns,
    dbStatements,
    ...(callback === undefined ? {} : { callback }),
    ...(config.export.token === undefined ? {} : { token: config.export.token }),
  });
}

type SpanExporterLike = SpanExporter & {
  abort?(): void;
  drain?(): void;
  serialize?(spans: ReadableSpan[]): Uint8Array | undefined;
};

/** The span exporter with every batch scrubbed on its way out, the exit flush's included. */
export function scrubbingSpans<E extends SpanExporterLike>(exporter: E, scrubber: Scrubber | undefined): E {
  if (scrubber === undefined) return exporter;
  const wrapped: SpanExporterLike = {
    export: (spans, done) => exporter.export(scrubber.scrubSpans(spans), done),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
  if (exporter.serialize !== undefined) wrapped.serialize = (spans) => exporter.serialize!(scrubber.scrubSpans(spans));
  if (exporter.drain !== undefined) wrapped.drain = () => exporter.drain!();
  if (exporter.abort !== undefined) wrapped.abort = () => exporter.abort!();
  return wrapped as E;
}

/** The log record exporter with every batch scrubbed on its way out. */
export function scrubbingLogs(exporter: LogRecordExporter, scrubber: Scrubber | undefined): LogRecordExporter {
  if (scrubber === undefined) return exporter;
  return {
    export: (records, done) =>
      exporter.export(
        records.map((r) => scrubber.scrubLogRecord(r)),
        done,
      ),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
}
