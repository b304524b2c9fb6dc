// Entry of the lazily loaded chunk dist/lazy/logs.cjs (loadChunk, src/lazy.ts): loaded only
// when logs are exported.
export { LoggerProvider, BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
export { ProtobufLogsSerializer, JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
