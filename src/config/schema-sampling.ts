// The sampling options of the table (schema.ts): head sampling, which decides when a trace
// starts, and tail sampling (src/sampling/tail/), which decides when its local part ends.
// Owns these options; must not read the environment.
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import * as p from './parse.ts';
import { isFunction, option } from './option.ts';
import { LEVELS, SAMPLERS } from './schema-values.ts';

type TailDecide = (span: ReadableSpan) => number;

/**
 * OTEL_TRACES_SAMPLER_ARG is the ratio of the ratio samplers, the default one included
 * (OTel: the argument of the sampler in use); a sampler that takes no ratio ignores it.
 */
const samplerArg = (raw: string, env: Readonly<Record<string, string | undefined>>): string | undefined => {
  const sampler = env['OTEL_TRACES_SAMPLER']?.trim().toLowerCase() ?? '';
  // An unset or invalid OTEL_TRACES_SAMPLER leaves the default sampler, a ratio one.
  return (SAMPLERS as readonly string[]).includes(sampler) && !sampler.endsWith('ratio') ? undefined : raw;
};

export const samplingOptions = [
  option({
    path: 'sampling.headSampleRate',
    parse: p.number(0, 1),
    env: 'BUD_OBSERVE_SAMPLE_RATE',
    otelEnv: [{ name: 'OTEL_TRACES_SAMPLER_ARG', map: samplerArg }],
    default: 1,
    doc: 'Fraction of new traces to record, 0 to 1 (OTEL_TRACES_SAMPLER_ARG counts for the ratio samplers, the default one included).',
  }),
  option({
    path: 'sampling.sampler',
    parse: p.oneOf(SAMPLERS),
    otelEnv: [{ name: 'OTEL_TRACES_SAMPLER' }],
    default: 'parentbased_traceidratio',
    doc: 'OTel sampler name; the ratio is sampling.headSampleRate.',
  }),
  // Tail sampling (src/sampling/tail/): on once any of the first four is set.
  option({
    path: 'sampling.tail.levelThreshold',
    parse: p.oneOf(LEVELS),
    env: 'BUD_OBSERVE_TAIL_LEVEL',
    defaultText: "unset; 'error' when another tail rule is set",
    doc: 'Tail sampling: a span at or above this level (an ERROR status counts as error) keeps its whole trace.',
  }),
  option({
    path: 'sampling.tail.durationThreshold',
    parse: p.duration,
    env: 'BUD_OBSERVE_TAIL_DURATION',
    doc: "Tail sampling: a local root lasting at least this ('200ms', '5s'; bare number = ms) keeps its trace.",
  }),
  option({
    path: 'sampling.tail.backgroundRate',
    parse: p.number(0, 1),
    env: 'BUD_OBSERVE_TAIL_BACKGROUND_RATE',
    defaultText: 'unset; 0 when another tail rule is set',
    doc: 'Tail sampling: fraction of the other traces kept, 0 to 1, chosen by trace id so that every service keeps the same ones.',
  }),
  option({
    path: 'sampling.tail.decide',
    parse: p.fileOnly(isFunction<TailDecide>, 'a function (span) => number from 0 to 1 (config file only)'),
    doc: "Tail sampling: called with each finished span of an undecided trace; returns the probability (0 to 1) of keeping its trace, like Logfire's tail callback (config file only).",
  }),
  option({
    path: 'sampling.tail.maxSpans',
    parse: p.number(1, 10_000_000, true),
    env: 'BUD_OBSERVE_TAIL_MAX_SPANS',
    default: 10_000,
    doc: 'Tail sampling: spans held waiting for their trace to be decided, at most; past it the oldest traces are decided early.',
  }),
  option({
    path: 'sampling.tail.maxBytes',
    parse: p.number(65_536, 1_073_741_824, true),
    env: 'BUD_OBSERVE_TAIL_MAX_BYTES',
    default: 4_194_304,
    doc: 'Tail sampling: estimated bytes of held spans, at most (4 MiB); past it the oldest traces are decided early.',
  }),
  option({
    path: 'sampling.tail.maxHold',
    parse: p.duration,
    env: 'BUD_OBSERVE_TAIL_MAX_HOLD',
    default: 60_000,
    doc: 'Tail sampling: longest a trace is held undecided (a streaming response, a long job); then it is decided early.',
  }),
] as const;
