// Entry of the lazily loaded chunk dist/lazy/propagator-b3.cjs (loadChunk, src/lazy.ts):
// loaded only when OTEL_PROPAGATORS names b3.
export { B3Propagator, B3InjectEncoding } from '@opentelemetry/propagator-b3';
