// Every configuration option the agent knows, as data: its path in a config file, its
// parser, the variables that set it and its default. The file loader, the environment
// reader, `budobserve doctor` and the README reference are all driven from this table, so
// an option cannot exist in one and be missing from another; and the type of the resolved
// configuration is derived from it (types.ts), each option's value typed by its parser.
// Owns the options; must not read the environment or know how layers are merged.
import type { IncomingMessage } from 'node:http';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import * as p from './parse.ts';
import { isFunction, option } from './option.ts';
import type { OptionSpec } from './option.ts';
import { exportOptions } from './schema-export.ts';
import { samplingOptions } from './schema-sampling.ts';
import { COLORS, LEVELS, LOG_LEVELS } from './schema-values.ts';
import type { ScrubMatch } from './public-types.ts';
import { catalogNames } from '../integrations/catalog.ts';
import { DETECTOR_NAMES, LOCAL_DETECTORS } from '../resource/names.ts';

type EnduserId = (request: IncomingMessage) => string | undefined;
type ScrubCallback = (match: ScrubMatch) => unknown;

const PROPAGATORS = ['tracecontext', 'baggage', 'b3', 'b3multi', 'none'] as const;
const propagatorList = p.names(() => PROPAGATORS, 'propagator', `supported: ${PROPAGATORS.join(', ')}`);
const instrumentationList = p.names(catalogNames, 'instrumentation');
const detectorList = p.names(() => DETECTOR_NAMES, 'resource detector', `supported: ${DETECTOR_NAMES.join(', ')}`);

const isProcessorList = (v: unknown): v is SpanProcessor[] =>
  Array.isArray(v) &&
  v.every((x) => typeof x === 'object' && x !== null && typeof (x as { onEnd?: unknown }).onEnd === 'function');

