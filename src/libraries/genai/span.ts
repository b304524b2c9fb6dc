// One LLM API call as telemetry: its gen_ai span (attributes of the OTel GenAI semantic
// conventions), its cost, its time to first chunk and the two gen_ai.client.* metrics.
// Shared by the openai and Anthropic instrumentations; owns attribute names and the
// arithmetic; must not know either SDK's shapes (src/libraries/openai.ts and anthropic.ts map them here).
//
// Decisions:
// - Both `gen_ai.system` (the name older dashboards filter on) and `gen_ai.provider.name`
//   (its replacement since semconv 1.37) carry the same value.
// - LiteLLM, an OpenAI-compatible proxy, is a provider of its own here: `gen_ai.system` and
//   `gen_ai.provider.name` become 'litellm' once the call is recognised (by a base URL naming
//   it, or `x-litellm-*` response headers), because the model behind it may be anyone's; the
//   SDK used stays visible in the span's instrumentation scope.
// - Time to first chunk is `gen_ai.response.time_to_first_chunk`, in seconds from the call,
//   the name the semantic conventions' registry and Anthropic's own SDK tracing use; it counts
//   to the first chunk that carries output (not the role-only opening chunk).
// - Content goes on the span as JSON attributes, `gen_ai.input.messages`,
//   `gen_ai.output.messages` and `gen_ai.system_instructions` (semconv 1.37 shape), so the
//   export-time scrubber sees it like any other attribute; it is recorded only when the user
//   opted in (`capture.genAiContent`).
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { Attributes, Context, Histogram, Meter, Span, Tracer } from '@opentelemetry/api';
import type { PriceTable } from './prices.ts';
import { recordFailure } from '../../spans/failure.ts';

export type GenAiSystem = 'openai' | 'anthropic' | 'litellm';

export interface GenAiRequest {
  system: GenAiSystem;
  operation: 'chat' | 'embeddings';
  model: string | undefined;
  temperature?: unknown;
  maxTokens?: unknown;
  topP?: unknown;
  stream: boolean;
  baseURL?: unknown;
  /** Built only when content is captured. */
  input?: () => unknown;
  instructions?: () => unknown;
}

export interface GenAiResponse {
  id?: unknown;
  model?: unknown;
  finishReasons?: string[];
  inputTokens?: unknown;
  outputTokens?: unknown;
  /** Built only when content is captured. */
  output?: () => unknown;
}

export interface GenAiSettings {
  captureContent: boolean;
  prices: PriceTable;
}

interface Instruments {
  duration: Histogram;
  tokens: Histogram;
}
const instruments = new WeakMap<Meter, Instruments>();

