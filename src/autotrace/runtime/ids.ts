// The auto-trace runtime's ids: its frames hand out span ids before their spans exist. One
// implementation for every span the agent makes, in src/tracing/ids.ts (the tracer provider
// takes the same generator); the names stay here for the runtime's modules.
export { randomSpanId, randomTraceId } from '../../tracing/ids.ts';
