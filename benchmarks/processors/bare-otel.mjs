// The baseline: the OpenTelemetry SDK with its batch processor and OTLP/protobuf exporter,
// nothing else.
import { trace } from '@opentelemetry/api';
import { TracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { run } from './workload.mjs';

const provider = new TracerProvider({
  spanProcessors: [
    new BatchSpanProcessor({
      exporter: new OTLPTraceExporter({ url: `${process.env.SINK}/v1/traces`, concurrencyLimit: 1000 }),
      maxQueueSize: 100_000,
    }),
  ],
});
trace.setGlobalTracerProvider(provider);
await run(() => provider.forceFlush());
await provider.shutdown();
