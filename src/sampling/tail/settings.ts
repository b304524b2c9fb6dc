// Tail sampling's settings as the rest of the agent reads them: whether it is on (any of its
// rules set), the rules with their defaults applied, and the budget. Also the one
// deterministic draw from a trace id that every service and every part of the agent uses
// (the background rate, decide()'s probability, the traceresponse answer), so that all agree.
// Owns reading the resolved `sampling.tail.*` options; must not hold or decide spans
// (processor.ts does, in a lazily loaded chunk).
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { ResolvedConfig } from '../../config/types.ts';
import { LEVEL_NUMBERS } from '../../levels.ts';

export interface TailRules {
  /** A span whose level number is at least this keeps its trace. */
  levelNum: number;
  /** A local root lasting at least this keeps its trace; undefined: no duration rule. */
  durationMs: number | undefined;
  /** Fraction of the other traces kept, by trace id. */
  backgroundRate: number;
  decide: ((span: ReadableSpan) => number) | undefined;
}

export interface TailLimits {
  maxSpans: number;
  maxBytes: number;
  maxHoldMs: number;
}

export interface TailSettings {
  rules: TailRules;
  limits: TailLimits;
}

/** The settings, or undefined when tail sampling is off (none of its rules is set). */
export function tailSettings(config: ResolvedConfig): TailSettings | undefined {
  const t = config.sampling.tail;
  if (
    t.levelThreshold === undefined &&
    t.durationThreshold === undefined &&
    t.backgroundRate === undefined &&
    t.decide === undefined
  )
    return undefined;
  return {
    rules: {
      levelNum: LEVEL_NUMBERS[t.levelThreshold ?? 'error'],
      durationMs: t.durationThreshold,
      backgroundRate: t.backgroundRate ?? 0,
      decide: t.decide,
    },
    limits: { maxSpans: t.maxSpans, maxBytes: t.maxBytes, maxHoldMs: t.maxHold },
  };
}

// 2^56: the rightmost 7 bytes of a trace id are random in W3C Trace Context level 2 (and in
// every id OTel JS makes), so they give a uniform draw that any service computes alike.
const RANDOM_RANGE = 2 ** 56;

/** A number in [0, 1) fixed by the trace id: a trace is kept at rate r when this is below r. */
export function traceDraw(traceId: string): number {
  const n = Number.parseInt(traceId.slice(-14), 16);
  return Number.isFinite(n) ? n / RANDOM_RANGE : 0;
}

/** Whether a trace kept with probability `p` is kept (the same answer in every service). */
export function keptAtRate(traceId: string, p: number): boolean {
  return p >= 1 || (p > 0 && traceDraw(traceId) < p);
}

/** One line for `budobserve doctor`: what tail sampling keeps, and its budget. */
export function tailSummary(config: ResolvedConfig): string {
  const s = tailSettings(config);
  if (s === undefined)
    return 'off (set sampling.tail.levelThreshold, durationThreshold, backgroundRate or decide to turn it on)';
  const keep = [`a span at ${config.sampling.tail.levelThreshold ?? 'error'} or above`];
  if (s.rules.durationMs !== undefined) keep.push(`a local root lasting ${s.rules.durationMs} ms or more`);
  if (s.rules.decide !== undefined) keep.push('decide()');
  const l = s.limits;
  return `keeps traces with ${keep.join(', or ')}, and ${s.rules.backgroundRate * 100}% of the others; holds at most ${l.maxSpans} spans, ${l.maxBytes} bytes, ${l.maxHoldMs} ms`;
}
