// Entry of the lazily loaded chunk dist/lazy/autotrace-runtime.cjs (scripts/build.mjs
// lazyEntries; src/boot/sdk.ts loads it only when autoTrace.modules selects something): the
// runtime and its context manager. (The tracer provider's ids are src/tracing/ids.ts, which
// the runtime's frames use too.) Exports only.
export { AutoTraceRuntime } from './runtime.ts';
export { FrameAwareContextManager } from './context.ts';
