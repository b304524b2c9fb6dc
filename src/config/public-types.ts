// The configuration as users write it: BudObserveConfig, typed by defineConfig, and the
// names it is made of. The published declarations (dist/types) are these, so each option's
// comment names its variables and its default. Precedence of every option:
// built-in default < config file < standard OTEL_* variable < BUD_OBSERVE_* variable.
// Must not import the schema (its table would become part of the published types): the
// schema is checked against BudObserveConfig at compile time instead (types.ts), so an
// option documented here and missing from the schema, or the other way round, is a type error.
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { ModelPrice } from './parse.ts';

export type Protocol = 'http/protobuf' | 'http/json' | 'grpc';
export type Level = 'trace' | 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'fatal';
export type LogLevel = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';
export type ExporterName = 'otlp' | 'console' | 'none';
/** OTel's resource detector names (OTEL_NODE_RESOURCE_DETECTORS). */
export type ResourceDetectorName =
  | 'env'
  | 'host'
  | 'os'
  | 'process'
  | 'container'
  | 'serviceinstance'
  | 'aws'
  | 'gcp'
  | 'azure'
  | 'alibaba'
  | 'all'
  | 'none';
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

export interface ScrubMatch {
  /** Where the value sits: ['attributes', 'user', 'password'] and so on. */
  path: ReadonlyArray<string | number>;
  value: unknown;
  /** The pattern that matched, as written. */
  pattern: string;
}

export interface SignalExportOptions {
  /** Full URL for this signal, used as is. Env: `OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_ENDPOINT`. Default: `export.endpoint` + `/v1/<signal>`. */
  endpoint?: string;
  /** Env: `OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL`. Default: `export.protocol`. */
  protocol?: Protocol;
  /** Env: `OTEL_EXPORTER_OTLP_<SIGNAL>_HEADERS`. Default: none. */
  headers?: Record<string, string>;
  /** Env: `OTEL_EXPORTER_OTLP_<SIGNAL>_TIMEOUT`. Default: `export.timeoutMs`. */
  timeoutMs?: number;
  /** Env: `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER` / `OTEL_LOGS_EXPORTER`. Default: `['otlp']` when an endpoint is set. */
  exporter?: ExporterName[];
}

