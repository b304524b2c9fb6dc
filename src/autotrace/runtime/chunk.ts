// Entry of the lazily loaded chunk dist/lazy/autotrace-runtime.cjs (scripts/build.mjs
// lazyEntries; src/boot/sdk.ts loads it only when autoTrace.modules selects something): the
// runtime and the two pieces the tracer provider needs from it. Exports only.
export { AutoTraceRuntime } from './runtime.ts';
export { FrameAwareContextManager } from './context.ts';
export { BudIdGenerator } from './ids.ts';
