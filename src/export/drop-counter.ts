// The budobserve.spans.dropped self-metric: every span the agent drops is counted here with
// its reason (the batch processor's queue_full and export_failed, tail sampling's
// tail_sampled). Owns the counter; must not decide what is dropped.
import type { Counter, MeterProvider } from '@opentelemetry/api';
import { metrics } from '@opentelemetry/api';

export type DroppedReason = 'queue_full' | 'export_failed' | 'tail_sampled';

// Made on the first drop, from whatever meter provider is global then: the metrics SDK is
// registered only when metrics are exported, and otherwise the API's no-op meter costs nothing.
let dropCounter: { provider: MeterProvider; counter: Counter } | undefined;

// Also made before each export if need be: a first drop during shutdown() would otherwise ask
// a provider being shut down for a meter, and it warns.
export function dropCounterNow(): Counter | undefined {
  try {
    const provider = metrics.getMeterProvider();
    if (dropCounter?.provider !== provider) {
      const counter = provider.getMeter('budobserve').createCounter('budobserve.spans.dropped', {
        description:
          'Spans the agent dropped: its export queue was full, the collector did not accept them, or tail sampling did not keep their trace',
        unit: '{span}',
      });
      dropCounter = { provider, counter };
    }
    return dropCounter.counter;
  } catch {
    return undefined; // a self-metric is never worth hurting the app for
  }
}

/** Counts dropped spans on budobserve.spans.dropped. */
export function countDropped(n: number, reason: DroppedReason): void {
  try {
    dropCounterNow()?.add(n, { reason });
  } catch {
    // a self-metric is never worth hurting the app for
  }
}
