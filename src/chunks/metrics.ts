// Entry of the lazily loaded chunk dist/lazy/metrics.cjs (loadChunk, src/lazy.ts): loaded
// only when metrics are exported.
export { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality } from '@opentelemetry/sdk-metrics';
export { ProtobufMetricsSerializer, JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
