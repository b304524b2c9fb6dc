// The values the options take where they are a closed set (protocols, levels, samplers, …):
// the table (schema.ts, schema-export.ts) parses by them and messages list them. Owns the sets.
import { LEVEL_NUMBERS } from '../levels.ts';
import type { LevelName } from '../levels.ts';

export const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
// The levels in LEVEL_NUMBERS' order, lowest first: the order messages list them in.
export const LEVELS = Object.keys(LEVEL_NUMBERS) as LevelName[];
export const LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'] as const;
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export const EXPORTERS = ['otlp', 'console', 'none'] as const;
export const COLORS = ['auto', 'always', 'never'] as const;
export const COMPRESSION = ['none', 'gzip'] as const;
