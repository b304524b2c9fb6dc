// Builds the OpenTelemetry pipeline the configuration asks for, and nothing more: a tracer
// provider whose processors are a ProcessorChain (console view, user processors, the batch
// exporter), and the metrics and logs SDKs only when those signals are exported.
// Owns the providers and their registration as OTel globals; must not read process.env.
import { context, diag, DiagLogLevel, logs, metrics, propagation, trace } from '@opentelemetry/api';
import type { DiagLogger, TextMapPropagator } from '@opentelemetry/api';
import { BudContextManager } from '../tracing/context-manager.ts';
import {
  CompositePropagator,
  ExportResultCode,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import type { Sampler, SpanExporter } from '@opentelemetry/sdk-trace';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import { LazyLoggerProvider } from './lazy-logs.ts';
import type { ResolvedConfig } from '../config/types.ts';
import { ProcessorChain } from '../processors/chain.ts';
import { createScrubber, scrubbingLogs, scrubbingSpans } from '../processors/scrub-export.ts';
import type { Scrubber } from '../processors/scrubbing.ts';
import { BudAttributesProcessor } from '../processors/bud-attributes.ts';
import { DbSummaryProcessor } from '../processors/db-summary.ts';
import { ConsoleSpanProcessor } from '../console/console-processor.ts';
import { LEVEL_NUMBERS } from '../levels.ts';
import { BudBatchSpanProcessor } from '../export/batch-processor.ts';
import { createExporter, signalTarget } from '../export/exporters.ts';
import { OtlpHttpExporter } from '../export/otlp-http-exporter.ts';
import type { SignalTarget } from '../export/exporters.ts';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { agentResource } from '../resource/agent-resource.ts';
import { exportAfter } from '../export/after-ready.ts';
import { tailSettings } from '../sampling/tail/settings.ts';
import { withTailSampling } from '../sampling/tail/install.ts';
import { SupersedingTracerProvider } from './superseded.ts';
import { BudTracerProvider } from '../tracing/provider.ts';
import { BudIdGenerator } from '../tracing/ids.ts';
import { DEFAULT_SPAN_LIMITS } from '../tracing/limits.ts';
import { errorText, warn } from '../errors.ts';
import { loadChunk } from '../lazy.ts';

export interface Sdk {
  resource: Resource;
  /** With cloud resource detectors: when the resource is final; exports wait for it (bounded). */
  resourceReady?: Promise<void>;
  tracerProvider: BudTracerProvider;
  chain: ProcessorChain;
  /** The OTLP span pipeline, when traces are exported. */
  spans?: { processor: BudBatchSpanProcessor; target: SignalTarget; exporter: SpanExporterHandle };
  meterProvider?: MeterProvider;
  /** The metrics' last export, made once whichever way the process ends (exit or shutdown()). */
  metrics?: MetricsEnd;
  loggerProvider?: LazyLoggerProvider;
  logsTarget?: SignalTarget;
  /** The first logs export that failed once the app was exiting (kept for the exit report). */
  logsFailureAtExit?: () => unknown;
  /** Every exporter, to stop retrying (drain, until the exit deadline) or give up (abort) when the app exits. */
  exporters: Array<{ drain?(deadline?: number): void; abort?(): void }>;
  /** Some signal is exported over gRPC (whose channel holds the process open). */
  grpc: boolean;
  /** With auto-tracing: the runtime rewritten functions call, and its context manager. */
  autoTrace?: import('../autotrace/runtime/runtime.ts').AutoTraceRuntime;
  /** The global tracer provider: tracerProvider, less the library tracer scopes integrations replace. */
  globalTracerProvider: SupersedingTracerProvider;
  contextManager?: import('@opentelemetry/api').ContextManager;
}

/** The span exporter; the OTLP/HTTP one can also serialize for the exit flush and abort. */
export type SpanExporterHandle = SpanExporter & {
  abort?(): void;
  drain?(deadline?: number): void;
  serialize?(spans: ReadableSpan[]): Uint8Array | undefined;
};

/**
 * The end of the metrics pipeline. Both return the same promise, so metrics are sent once at
 * exit: the reader's own shutdown would collect and post them again after an exit flush.
 */
export interface MetricsEnd {
  target: SignalTarget;
  /** At exit: one last collection and export; the provider is left running (the process ends anyway). */
  final(): Promise<void>;
  /** For shutdown(): the provider's shutdown, unless final() already ran. */
  shutdown(): Promise<void>;
}

export interface SdkEnvironment {
  /**
   * Decided at the edge from the TTY and NO_COLOR / FORCE_COLOR, when the console first prints:
   * process.stderr is made on first use, a few milliseconds for a TTY or a pipe.
   */
  consoleColors: () => boolean;
}

export function sampler(config: ResolvedConfig): Sampler {
  const ratio = new TraceIdRatioBasedSampler(config.sampling.headSampleRate);
  switch (config.sampling.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    default:
      return new ParentBasedSampler({ root: config.sampling.headSampleRate >= 1 ? new AlwaysOnSampler() : ratio });
  }
}

function propagators(names: string[]): TextMapPropagator {
  const list: TextMapPropagator[] = [];
  for (const name of new Set(names)) {
    if (name === 'tracecontext') list.push(new W3CTraceContextPropagator());
    else if (name === 'baggage') list.push(new W3CBaggagePropagator());
    else if (name === 'b3' || name === 'b3multi') {
      const { B3Propagator, B3InjectEncoding } =
        loadChunk<typeof import('@opentelemetry/propagator-b3')>('propagator-b3');
      list.push(
        new B3Propagator({
          injectEncoding: name === 'b3' ? B3InjectEncoding.SINGLE_HEADER : B3InjectEncoding.MULTI_HEADER,
        }),
      );
    }
    // Anything else never gets here: the config resolver dropped it, and said so naming the
    // variable or key that set it (src/config/schema.ts, propagatorList).
  }
  return new CompositePropagator({ propagators: list });
}

const DIAG_LEVELS: Record<ResolvedConfig['logLevel'], DiagLogLevel> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

/** OTel's own diagnostics, as the agent's: one warning per distinct message, never a throw. */
function diagLogger(): DiagLogger {
  const text = (args: unknown[]): string =>
    args
      .map((a) => {
        // OTel's global error handler passes exceptions flattened to JSON text; keep the message.
        if (typeof a === 'string' && a.startsWith('{"') && a.includes('"message"')) {
          try {
            const m = (JSON.parse(a) as { message?: unknown }).message;
            if (typeof m === 'string') return m;
          } catch {
            /* not JSON after all */
          }
        }
        if (typeof a === 'string') return a;
        const m = (a as { message?: unknown } | null)?.message;
        return typeof m === 'string' ? m : safeJson(a);
      })
      .join(' ');
  const toWarning = (...args: unknown[]): void => {
    const t = text(args);
    if (/export/i.test(t)) warn('BUDOBSERVE_EXPORT_FAILED', 'otel', [t], { once: t.slice(0, 200) });
    else warn('BUDOBSERVE_INTERNAL', 'otel', [t], { once: t.slice(0, 200) });
  };
  const toStderr = (...args: unknown[]): void => {
    try {
      process.stderr.write(`budobserve [otel] ${text(args)}\n`);
    } catch {
      /* ignore */
    }
  };
  return { error: toWarning, warn: toWarning, info: toStderr, debug: toStderr, verbose: toStderr };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export function createSdk(config: ResolvedConfig, env: SdkEnvironment): Sdk {
  diag.setLogger(diagLogger(), { logLevel: DIAG_LEVELS[config.logLevel], suppressOverrideMessage: true });
  const { resource, ready: resourceReady } = agentResource(config);
  const chain = new ProcessorChain();
  const grpc = (['traces', 'metrics', 'logs'] as const).some((s) => signalTarget(config, s)?.protocol === 'grpc');
  const at = config.autoTrace.modules.length > 0 ? loadChunk<AutoTraceChunk>('autotrace-runtime') : undefined;
  const traceSampler = sampler(config);
  // The agent's own tracer and span (src/tracing/), with the SDK TracerProvider's limits; its
  // ids are the auto-trace runtime's (the same generator, src/tracing/ids.ts).
  const tracerProvider = new BudTracerProvider({
    resource,
    sampler: traceSampler,
    processor: chain,
    ids: new BudIdGenerator(),
    limits: DEFAULT_SPAN_LIMITS,
  });
  const sdk: Sdk = {
    resource,
    chain,
    exporters: [],
    grpc,
    tracerProvider,
    globalTracerProvider: new SupersedingTracerProvider(tracerProvider),
  };
  if (resourceReady !== undefined) sdk.resourceReady = resourceReady;
  if (at !== undefined) addAutoTrace(sdk, at, config, traceSampler);
  // Scrubbed where spans leave the process (export, console), not in onEnd: the app's
  // span.end() pays nothing for it (benchmarks/scrubbing.mjs).
  const scrubber = createScrubber(config);

  chain.add(new BudAttributesProcessor());
  chain.add(new DbSummaryProcessor());
  if (config.console.enabled) chain.add(consoleProcessor(config, env, scrubber));
  for (const p of config.spanProcessors) chain.add(p);
  addSpanExport(sdk, config, scrubber);
  addMetrics(sdk, config);
  addLogs(sdk, config, scrubber);
  return sdk;
}

type AutoTraceChunk = typeof import('../autotrace/runtime/chunk.ts');

/** The runtime auto-traced functions call: it makes its spans itself, with the provider's resource, sampler and processors. */
function addAutoTrace(sdk: Sdk, at: AutoTraceChunk, config: ResolvedConfig, traceSampler: Sampler): void {
  const contextManager = new at.FrameAwareContextManager();
  const runtime = new at.AutoTraceRuntime({
    minDurationMs: config.autoTrace.minDuration,
    contextManager,
    resource: sdk.resource,
    sampler: traceSampler,
    processor: sdk.chain,
  });
  sdk.chain.setGate(runtime.gate, () => runtime.releaseAll());
  runtime.setForward(sdk.chain.deliver);
  sdk.autoTrace = runtime;
  sdk.contextManager = contextManager;
}

function consoleProcessor(
  config: ResolvedConfig,
  env: SdkEnvironment,
  scrubber: Scrubber | undefined,
): ConsoleSpanProcessor {
  const hint =
    config.export.endpoint === undefined && config.export.traces.endpoint === undefined
      ? 'budobserve: no OTLP endpoint is configured, so spans are printed here. Set BUD_OBSERVE_ENDPOINT=http://<collector>:4318 (or export.endpoint in budobserve.config.ts) to send them to a collector.'
      : undefined;
  return new ConsoleSpanProcessor({
    colors: env.consoleColors,
    verbose: config.console.verbose,
    includeTimestamps: config.console.includeTimestamps,
    minLevel: LEVEL_NUMBERS[config.console.minLevel],
    ...(hint === undefined ? {} : { hint }),
    ...(scrubber === undefined ? {} : { transform: (s: ReadableSpan) => scrubber.scrubSpan(s) }),
  });
}

type TraceSerializers = typeof import('../chunks/trace-serializers.ts');
/** Read only when traces go out as OTLP/HTTP JSON (src/chunks/trace-serializers.ts says why). */
const traceSerializers = {
  get protobuf(): TraceSerializers['ProtobufTraceSerializer'] {
    return loadChunk<TraceSerializers>('trace-serializers').ProtobufTraceSerializer;
  },
  get json(): TraceSerializers['JsonTraceSerializer'] {
    return loadChunk<TraceSerializers>('trace-serializers').JsonTraceSerializer;
  },
};

/** The OTLP span pipeline, when traces are exported: the batch processor, last in the chain. */
function addSpanExport(sdk: Sdk, config: ResolvedConfig, scrubber: Scrubber | undefined): void {
  const traces = signalTarget(config, 'traces');
  if (traces === undefined) return;
  // retry: false: the batch processor retries whole batches itself, for as long as the
  // collector asks and its queue has room.
  const exporter = scrubbingSpans(
    createExporter<ReadableSpan[], SpanExporterHandle>(traces, traceSerializers, { retry: false }),
    scrubber,
  );
  const processor = new BudBatchSpanProcessor({
    exporter: exportAfter(exporter, sdk.resourceReady),
    scheduleDelayMs: config.batch.scheduleDelayMs,
    maxQueueSize: config.batch.maxQueueSize,
    maxExportBatchSize: config.batch.maxExportBatchSize,
    onExportError: (error) =>
      warn('BUDOBSERVE_EXPORT_FAILED', 'spans', [traces.url, errorText(error)], { cause: error, once: traces.url }),
  });
  // Tail sampling, when on, sits in front of the export only: the console and the user's
  // processors (earlier in the chain) still see every span.
  const tail = tailSettings(config);
  sdk.chain.add(
    tail === undefined ? processor : withTailSampling(processor, tail, sdk.chain, sdk.autoTrace !== undefined),
  );
  sdk.spans = { processor, target: traces, exporter };
  sdk.exporters.push(exporter);
}

/** The metrics SDK (a lazily loaded chunk), only when metrics are exported. */
function addMetrics(sdk: Sdk, config: ResolvedConfig): void {
  const metricsTarget = signalTarget(config, 'metrics');
  if (metricsTarget === undefined) return;
  const m = loadChunk<typeof import('../chunks/metrics.ts')>('metrics');
  const exporter = createExporter(metricsTarget, {
    protobuf: m.ProtobufMetricsSerializer,
    json: m.JsonMetricsSerializer,
  }) as unknown as import('@opentelemetry/sdk-metrics').PushMetricExporter;
  sdk.exporters.push(exporter as object);
  const exportTimeoutMillis = Math.min(metricsTarget.timeoutMs, config.metrics.exportIntervalMs);
  const reader = new m.PeriodicExportingMetricReader({
    exporter: exportAfter(exporter, sdk.resourceReady),
    exportIntervalMillis: config.metrics.exportIntervalMs,
    exportTimeoutMillis,
  });
  const provider = new m.MeterProvider({ resource: sdk.resource, readers: [reader] });
  sdk.meterProvider = provider;
  let last: Promise<void> | undefined;
  sdk.metrics = {
    target: metricsTarget,
    final: () => (last ??= exportOnce(reader, exporter, exportTimeoutMillis)),
    shutdown: () => (last ??= provider.shutdown()),
  };
}

/** The logs SDK, only when logs are exported, and loaded only when the first logger is asked for. */
function addLogs(sdk: Sdk, config: ResolvedConfig, scrubber: Scrubber | undefined): void {
  const logsTarget = signalTarget(config, 'logs');
  if (logsTarget === undefined) return;
  sdk.logsTarget = logsTarget;
  sdk.loggerProvider = new LazyLoggerProvider(() => {
    const l = loadChunk<typeof import('../chunks/logs.ts')>('logs');
    const inner = createExporter(
      logsTarget,
      { protobuf: l.ProtobufLogsSerializer, json: l.JsonLogsSerializer },
      { reportAtExit: true },
    );
    // The exporter itself, not the scrubbing wrapper, which passes neither drain nor abort:
    // at exit a refused collector must fail the logs at once and the bound must cut them off
    // (the logs SDK's own export timer holds the event loop until the export answers).
    sdk.exporters.push(inner);
    sdk.logsFailureAtExit = () => (inner instanceof OtlpHttpExporter ? inner.failureAtExit : undefined);
    const exporter = scrubbingLogs(inner as unknown as import('@opentelemetry/sdk-logs').LogRecordExporter, scrubber);
    return new l.LoggerProvider({
      resource: sdk.resource,
      processors: [new l.BatchLogRecordProcessor({ exporter: exportAfter(exporter, sdk.resourceReady) })],
    });
  });
}

/** Makes the SDK the process-wide OpenTelemetry implementation. */
export function registerGlobals(sdk: Sdk, config: ResolvedConfig): void {
  context.setGlobalContextManager((sdk.contextManager ?? new BudContextManager()).enable());
  propagation.setGlobalPropagator(propagators(config.propagators));
  trace.setGlobalTracerProvider(sdk.globalTracerProvider);
  if (sdk.meterProvider !== undefined) metrics.setGlobalMeterProvider(sdk.meterProvider);
  if (sdk.loggerProvider !== undefined) {
    logs.setGlobalLoggerProvider(sdk.loggerProvider);
  }
}

/**
 * Collects and exports the metrics once, outside the reader's schedule: the result comes back
 * here (the reader would pass a failure to OTel's global error handler, a second line at exit)
 * and the provider is not shut down (which would make any later getMeter() warn).
 */
async function exportOnce(
  reader: import('@opentelemetry/sdk-metrics').MetricReader,
  exporter: import('@opentelemetry/sdk-metrics').PushMetricExporter,
  timeoutMillis: number,
): Promise<void> {
  const { resourceMetrics } = await reader.collect({ timeoutMillis });
  if (resourceMetrics.scopeMetrics.length === 0) return;
  await new Promise<void>((resolve, reject) => {
    exporter.export(resourceMetrics, (result) => {
      if (result.code === ExportResultCode.SUCCESS) resolve();
      else reject(result.error ?? new Error('the metrics export failed'));
    });
  });
}
