// The export options of the table (schema.ts): where telemetry goes, how, and each signal's
// overrides. Kept apart because they are a third of the table. Owns these options; must not
// read the environment.
import * as p from './parse.ts';
import { option } from './option.ts';
import { COMPRESSION, EXPORTERS, PROTOCOLS } from './schema-values.ts';

const exporterList = p.names(() => EXPORTERS, 'exporter', 'supported: otlp, console, none');

const perSignal = <S extends 'traces' | 'metrics' | 'logs'>(signal: S) => {
  const S = signal.toUpperCase();
  return [
    option({
      path: `export.${signal}.endpoint`,
      parse: p.url,
      otelEnv: [{ name: `OTEL_EXPORTER_OTLP_${S}_ENDPOINT` }],
      defaultText: `export.endpoint + /v1/${signal}`,
      doc: `Full URL for ${signal}, used as is (overrides export.endpoint + /v1/${signal}).`,
    }),
    option({
      path: `export.${signal}.protocol`,
      parse: p.oneOf(PROTOCOLS),
      otelEnv: [{ name: `OTEL_EXPORTER_OTLP_${S}_PROTOCOL` }],
      defaultText: 'export.protocol',
      doc: `Protocol for ${signal} (overrides export.protocol).`,
    }),
    option({
      path: `export.${signal}.headers`,
      parse: p.headers,
      otelEnv: [{ name: `OTEL_EXPORTER_OTLP_${S}_HEADERS` }],
      defaultText: 'export.headers',
      doc: `Extra headers for ${signal}, over export.headers.`,
      secret: true,
    }),
    option({
      path: `export.${signal}.timeoutMs`,
      parse: p.number(1, 600_000, true),
      otelEnv: [{ name: `OTEL_EXPORTER_OTLP_${S}_TIMEOUT` }],
      defaultText: 'export.timeoutMs',
      doc: `Export timeout for ${signal}, milliseconds.`,
    }),
    option({
      path: `export.${signal}.exporter`,
      parse: exporterList,
      otelEnv: [{ name: `OTEL_${S}_EXPORTER` }],
      defaultText: "['otlp'] with an endpoint, else console for traces",
      doc: `Exporters for ${signal}: 'otlp', 'console', 'none'.`,
    }),
  ];
};

export const exportOptions = [
  option({
    path: 'export.endpoint',
    parse: p.url,
    env: 'BUD_OBSERVE_ENDPOINT',
    otelEnv: [{ name: 'OTEL_EXPORTER_OTLP_ENDPOINT' }],
    doc: 'OTLP base URL; /v1/traces, /v1/metrics, /v1/logs are appended for HTTP.',
  }),
  option({
    path: 'export.protocol',
    parse: p.oneOf(PROTOCOLS),
    env: 'BUD_OBSERVE_PROTOCOL',
    otelEnv: [{ name: 'OTEL_EXPORTER_OTLP_PROTOCOL' }],
    default: 'http/protobuf',
    doc: "OTLP protocol: 'http/protobuf', 'http/json' or 'grpc'.",
  }),
  option({
    path: 'export.headers',
    parse: p.headers,
    env: 'BUD_OBSERVE_HEADERS',
    otelEnv: [{ name: 'OTEL_EXPORTER_OTLP_HEADERS' }],
    default: {},
    doc: 'Extra headers on every export request.',
    secret: true,
  }),
  option({
    path: 'export.token',
    parse: p.headerText,
    env: 'BUD_OBSERVE_TOKEN',
    doc: 'Sent as Authorization: Bearer <token>; never printed.',
    secret: true,
  }),
  option({
    path: 'export.timeoutMs',
    parse: p.number(1, 600_000, true),
    env: 'BUD_OBSERVE_EXPORT_TIMEOUT',
    otelEnv: [{ name: 'OTEL_EXPORTER_OTLP_TIMEOUT' }],
    default: 10_000,
    doc: 'Timeout of one export request, milliseconds.',
  }),
  option({
    path: 'export.compression',
    parse: p.oneOf(COMPRESSION),
    env: 'BUD_OBSERVE_COMPRESSION',
    otelEnv: [{ name: 'OTEL_EXPORTER_OTLP_COMPRESSION' }],
    default: 'none',
    doc: "'gzip' or 'none'.",
  }),
  ...perSignal('traces'),
  ...perSignal('metrics'),
  ...perSignal('logs'),
] as const;
