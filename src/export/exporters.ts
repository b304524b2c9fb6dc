// Decides where each signal goes and builds its exporter, loading only the code of the
// protocol in use: OTLP/HTTP goes through the agent's own exporter; gRPC (with
// @grpc/grpc-js, the heaviest piece) is its own lazily loaded chunk, required only when asked for.
// Owns the choice of exporter per signal; must not send, retry or read process.env.
import type { ISerializer } from '@opentelemetry/otlp-transformer';
import type { ResolvedConfig, Protocol } from '../config/types.ts';
import { loadChunk } from '../lazy.ts';
import { OtlpHttpExporter } from './otlp-http-exporter.ts';
import type { RequestSerializer } from './otlp-http-exporter.ts';
import { traceProtobufSerializer } from './otlp-encode/request.ts';

export type Signal = 'traces' | 'metrics' | 'logs';

export interface SignalTarget {
  signal: Signal;
  url: string;
  protocol: Protocol;
  headers: Record<string, string>;
  timeoutMs: number;
  compression: 'none' | 'gzip';
}

/** Where and how a signal is sent, or undefined when it is not sent over OTLP. */
export function signalTarget(config: ResolvedConfig, signal: Signal): SignalTarget | undefined {
  const own = config.export[signal];
  const exporters =
    own?.exporter ?? (config.export.endpoint !== undefined || own?.endpoint !== undefined ? ['otlp'] : []);
  if (!exporters.includes('otlp')) return undefined;
  const protocol = own?.protocol ?? config.export.protocol;
  let url = own?.endpoint;
  if (url === undefined) {
    const base = config.export.endpoint ?? (protocol === 'grpc' ? 'http://localhost:4317' : 'http://localhost:4318');
    url = protocol === 'grpc' ? base : `${base.replace(/\/+$/, '')}/v1/${signal}`;
  }
  const headers: Record<string, string> = { ...config.export.headers, ...own?.headers };
  if (config.export.token !== undefined) headers['authorization'] = `Bearer ${config.export.token}`;
  return {
    signal,
    url,
    protocol,
    headers,
    timeoutMs: own?.timeoutMs ?? config.export.timeoutMs,
    compression: config.export.compression,
  };
}

/**
 * The serializer of an OTLP/HTTP exporter: JSON and the protobuf of metrics and logs are the
 * SDK's (passed in); traces over protobuf, the per-span hot path, are the agent's own encoder,
 * byte-identical to the SDK's ProtobufTraceSerializer and cheaper (src/export/otlp-encode/).
 */
function httpSerializer<T>(
  target: SignalTarget,
  serializers: { protobuf: ISerializer<T, unknown>; json: ISerializer<T, unknown> },
): RequestSerializer<T> {
  if (target.protocol === 'http/json') return serializers.json;
  // T is ReadableSpan[] for the trace signal.
  if (target.signal === 'traces') return traceProtobufSerializer as unknown as RequestSerializer<T>;
  return serializers.protobuf;
}

const GRPC_EXPORTERS = { traces: 'OTLPTraceExporter', metrics: 'OTLPMetricExporter', logs: 'OTLPLogExporter' } as const;

/**
 * @param serializers the protobuf and JSON serializers of the signal, passed in so that the
 *   metrics and logs ones stay in their lazily loaded chunks.
 * @param opts OtlpHttpExporter's options (OTLP/HTTP only): retry false when the caller retries
 *   (the span batch processor), reportAtExit for the logs SDK.
 */
export function createExporter<T, E = OtlpHttpExporter<T>>(
  target: SignalTarget,
  serializers: { protobuf: ISerializer<T, unknown>; json: ISerializer<T, unknown> },
  opts: { retry?: boolean; reportAtExit?: boolean } = {},
): E {
  if (target.protocol !== 'grpc')
    return new OtlpHttpExporter<T>(target, httpSerializer(target, serializers), opts) as E;
  const grpc = loadChunk<typeof import('../chunks/exporter-grpc.ts')>('exporter-grpc');
  const Exporter = grpc[GRPC_EXPORTERS[target.signal]] as unknown as new (o: object) => E;
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(target.headers)) metadata.set(k, v);
  return new Exporter({ url: target.url, timeoutMillis: target.timeoutMs, compression: target.compression, metadata });
}
