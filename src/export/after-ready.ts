// Holds an exporter's exports until a promise resolves: with cloud resource detectors named,
// the first exports wait for the resource to be final (src/resource/agent-resource.ts),
// which its detection bounds (src/resource/cloud.ts), so the wait is bounded too. Patched
// on the instance rather than wrapped: every other method (drain, abort, serialize for the
// exit flush, shutdown) and the exporter's identity stay as they are. After `ready`, export
// is the exporter's own again and costs nothing more.
// Owns the wait; must not decide what it waits for.
import type { ExportResult } from '@opentelemetry/core';

interface Exporting<T> {
  export(items: T, resultCallback: (result: ExportResult) => void): void;
}

export function exportAfter<T, E extends Exporting<T>>(exporter: E, ready: Promise<void> | undefined): E {
  if (ready === undefined) return exporter;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with its own receiver (own.call)
  const own = exporter.export;
  exporter.export = (items, resultCallback) => void ready.then(() => own.call(exporter, items, resultCallback));
  void ready.then(() => {
    exporter.export = own;
  });
  return exporter;
}
