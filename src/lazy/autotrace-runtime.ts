// dist/lazy/autotrace-runtime.cjs: loaded only when autoTrace.modules selects something.
export { AutoTraceRuntime } from '../runtime/autotrace.ts';
export { FrameAwareContextManager } from '../runtime/context.ts';
export { BudIdGenerator } from '../runtime/ids.ts';
