// Puts the tail sampler in front of the exporting processor when tail sampling is on: loads
// its chunk, gives it the agent's metric and warnings, lets the processor chain release what
// it holds at exit, and lets the HTTP server hook ask it for its decisions (verdict.ts).
// Owns that wiring and the words of tail sampling's warnings; must not decide spans.
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { loadChunk } from '../../lazy.ts';
import type { ProcessorChain } from '../../processors/chain.ts';
import { countDropped } from '../../export/drop-counter.ts';
import { warn } from '../../errors.ts';
import type { TailLimits, TailSettings } from './settings.ts';
import type { EarlyCounts } from './early-report.ts';

export type TailChunk = typeof import('./chunk.ts');

/**
 * The processor the chain runs in place of `next`: the tail sampler, which passes kept spans
 * to it. `autoTrace`: the auto-trace gate may release spans right after their local root.
 */
export function withTailSampling(
  next: SpanProcessor,
  settings: TailSettings,
  chain: ProcessorChain,
  autoTrace: boolean,
): SpanProcessor {
  const { TailSamplingProcessor, setKeptLookup } = loadChunk<TailChunk>('tail-sampling');
  const tail = new TailSamplingProcessor(next, {
    ...settings,
    deferRoots: autoTrace,
    onDropped: (n) => countDropped(n, 'tail_sampled'),
    onDecideError: (error) => warn('BUDOBSERVE_INTERNAL', 'tailDecide', [], { cause: error, once: 'tail-decide' }),
    onEarly: (counts, limits) => warn('BUDOBSERVE_TAIL_DECIDED_EARLY', 'early', earlyArgs(counts, limits)),
  });
  chain.addHolder(tail);
  setKeptLookup((traceId) => tail.isKept(traceId));
  return tail;
}

/** The arguments of the warning about traces decided before their local root ended (one line: kept short). */
export function earlyArgs(c: EarlyCounts, limits: TailLimits): [string, number, string, number, number, string] {
  const why: string[] = [];
  if (c.budget > 0)
    why.push(
      `${c.budget} over the budget of ${limits.maxSpans} spans / ${limits.maxBytes} bytes (BUD_OBSERVE_TAIL_MAX_SPANS, _MAX_BYTES)`,
    );
  if (c.maxHold > 0) why.push(`${c.maxHold} held ${limits.maxHoldMs} ms (BUD_OBSERVE_TAIL_MAX_HOLD)`);
  const n = c.budget + c.maxHold;
  const since = c.again ? `; ${c.total} since start` : '';
  return [`${n} trace${n === 1 ? '' : 's'}`, c.spans, why.join(', '), c.kept, c.dropped, since];
}
