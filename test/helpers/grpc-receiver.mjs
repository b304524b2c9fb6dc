// An OTLP/gRPC collector for tests: the three Export services, answering every request with
// an empty (successful) response and decoding trace requests with the protobuf decoder of
// otlp-receiver.mjs. Messages are passed as raw bytes, so no .proto files are needed.
import grpc from '@grpc/grpc-js';
import { decodeTracesProtobuf } from './otlp-receiver.mjs';

const raw = (path) => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: (b) => b,
  requestDeserialize: (b) => b,
  responseSerialize: (b) => b,
  responseDeserialize: (b) => b,
});

export async function startGrpcReceiver() {
  const received = { spans: [], calls: [] };
  const server = new grpc.Server();
  for (const [signal, svc] of [
    ['trace', 'TraceService'],
    ['metrics', 'MetricsService'],
    ['logs', 'LogsService'],
  ]) {
    server.addService(
      { Export: raw(`/opentelemetry.proto.collector.${signal}.v1.${svc}/Export`) },
      {
        Export: (call, cb) => {
          received.calls.push({ signal, metadata: call.metadata.getMap(), bytes: call.request.length });
          if (signal === 'trace') received.spans.push(...decodeTracesProtobuf(call.request));
          cb(null, Buffer.alloc(0));
        },
      },
    );
  }
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