export const options = [
  option({
    path: 'disabled',
    parse: p.boolean,
    env: 'BUD_OBSERVE_DISABLED',
    otelEnv: [{ name: 'OTEL_SDK_DISABLED' }],
    default: false,
    doc: 'Turns the agent off entirely; the app runs untouched.',
  }),
  option({
    path: 'serviceName',
    parse: p.string,
    env: 'BUD_OBSERVE_SERVICE_NAME',
    otelEnv: [{ name: 'OTEL_SERVICE_NAME' }, { name: 'OTEL_RESOURCE_ATTRIBUTES', key: 'service.name' }],
    defaultText: "package.json name, else 'unknown_service:node'",
    computed: true,
    doc: 'service.name on every signal.',
  }),
  option({
    path: 'serviceVersion',
    parse: p.string,
    env: 'BUD_OBSERVE_SERVICE_VERSION',
    otelEnv: [{ name: 'OTEL_RESOURCE_ATTRIBUTES', key: 'service.version' }],
    defaultText: 'package.json version',
    doc: 'service.version.',
  }),
  option({
    path: 'environment',
    parse: p.string,
    env: 'BUD_OBSERVE_ENVIRONMENT',
    otelEnv: [
      { name: 'OTEL_RESOURCE_ATTRIBUTES', key: 'deployment.environment.name' },
      { name: 'OTEL_RESOURCE_ATTRIBUTES', key: 'deployment.environment' },
    ],
    doc: 'deployment.environment.name (production, staging, …).',
  }),
  option({
    path: 'resourceAttributes',
    parse: p.keyValues,
    env: 'BUD_OBSERVE_RESOURCE_ATTRIBUTES',
    otelEnv: [{ name: 'OTEL_RESOURCE_ATTRIBUTES' }],
    default: {},
    doc: 'Extra resource attributes.',
  }),
  option({
    path: 'resourceDetectors',
    parse: detectorList,
    env: 'BUD_OBSERVE_RESOURCE_DETECTORS',
    otelEnv: [{ name: 'OTEL_NODE_RESOURCE_DETECTORS' }],
    default: [...LOCAL_DETECTORS],
    doc: "Resource detectors, by OTel's names: host, os, process, container, serviceinstance (read locally), aws, gcp, azure, alibaba (ask the cloud's metadata service; the first export waits for them at most 1 s), all, none. env is accepted and selects nothing: OTEL_RESOURCE_ATTRIBUTES is configuration and always applies.",
  }),
  option({
    path: 'bud.projectId',
    parse: p.string,
    env: 'BUD_OBSERVE_PROJECT_ID',
    doc: 'bud.project.id resource attribute.',
  }),
  option({
    path: 'bud.endpointId',
    parse: p.string,
    env: 'BUD_OBSERVE_ENDPOINT_ID',
    doc: 'bud.endpoint.id resource attribute.',
  }),
  option({
    path: 'bud.modelId',
    parse: p.string,
    env: 'BUD_OBSERVE_MODEL_ID',
    doc: 'bud.model.id resource attribute.',
  }),
  option({
    path: 'bud.clusterId',
    parse: p.string,
    env: 'BUD_OBSERVE_CLUSTER_ID',
    doc: 'bud.cluster.id resource attribute.',
  }),
  ...exportOptions,
  option({
    path: 'console.enabled',
    parse: p.boolean,
    env: 'BUD_OBSERVE_CONSOLE',
    defaultText: 'true when no endpoint is configured, else false',
    computed: true,
    doc: 'Print spans readably to stderr.',
  }),
  option({
    path: 'console.colors',
    parse: p.oneOf(COLORS),
    env: 'BUD_OBSERVE_CONSOLE_COLORS',
    default: 'auto',
    doc: "'auto' (TTY, NO_COLOR, FORCE_COLOR), 'always' or 'never'.",
  }),
  option({
    path: 'console.minLevel',
    parse: p.oneOf(LEVELS),
    env: 'BUD_OBSERVE_CONSOLE_MIN_LEVEL',
    default: 'info',
    doc: 'Lowest log level the console prints.',
  }),
  option({
    path: 'console.verbose',
    parse: p.boolean,
    env: 'BUD_OBSERVE_CONSOLE_VERBOSE',
    default: false,
    doc: 'Also print span attributes.',
  }),
  option({
    path: 'console.includeTimestamps',
    parse: p.boolean,
    env: 'BUD_OBSERVE_CONSOLE_TIMESTAMPS',
    default: true,
    doc: 'Start each line with the time of day.',
  }),
  ...samplingOptions,
  option({
    path: 'propagators',
    parse: propagatorList,
    env: 'BUD_OBSERVE_PROPAGATORS',
    otelEnv: [{ name: 'OTEL_PROPAGATORS' }],
    default: ['tracecontext', 'baggage'],
    doc: "'tracecontext', 'baggage', 'b3', 'b3multi' or 'none'.",
  }),
  option({
    path: 'batch.scheduleDelayMs',
    parse: p.number(0, 600_000, true),
    otelEnv: [{ name: 'OTEL_BSP_SCHEDULE_DELAY' }],
    default: 1000,
    doc: 'Delay between span exports, milliseconds.',
  }),
  option({
    path: 'batch.maxQueueSize',
    parse: p.number(1, 10_000_000, true),
    otelEnv: [{ name: 'OTEL_BSP_MAX_QUEUE_SIZE' }],
    default: 2048,
    doc: 'Spans kept waiting for export before new ones are dropped.',
  }),
  option({
    path: 'batch.maxExportBatchSize',
    parse: p.number(1, 10_000_000, true),
    otelEnv: [{ name: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE' }],
    default: 512,
    doc: 'Spans per export request.',
  }),
  option({
    path: 'metrics.exportIntervalMs',
    parse: p.number(100, 86_400_000, true),
    otelEnv: [{ name: 'OTEL_METRIC_EXPORT_INTERVAL' }],
    default: 60_000,
    doc: 'Metric export interval, milliseconds.',
  }),
  option({
    path: 'shutdownTimeoutMs',
    parse: p.number(0, 600_000, true),
    env: 'BUD_OBSERVE_SHUTDOWN_TIMEOUT',
    default: 3000,
    doc: 'Longest the agent delays exit to deliver telemetry, milliseconds.',
  }),
  option({
    path: 'instrumentations.enabled',
    parse: instrumentationList,
    env: 'BUD_OBSERVE_INSTRUMENTATIONS',
    otelEnv: [{ name: 'OTEL_NODE_ENABLED_INSTRUMENTATIONS' }],
    defaultText: 'all but fs, dns, net, host-metrics, runtime-node, router',
    doc: 'Only these instrumentations (short names: http, express, pg, …).',
  }),
  option({
    path: 'instrumentations.disabled',
    parse: instrumentationList,
    env: 'BUD_OBSERVE_DISABLED_INSTRUMENTATIONS',
    otelEnv: [{ name: 'OTEL_NODE_DISABLED_INSTRUMENTATIONS' }],
    default: [],
    doc: 'Never these instrumentations.',
  }),
  option({
    path: 'autoTrace.modules',
    parse: p.patterns,
    env: 'BUD_OBSERVE_AUTOTRACE_MODULES',
    default: [],
    doc: "Globs (or RegExps in a file) of the app's own modules whose functions become spans.",
  }),
  option({
    path: 'autoTrace.exclude',
    parse: p.patterns,
    env: 'BUD_OBSERVE_AUTOTRACE_EXCLUDE',
    default: [],
    doc: 'Globs never auto-traced.',
  }),
  option({
    path: 'autoTrace.minDuration',
    parse: p.duration,
    env: 'BUD_OBSERVE_AUTOTRACE_MIN_DURATION',
    default: 0,
    doc: "Drop auto-traced calls shorter than this ('5ms', '0.5s', '250us'; bare number = ms).",
  }),
  option({
    path: 'minLevel',
    parse: p.oneOf(LEVELS),
    env: 'BUD_OBSERVE_MIN_LEVEL',
    default: 'trace',
    doc: 'Log-spans (bud.info() and friends) below this level are dropped.',
  }),
  option({
    path: 'tags',
    parse: p.list,
    env: 'BUD_OBSERVE_TAGS',
    default: [],
    doc: 'Tags (logfire.tags) added to every span the API creates.',
  }),
  option({
    path: 'requestIdHeader',
    parse: p.string,
    env: 'BUD_OBSERVE_REQUEST_ID_HEADER',
    default: 'x-request-id',
    doc: 'Incoming request header whose value becomes bud.request.id on the request and every span below it.',
  }),
  option({
    path: 'enduserId',
    parse: p.fileOnly(isFunction<EnduserId>, 'a function (request) => string | undefined (config file only)'),
    doc: 'Returns the enduser.id of an incoming request (config file only).',
  }),
  option({
    path: 'scrubbing.enabled',
    parse: p.boolean,
    env: 'BUD_OBSERVE_SCRUBBING',
    default: true,
    doc: 'Replace values that look like secrets before they leave the process.',
  }),
  option({
    path: 'scrubbing.extraPatterns',
    parse: p.regexps,
    env: 'BUD_OBSERVE_SCRUBBING_PATTERNS',
    default: [],
    doc: 'More patterns (regular expressions, case-insensitive) beside the built-in ones.',
  }),
  option({
    path: 'scrubbing.callback',
    parse: p.fileOnly(isFunction<ScrubCallback>, 'a function ({ path, value, pattern }) => unknown (config file only)'),
    doc: 'Decides per match: return a value to keep it, undefined to scrub (config file only).',
  }),
  option({
    path: 'scrubbing.dbStatements',
    parse: p.boolean,
    env: 'BUD_OBSERVE_SCRUB_DB_STATEMENTS',
    default: true,
    doc: 'Replace literals in db.query.text / db.statement with ? (false exports the raw query text).',
  }),
  option({
    path: 'capture.requestHeaders',
    parse: p.list,
    env: 'BUD_OBSERVE_CAPTURE_REQUEST_HEADERS',
    default: [],
    doc: 'Request headers recorded on HTTP server and client spans as http.request.header.<name> (scrubbed).',
  }),
  option({
    path: 'capture.responseHeaders',
    parse: p.list,
    env: 'BUD_OBSERVE_CAPTURE_RESPONSE_HEADERS',
    default: [],
    doc: 'Response headers recorded on HTTP server and client spans as http.response.header.<name> (scrubbed).',
  }),
  option({
    path: 'capture.redisKeys',
    parse: p.boolean,
    env: 'BUD_OBSERVE_CAPTURE_REDIS_KEYS',
    default: false,
    doc: 'Record Redis keys and arguments in db.query.text (otherwise the command name only).',
  }),
  option({
    path: 'capture.genAiContent',
    parse: p.boolean,
    env: 'BUD_OBSERVE_CAPTURE_GENAI_CONTENT',
    otelEnv: [{ name: 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT' }],
    default: false,
    doc: 'Record LLM prompts and completions on gen_ai spans (scrubbed).',
  }),
  option({
    path: 'genAi.prices',
    parse: p.prices,
    env: 'BUD_OBSERVE_GENAI_PRICES',
    default: {},
    doc: 'Per-model prices (USD per million input/output tokens) over the built-in table, for gen_ai.usage.cost.',
  }),
  option({
    path: 'logLevel',
    parse: p.oneOf(LOG_LEVELS),
    env: 'BUD_OBSERVE_LOG_LEVEL',
    otelEnv: [{ name: 'OTEL_LOG_LEVEL' }],
    default: 'warn',
    doc: "The agent's own diagnostics on stderr.",
  }),
  option({
    path: 'spanProcessors',
    parse: p.fileOnly(isProcessorList, 'an array of SpanProcessor objects (config file only)'),
    default: [],
    doc: 'Extra span processors, run after the built-in ones (config file only).',
  }),
] as const;

/** Every option's path: the keys of the resolved configuration, flattened. */
export type OptionPath = (typeof options)[number]['path'];

export const byPath: ReadonlyMap<string, OptionSpec> = new Map(options.map((o) => [o.path, o]));
