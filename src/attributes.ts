// The attribute names the agent writes and reads, in one place (Logfire's constants.ts): the
// API writes them, the console and the processors read them, scrubbing knows which are safe.
// Plain string constants, inlined by esbuild, so sharing them costs no bundle size.
// Owns names only; the level numbers are in levels.ts, what a value means is the writer's.

/** The message template as written: `'GET {path}'`. */
export const ATTR_MSG_TEMPLATE = 'logfire.msg_template';
/** The message with its values filled in: `'GET /users'`. */
export const ATTR_MSG = 'logfire.msg';
/** `'span'` or `'log'` (a zero-length log-span). */
export const ATTR_SPAN_TYPE = 'logfire.span_type';
/** The level as Logfire's number (LEVEL_NUMBERS in levels.ts). */
export const ATTR_LEVEL_NUM = 'logfire.level_num';
export const ATTR_TAGS = 'logfire.tags';
/** JSON schema of the values that are not plain attributes (objects, dates, errors). */
export const ATTR_JSON_SCHEMA = 'logfire.json_schema';
/** What scrubbing replaced, as JSON: path and pattern of each match, never the value. */
export const ATTR_SCRUBBED = 'logfire.scrubbed';
export const ATTR_SAMPLE_RATE = 'logfire.sample_rate';

/** The incoming request's id (the configured requestIdHeader), on its span and every span below. */
export const ATTR_REQUEST_ID = 'bud.request.id';
/** OpenTelemetry's end-user id, from the configured enduserId function. */
export const ATTR_ENDUSER_ID = 'enduser.id';
/** How many spans made before the agent started were dropped (the pending buffer was full). */
export const ATTR_DROPPED_BEFORE_START = 'budobserve.dropped';

// Resource attributes of the Bud platform ids (config `bud.*`).
export const ATTR_BUD_PROJECT_ID = 'bud.project.id';
export const ATTR_BUD_ENDPOINT_ID = 'bud.endpoint.id';
export const ATTR_BUD_MODEL_ID = 'bud.model.id';
export const ATTR_BUD_CLUSTER_ID = 'bud.cluster.id';

/** On an HTTP client span: the service it called kept this trace (its traceresponse said so), so tail sampling keeps it here too. */
export const ATTR_KEPT_DOWNSTREAM = 'bud.sampling.kept_downstream';
