// Bundled into dist/lazy/logs.mjs: loaded only when logs are exported.
export { LoggerProvider, BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
export { ProtobufLogsSerializer, JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
