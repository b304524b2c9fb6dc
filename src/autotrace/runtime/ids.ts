// The auto-trace runtime's ids: its frames hand out span ids before their spans exist, and
// the tracer provider takes the same generator. One implementation for every span the agent
// makes, in src/tracing/ids.ts; the names stay here for the runtime's modules and its chunk.
export { BudIdGenerator, randomSpanId, randomTraceId } from '../../tracing/ids.ts';