/** The histograms with the buckets the semantic conventions advise. */
function metricsFor(meter: Meter): Instruments {
  const known = instruments.get(meter);
  if (known !== undefined) return known;
  const duration = meter.createHistogram('gen_ai.client.operation.duration', {
    description: 'GenAI operation duration',
    unit: 's',
    advice: {
      explicitBucketBoundaries: [
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
      ],
    },
  });
  const tokens = meter.createHistogram('gen_ai.client.token.usage', {
    description: 'Measures number of input and output tokens used',
    unit: '{token}',
    advice: {
      explicitBucketBoundaries: [
        1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
      ],
    },
  });
  const created = { duration, tokens };
  instruments.set(meter, created);
  return created;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function json(build: (() => unknown) | undefined): string | undefined {
  if (build === undefined) return undefined;
  try {
    const v = build();
    return v === undefined ? undefined : JSON.stringify(v);
  } catch {
    return undefined;
  }
}

/** Whether a base URL names LiteLLM (a host such as litellm.internal or litellm-proxy:4000). */
export function isLiteLLMUrl(baseURL: unknown): boolean {
  if (typeof baseURL !== 'string') return false;
  try {
    return new URL(baseURL).hostname.toLowerCase().includes('litellm');
  } catch {
    return false;
  }
}

export class GenAiCall {
  readonly span: Span;
  readonly context: Context;
  readonly #settings: GenAiSettings;
  readonly #meter: Meter;
  readonly #start = performance.now();
  readonly #metricAttrs: Attributes;
  #system: GenAiSystem;
  #response: GenAiResponse = {};
  #firstChunk = false;
  #proxyCost: number | undefined;
  #error: string | undefined;
  #ended = false;

  constructor(tracer: Tracer, meter: Meter, settings: GenAiSettings, req: GenAiRequest) {
    this.#settings = settings;
    this.#meter = meter;
    this.#system = isLiteLLMUrl(req.baseURL) ? 'litellm' : req.system;
    const attrs: Attributes = {
      'gen_ai.operation.name': req.operation,
      'gen_ai.system': this.#system,
      'gen_ai.provider.name': this.#system,
    };
    if (req.model !== undefined) attrs['gen_ai.request.model'] = req.model;
    try {
      const url = new URL(String(req.baseURL));
      attrs['server.address'] = url.hostname.replace(/^\[(.*)\]$/, '$1');
      attrs['server.port'] = url.port === '' ? (url.protocol === 'http:' ? 80 : 443) : Number(url.port);
    } catch {
      /* no usable base URL */
    }
    this.#metricAttrs = { ...attrs };
    const temperature = num(req.temperature);
    if (temperature !== undefined) attrs['gen_ai.request.temperature'] = temperature;
    const maxTokens = num(req.maxTokens);
    if (maxTokens !== undefined) attrs['gen_ai.request.max_tokens'] = maxTokens;
    const topP = num(req.topP);
    if (topP !== undefined) attrs['gen_ai.request.top_p'] = topP;
    if (req.stream) attrs['gen_ai.request.stream'] = true;
    if (settings.captureContent) {
      const input = json(req.input);
      if (input !== undefined) attrs['gen_ai.input.messages'] = input;
      const instructions = json(req.instructions);
      if (instructions !== undefined) attrs['gen_ai.system_instructions'] = instructions;
    }
    const name = req.model === undefined ? req.operation : `${req.operation} ${req.model}`;
    this.span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes: attrs });
    this.context = trace.setSpan(context.active(), this.span);
  }

  /** Merges what the response (or a chunk of it) says; later values win. */
  response(r: GenAiResponse): void {
    Object.assign(this.#response, Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
  }

  /** A streamed chunk; `output`: it carries generated content (the first such sets TTFT). */
  chunk(output: boolean): void {
    if (!output || this.#firstChunk) return;
    this.#firstChunk = true;
    this.span.setAttribute('gen_ai.response.time_to_first_chunk', (performance.now() - this.#start) / 1000);
  }

  /** Response headers: LiteLLM answers with `x-litellm-*` ones, and its own cost. */
  headers(headers: unknown): void {
    const h = headers as { forEach?: (cb: (value: string, key: string) => void) => void } | null;
    if (typeof h?.forEach !== 'function') return;
    let litellm = false;
    h.forEach((value, key) => {
      if (!key.toLowerCase().startsWith('x-litellm-')) return;
      litellm = true;
      if (key.toLowerCase() === 'x-litellm-response-cost') this.#proxyCost = num(Number(value));
    });
    if (litellm && this.#system !== 'litellm') {
      this.#system = 'litellm';
      this.#metricAttrs['gen_ai.system'] = this.#metricAttrs['gen_ai.provider.name'] = 'litellm';
      this.span.setAttributes({ 'gen_ai.system': 'litellm', 'gen_ai.provider.name': 'litellm' });
    }
  }

  fail(error: unknown): void {
    if (this.#ended || this.#error !== undefined) return;
    // The provider's HTTP status, when it answered, is the error's type (semconv: '429', '500').
    const status = num((error as { status?: unknown } | null | undefined)?.status);
    if (status !== undefined) this.span.setAttribute('http.response.status_code', status);
    this.#error = recordFailure(this.span, error, { type: status === undefined ? undefined : String(status) });
  }

  /** Ends the span and records the metrics, once. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const r = this.#response;
    const span = this.span;
    const attrs: Attributes = {};
    const id = str(r.id);
    if (id !== undefined) attrs['gen_ai.response.id'] = id;
    const model = str(r.model);
    if (model !== undefined) attrs['gen_ai.response.model'] = model;
    if (r.finishReasons !== undefined && r.finishReasons.length > 0)
      attrs['gen_ai.response.finish_reasons'] = r.finishReasons;
    const input = num(r.inputTokens);
    const output = num(r.outputTokens);
    if (input !== undefined) attrs['gen_ai.usage.input_tokens'] = input;
    if (output !== undefined) attrs['gen_ai.usage.output_tokens'] = output;
    if (input !== undefined || output !== undefined) attrs['gen_ai.usage.total_tokens'] = (input ?? 0) + (output ?? 0);
    // The table (the user's prices over the built-in ones) first: a proxy's own figure only
    // for models the table does not know.
    const requested = str(this.#metricAttrs['gen_ai.request.model']);
    const prices = this.#settings.prices;
    const cost = prices.cost(model, input, output) ?? prices.cost(requested, input, output) ?? this.#proxyCost;
    if (cost !== undefined) attrs['gen_ai.usage.cost'] = cost;
    if (this.#settings.captureContent) {
      const out = json(r.output);
      if (out !== undefined) attrs['gen_ai.output.messages'] = out;
    }
    span.setAttributes(attrs);
    span.end();

    const m = metricsFor(this.#meter);
    const metricAttrs: Attributes = { ...this.#metricAttrs };
    if (model !== undefined) metricAttrs['gen_ai.response.model'] = model;
    if (this.#error !== undefined) metricAttrs['error.type'] = this.#error;
    m.duration.record((performance.now() - this.#start) / 1000, metricAttrs);
    if (input !== undefined) m.tokens.record(input, { ...metricAttrs, 'gen_ai.token.type': 'input' });
    if (output !== undefined) m.tokens.record(output, { ...metricAttrs, 'gen_ai.token.type': 'output' });
  }
}
