// Entry of the lazily loaded chunk dist/lazy/trace-serializers.cjs (loadChunk, src/lazy.ts):
// OpenTelemetry's trace serializers, loaded only when traces go out as OTLP/HTTP JSON. Over
// protobuf the agent's own encoder writes them (src/export/otlp-encode/), and over gRPC the
// gRPC chunk does: neither should load 30 KB of otlp-transformer at every start.
export { ProtobufTraceSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
