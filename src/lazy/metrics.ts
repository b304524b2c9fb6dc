// Bundled into dist/lazy/metrics.mjs: loaded only when metrics are exported.
export { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality } from '@opentelemetry/sdk-metrics';
export { ProtobufMetricsSerializer, JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
