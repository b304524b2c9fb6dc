// Entry of the lazily loaded chunk dist/lazy/exporter-grpc.cjs (loadChunk, src/lazy.ts), with
// @grpc/grpc-js: loaded only when a signal is exported over OTLP/gRPC. Bundled rather than installed beside the agent, so the installed
// package carries no gRPC dependency tree (a dozen packages, ~10 MB) that most processes never
// load, and the app's own @grpc/grpc-js (which the grpc instrumentation hooks) is never the
// agent's. Must not import anything the boot bundle needs: this chunk is loaded late.
export { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
export { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
export { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
export { Metadata } from '@grpc/grpc-js';
