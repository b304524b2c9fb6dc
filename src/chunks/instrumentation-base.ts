// Entry of the lazily loaded chunk dist/lazy/instrumentation-base.cjs (loadChunk,
// src/lazy.ts): primes the require hook of the shared
// @opentelemetry/instrumentation copy (vendor-instrumentation.cjs).
import { InstrumentationBase } from '@opentelemetry/instrumentation';
import type { InstrumentationConfig, InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';

class Primer extends InstrumentationBase<InstrumentationConfig> {
  constructor() {
    super('@budobserve/agent-primer', '0.0.0', { enabled: false });
  }

  protected init(): InstrumentationModuleDefinition[] {
    return [];
  }
}

/**
 * Installs @opentelemetry/instrumentation's one require-in-the-middle hook, just before the
 * first instrumentation of a module is made (src/hooks/require-gate.ts says why then, and
 * how the require() in flight still gets the patched module). Creating any instance creates
 * the process-wide hook.
 */
export function primeRequireHook(): void {
  new Primer();
}
