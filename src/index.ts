// The public API: `import * as bud from '@budobserve/agent'` (ESM, and CommonJS through
// require() of ES modules). Works whether or not the agent was preloaded.
import type { BudObserveConfig } from './config/types.ts';
import type { Agent } from './boot/boot.ts';
import { kAgent } from './symbols.ts';

export type { BudObserveConfig } from './config/types.ts';
export type { Protocol, Level, LogLevel, ExporterName, SamplerName, SignalExportOptions } from './config/types.ts';
export { AGENT_VERSION as version } from './version.ts';

/** Types a config file: `export default defineConfig({ serviceName: 'api' })`. */
export function defineConfig(config: BudObserveConfig): BudObserveConfig {
  return config;
}

function agent(): Agent | undefined {
  return (globalThis as Record<symbol, unknown>)[kAgent] as Agent | undefined;
}

/** Exports everything finished so far; resolves within the shutdown bound. */
export function forceFlush(): Promise<void> {
  return agent()?.lifecycle.forceFlush() ?? Promise.resolve();
}

/** Flushes and stops the agent's SDK. Idempotent. */
export function shutdown(): Promise<void> {
  return agent()?.lifecycle.shutdown() ?? Promise.resolve();
}
