// Bundled into dist/lazy/propagator-b3.mjs: loaded only when OTEL_PROPAGATORS names b3.
export { B3Propagator, B3InjectEncoding } from '@opentelemetry/propagator-b3';
