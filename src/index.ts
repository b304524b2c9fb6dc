// The public API: `import * as bud from '@budobserve/agent'` (an ES module; CommonJS gets it
// through require() of ES modules). Works whether or not the agent was preloaded.
import { BudObserve } from './api/bud.ts';
import type { BudObserveConfig } from './config/public-types.ts';

export type { BudObserveConfig, ScrubMatch } from './config/public-types.ts';
export type {
  Protocol,
  Level,
  LogLevel,
  ExporterName,
  SamplerName,
  ResourceDetectorName,
  SignalExportOptions,
} from './config/public-types.ts';
export type { SpanOptions, BudSettings } from './api/bud.ts';
export type { InstrumentOptions } from './api/instrument.ts';
export { BudObserve, BudSpan } from './api/bud.ts';
export { configure } from './api/configure.ts';
export { LEVEL_NUMBERS } from './levels.ts';
export { AGENT_VERSION as version } from './version.ts';

/** Types a config file: `export default defineConfig({ serviceName: 'api' })`. */
export function defineConfig(config: BudObserveConfig): BudObserveConfig {
  return config;
}

/** The global instance behind the module-level functions. */
export const bud = new BudObserve();

export const span: BudObserve['span'] = bud.span.bind(bud) as BudObserve['span'];
export const log = bud.log.bind(bud);
export const trace = bud.trace.bind(bud);
export const debug = bud.debug.bind(bud);
export const info = bud.info.bind(bud);
export const notice = bud.notice.bind(bud);
export const warn = bud.warn.bind(bud);
export const error = bud.error.bind(bud);
export const fatal = bud.fatal.bind(bud);
export const exception = bud.exception.bind(bud);
export const instrument: BudObserve['instrument'] = bud.instrument.bind(bud) as BudObserve['instrument'];
export const metricCounter = bud.metricCounter.bind(bud);
export const metricHistogram = bud.metricHistogram.bind(bud);
export const metricGauge = bud.metricGauge.bind(bud);
export const metricUpDownCounter = bud.metricUpDownCounter.bind(bud);
export const withTags = bud.withTags.bind(bud);
export const withSettings = bud.withSettings.bind(bud);
export const forceFlush = bud.forceFlush.bind(bud);
export const shutdown = bud.shutdown.bind(bud);