export interface BudObserveConfig {
  /** Turns the agent off. Env: `BUD_OBSERVE_DISABLED`, `OTEL_SDK_DISABLED`. Default: `false`. */
  disabled?: boolean;
  /** `service.name`. Env: `BUD_OBSERVE_SERVICE_NAME`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`. Default: package.json `name`, else `unknown_service:node`. */
  serviceName?: string;
  /** `service.version`. Env: `BUD_OBSERVE_SERVICE_VERSION`, `OTEL_RESOURCE_ATTRIBUTES`. Default: package.json `version`. */
  serviceVersion?: string;
  /** `deployment.environment.name`. Env: `BUD_OBSERVE_ENVIRONMENT`, `OTEL_RESOURCE_ATTRIBUTES`. Default: unset. */
  environment?: string;
  /** Extra resource attributes. Env: `BUD_OBSERVE_RESOURCE_ATTRIBUTES`, `OTEL_RESOURCE_ATTRIBUTES` (`k=v,k2=v2`). Default: none. */
  resourceAttributes?: Record<string, string>;
  /**
   * Resource detectors. The local ones read this machine at start; the cloud ones (`aws`, `gcp`,
   * `azure`, `alibaba`) run only when named, after start, and the first export waits for them at
   * most 1 s. `all` is every local and cloud one, `none` no detector. `env` selects nothing: the
   * variables it reads are configuration here and always apply. Env: `BUD_OBSERVE_RESOURCE_DETECTORS`,
   * `OTEL_NODE_RESOURCE_DETECTORS`. Default: `['host', 'os', 'process', 'container', 'serviceinstance']`.
   */
  resourceDetectors?: ResourceDetectorName[];
  /** Bud platform ids, added to the resource as `bud.project.id` and so on. */
  bud?: {
    /** Env: `BUD_OBSERVE_PROJECT_ID`. */
    projectId?: string;
    /** Env: `BUD_OBSERVE_ENDPOINT_ID`. */
    endpointId?: string;
    /** Env: `BUD_OBSERVE_MODEL_ID`. */
    modelId?: string;
    /** Env: `BUD_OBSERVE_CLUSTER_ID`. */
    clusterId?: string;
  };
  export?: {
    /** OTLP base URL. Env: `BUD_OBSERVE_ENDPOINT`, `OTEL_EXPORTER_OTLP_ENDPOINT`. Default: none (spans go to the console). */
    endpoint?: string;
    /** Env: `BUD_OBSERVE_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL`. Default: `'http/protobuf'`. */
    protocol?: Protocol;
    /** Env: `BUD_OBSERVE_HEADERS`, `OTEL_EXPORTER_OTLP_HEADERS`. Default: none. */
    headers?: Record<string, string>;
    /** Sent as `Authorization: Bearer <token>`, never printed. Env: `BUD_OBSERVE_TOKEN`. */
    token?: string;
    /** Env: `BUD_OBSERVE_EXPORT_TIMEOUT`, `OTEL_EXPORTER_OTLP_TIMEOUT`. Default: `10000`. */
    timeoutMs?: number;
    /** Env: `BUD_OBSERVE_COMPRESSION`, `OTEL_EXPORTER_OTLP_COMPRESSION`. Default: `'none'`. */
    compression?: 'none' | 'gzip';
    traces?: SignalExportOptions;
    metrics?: SignalExportOptions;
    logs?: SignalExportOptions;
  };
  console?: {
    /** Env: `BUD_OBSERVE_CONSOLE`. Default: `true` when no endpoint is configured. */
    enabled?: boolean;
    /** Env: `BUD_OBSERVE_CONSOLE_COLORS`. Default: `'auto'` (TTY, `NO_COLOR`, `FORCE_COLOR`). */
    colors?: 'auto' | 'always' | 'never';
    /** Env: `BUD_OBSERVE_CONSOLE_MIN_LEVEL`. Default: `'info'`. */
    minLevel?: Level;
    /** Also print attributes. Env: `BUD_OBSERVE_CONSOLE_VERBOSE`. Default: `false`. */
    verbose?: boolean;
    /** Env: `BUD_OBSERVE_CONSOLE_TIMESTAMPS`. Default: `true`. */
    includeTimestamps?: boolean;
  };
  /** Log-spans below this level are dropped. Env: `BUD_OBSERVE_MIN_LEVEL`. Default: `'trace'` (none dropped). */
  minLevel?: Level;
  /** Tags on every span the API creates. Env: `BUD_OBSERVE_TAGS`. Default: none. */
  tags?: string[];
  /** Header whose value becomes `bud.request.id`. Env: `BUD_OBSERVE_REQUEST_ID_HEADER`. Default: `'x-request-id'`. */
  requestIdHeader?: string;
  /** `enduser.id` of an incoming request. Config file only. */
  enduserId?: (request: import('node:http').IncomingMessage) => string | undefined;
  scrubbing?: {
    /** Env: `BUD_OBSERVE_SCRUBBING`. Default: `true`. */
    enabled?: boolean;
    /** More patterns (case-insensitive regular expressions). Env: `BUD_OBSERVE_SCRUBBING_PATTERNS`. Default: none. */
    extraPatterns?: string[];
    /** Return a value to keep a match (that value is exported), `undefined` to scrub it. Config file only. */
    callback?: (match: ScrubMatch) => unknown;
    /** Replace literals in SQL statements; `false` exports the raw text. Env: `BUD_OBSERVE_SCRUB_DB_STATEMENTS`. Default: `true`. */
    dbStatements?: boolean;
  };
  /** What integrations record beyond the defaults. */
  capture?: {
    /** Request headers recorded on HTTP spans (scrubbed). Env: `BUD_OBSERVE_CAPTURE_REQUEST_HEADERS`. Default: none. */
    requestHeaders?: string[];
    /** Response headers recorded on HTTP spans (scrubbed). Env: `BUD_OBSERVE_CAPTURE_RESPONSE_HEADERS`. Default: none. */
    responseHeaders?: string[];
    /** Redis keys and arguments in `db.query.text`. Env: `BUD_OBSERVE_CAPTURE_REDIS_KEYS`. Default: `false`. */
    redisKeys?: boolean;
    /** LLM prompts and completions (scrubbed). Env: `BUD_OBSERVE_CAPTURE_GENAI_CONTENT`, `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`. Default: `false`. */
    genAiContent?: boolean;
  };
  genAi?: {
    /** USD per million tokens by model, over the built-in table. Env: `BUD_OBSERVE_GENAI_PRICES` (JSON). Default: none. */
    prices?: Record<string, ModelPrice>;
  };
  sampling?: {
    /** Fraction of new traces recorded. Env: `BUD_OBSERVE_SAMPLE_RATE`, `OTEL_TRACES_SAMPLER_ARG`. Default: `1`. */
    headSampleRate?: number;
    /** Env: `OTEL_TRACES_SAMPLER`. Default: `'parentbased_traceidratio'`. */
    sampler?: SamplerName;
    /**
     * Tail sampling: the spans of a trace are held until its local root ends, and only the
     * traces worth keeping are exported. On once `levelThreshold`, `durationThreshold`,
     * `backgroundRate` or `decide` is set; head sampling still applies first. Only the
     * export sees it: the console and `spanProcessors` get every span.
     */
    tail?: {
      /** A span at or above this level (an ERROR status counts as `error`) keeps its trace. Env: `BUD_OBSERVE_TAIL_LEVEL`. Default: `'error'` once tail sampling is on. */
      levelThreshold?: Level;
      /** A local root lasting at least this keeps its trace: `'200ms'`, `'5s'` or milliseconds. Env: `BUD_OBSERVE_TAIL_DURATION`. Default: unset (no duration rule). */
      durationThreshold?: string | number;
      /** Fraction of the other traces kept, chosen by trace id so every service keeps the same ones. Env: `BUD_OBSERVE_TAIL_BACKGROUND_RATE`. Default: `0` once tail sampling is on. */
      backgroundRate?: number;
      /** Called with each finished span of an undecided trace; returns the probability (0 to 1) of keeping the trace. Config file only. */
      decide?: (span: ReadableSpan) => number;
      /** Spans held undecided, at most; past it the oldest traces are decided early. Env: `BUD_OBSERVE_TAIL_MAX_SPANS`. Default: `10000`. */
      maxSpans?: number;
      /** Estimated bytes of held spans, at most. Env: `BUD_OBSERVE_TAIL_MAX_BYTES`. Default: `4194304` (4 MiB). */
      maxBytes?: number;
      /** Longest a trace is held undecided: `'60s'` or milliseconds. Env: `BUD_OBSERVE_TAIL_MAX_HOLD`. Default: `60000`. */
      maxHold?: string | number;
    };
  };
  /** Env: `BUD_OBSERVE_PROPAGATORS`, `OTEL_PROPAGATORS`. Default: `['tracecontext', 'baggage']`. */
  propagators?: string[];
  batch?: {
    /** Env: `OTEL_BSP_SCHEDULE_DELAY`. Default: `1000`. */
    scheduleDelayMs?: number;
    /** Env: `OTEL_BSP_MAX_QUEUE_SIZE`. Default: `2048`. */
    maxQueueSize?: number;
    /** Env: `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`. Default: `512`. */
    maxExportBatchSize?: number;
  };
  metrics?: {
    /** Env: `OTEL_METRIC_EXPORT_INTERVAL`. Default: `60000`. */
    exportIntervalMs?: number;
  };
  /** Longest the agent delays exit to deliver telemetry. Env: `BUD_OBSERVE_SHUTDOWN_TIMEOUT`. Default: `3000`. */
  shutdownTimeoutMs?: number;
  /** Library instrumentations, by the short names of `@opentelemetry/auto-instrumentations-node`. */
  instrumentations?: {
    /** Only these. Env: `BUD_OBSERVE_INSTRUMENTATIONS`, `OTEL_NODE_ENABLED_INSTRUMENTATIONS`. Default: all but fs, dns, net, host-metrics, runtime-node, router. */
    enabled?: string[];
    /** Never these. Env: `BUD_OBSERVE_DISABLED_INSTRUMENTATIONS`, `OTEL_NODE_DISABLED_INSTRUMENTATIONS`. Default: none. */
    disabled?: string[];
  } & { [name: string]: Record<string, unknown> | string[] | undefined };
  autoTrace?: {
    /** Env: `BUD_OBSERVE_AUTOTRACE_MODULES` (comma-separated globs). Default: none. */
    modules?: Array<string | RegExp>;
    /** Env: `BUD_OBSERVE_AUTOTRACE_EXCLUDE`. Default: none. */
    exclude?: Array<string | RegExp>;
    /** `'5ms'`, `'0.5s'`, `'250us'` or milliseconds. Env: `BUD_OBSERVE_AUTOTRACE_MIN_DURATION`. Default: `0`. */
    minDuration?: string | number;
  };
  /** The agent's own diagnostics. Env: `BUD_OBSERVE_LOG_LEVEL`, `OTEL_LOG_LEVEL`. Default: `'warn'`. */
  logLevel?: LogLevel;
  /** Extra span processors, after the built-in ones. Config file only. */
  spanProcessors?: SpanProcessor[];
}
