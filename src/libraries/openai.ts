// Tracing of the `openai` SDK (4.19 to 6.x): chat.completions.create, responses.create and
// embeddings.create, each plain or streamed. Also what LiteLLM (an OpenAI-compatible proxy
// used through this SDK) sends back. Owns the mapping of OpenAI's request and response
// fields; the span, cost and metrics are genai/span.ts's, the patching genai/call.ts's.
//
// Why not @opentelemetry/instrumentation-openai 0.22 (which this replaces under the same
// name, "openai")? Measured against what Bud needs, it records no cost, no total tokens, no
// time to first chunk and no LiteLLM; it puts prompts and completions in log records (which
// need the logs pipeline, and are not where the span scrubbing looks), never on the span;
// its Responses spans lack gen_ai.system and its chat spans gen_ai.provider.name; an error
// sets the status but records no exception; and a stream the app stops reading early
// (break) or that fails midway never ends its span. It offers no hooks to add any of this,
// so enriching it would mean re-deriving everything from the outside. Anthropic needs the
// same span, cost and stream code anyway, so one shared implementation is less code.
import { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { baseURLOf, GenAiInstrumentationBase } from './genai/call.ts';
import type { CallSpec, GenAiInstrumentationConfig } from './genai/call.ts';
import type { GenAiCall } from './genai/span.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const model = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A chat message in the semconv shape: role and parts. */
function chatMessage(m: unknown): unknown {
  if (!isObj(m)) return m;
  const parts: unknown[] = [];
  if (typeof m['content'] === 'string') parts.push({ type: 'text', content: m['content'] });
  else
    for (const p of list(m['content']))
      parts.push(isObj(p) && p['type'] === 'text' ? { type: 'text', content: p['text'] } : p);
  for (const t of list(m['tool_calls'])) {
    if (isObj(t) && isObj(t['function']))
      parts.push({
        type: 'tool_call',
        id: t['id'],
        name: t['function']['name'],
        arguments: t['function']['arguments'],
      });
  }
  return { role: m['role'], parts };
}

interface ChatStreamState {
  text: string[];
  finish: string[];
}
const chatStreams = new WeakMap<GenAiCall, ChatStreamState>();

const chat: CallSpec = {
  request: (p, resource) => ({
    system: 'openai',
    operation: 'chat',
    model: model(p['model']),
    temperature: p['temperature'],
    maxTokens: p['max_completion_tokens'] ?? p['max_tokens'],
    topP: p['top_p'],
    stream: p['stream'] === true,
    baseURL: baseURLOf(resource),
    input: () => list(p['messages']).map(chatMessage),
  }),
  body(call, d) {
    const usage = isObj(d['usage']) ? d['usage'] : {};
    const choices = list(d['choices']).filter(isObj);
    call.response({
      id: d['id'],
      model: d['model'],
      inputTokens: usage['prompt_tokens'],
      outputTokens: usage['completion_tokens'],
      finishReasons: choices.map((c) => String(c['finish_reason'])),
      output: () => choices.map((c) => ({ ...(chatMessage(c['message']) as Obj), finish_reason: c['finish_reason'] })),
    });
  },
  chunk(call, d) {
    let s = chatStreams.get(call);
    if (s === undefined) chatStreams.set(call, (s = { text: [], finish: [] }));
    const state = s;
    let output = false;
    for (const c of list(d['choices'])) {
      if (!isObj(c)) continue;
      const i = typeof c['index'] === 'number' ? c['index'] : 0;
      const delta = isObj(c['delta']) ? c['delta'] : {};
      if (typeof delta['content'] === 'string' && delta['content'] !== '') {
        output = true;
        state.text[i] = (state.text[i] ?? '') + delta['content'];
      }
      if (list(delta['tool_calls']).length > 0) output = true;
      if (typeof c['finish_reason'] === 'string') state.finish[i] = c['finish_reason'];
    }
    call.chunk(output);
    // The last chunk carries usage only when the request set stream_options.include_usage.
    const usage = isObj(d['usage']) ? d['usage'] : {};
    call.response({
      id: d['id'],
      model: d['model'],
      inputTokens: usage['prompt_tokens'],
      outputTokens: usage['completion_tokens'],
      finishReasons: state.finish.filter((f) => f !== undefined),
      output: () =>
        state.text.map((t, i) => ({
          role: 'assistant',
          parts: [{ type: 'text', content: t }],
          finish_reason: state.finish[i],
        })),
    });
  },
};

/** The text of a Responses API `output` list. */
function responseOutput(output: unknown): unknown {
  return list(output)
    .filter(isObj)
    .map((item) =>
      item['type'] === 'message'
        ? {
            role: item['role'],
            parts: list(item['content']).map((c) =>
              isObj(c) && c['type'] === 'output_text' ? { type: 'text', content: c['text'] } : c,
            ),
          }
        : item,
    );
}

function responseBody(call: GenAiCall, d: Obj): void {
  const usage = isObj(d['usage']) ? d['usage'] : {};
  const incomplete = isObj(d['incomplete_details']) ? d['incomplete_details']['reason'] : undefined;
  const status = d['status'];
  call.response({
    id: d['id'],
    model: d['model'],
    inputTokens: usage['input_tokens'],
    outputTokens: usage['output_tokens'],
    ...(typeof status === 'string'
      ? { finishReasons: [typeof incomplete === 'string' ? incomplete : status === 'completed' ? 'stop' : status] }
      : {}),
    output: () => responseOutput(d['output']),
  });
}

const responses: CallSpec = {
  request: (p, resource) => ({
    system: 'openai',
    operation: 'chat',
    model: model(p['model']),
    temperature: p['temperature'],
    maxTokens: p['max_output_tokens'],
    topP: p['top_p'],
    stream: p['stream'] === true,
    baseURL: baseURLOf(resource),
    input: () =>
      typeof p['input'] === 'string'
        ? [{ role: 'user', parts: [{ type: 'text', content: p['input'] }] }]
        : list(p['input']).map(chatMessage),
    instructions: () =>
      typeof p['instructions'] === 'string' ? [{ type: 'text', content: p['instructions'] }] : undefined,
  }),
  body: responseBody,
  chunk(call, e) {
    const type = e['type'];
    call.chunk(type === 'response.output_text.delta' || type === 'response.function_call_arguments.delta');
    const r = e['response'];
    if (!isObj(r)) return;
    if (type === 'response.created') call.response({ id: r['id'], model: r['model'] });
    else if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed')
      responseBody(call, r);
  },
};

const embeddings: CallSpec = {
  request: (p, resource) => ({
    system: 'openai',
    operation: 'embeddings',
    model: model(p['model']),
    stream: false,
    baseURL: baseURLOf(resource),
  }),
  body(call, d) {
    const usage = isObj(d['usage']) ? d['usage'] : {};
    call.response({ model: d['model'], inputTokens: usage['prompt_tokens'] });
  },
  chunk() {
    /* not streamed */
  },
};

interface OpenAIExports {
  OpenAI?: {
    Chat?: { Completions?: { prototype: unknown } };
    Embeddings?: { prototype: unknown };
    Responses?: { prototype: unknown };
  };
}

/** The CommonJS exports, or the `default` of the ES module namespace. */
function classes(mod: unknown): OpenAIExports['OpenAI'] {
  const m = mod as OpenAIExports & {
    default?: OpenAIExports['OpenAI'] & OpenAIExports;
    [Symbol.toStringTag]?: unknown;
  };
  return m.OpenAI ?? m.default?.OpenAI ?? m.default;
}

export class OpenAIInstrumentation extends GenAiInstrumentationBase {
  constructor(config: GenAiInstrumentationConfig = {}) {
    super('@budobserve/instrumentation-openai', '1.0.0', config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        'openai',
        ['>=4.19.0 <7'],
        (mod: unknown) => {
          const OpenAI = classes(mod);
          this.patchMethod(OpenAI?.Chat?.Completions?.prototype, 'create', chat, 'openai chat.completions.create');
          this.patchMethod(OpenAI?.Embeddings?.prototype, 'create', embeddings, 'openai embeddings.create');
          // Responses arrived in openai 4.87.
          if (OpenAI?.Responses !== undefined)
            this.patchMethod(OpenAI.Responses.prototype, 'create', responses, 'openai responses.create');
          return mod;
        },
        (mod: unknown) => {
          const OpenAI = classes(mod);
          this.unpatchMethod(OpenAI?.Chat?.Completions?.prototype, 'create');
          this.unpatchMethod(OpenAI?.Embeddings?.prototype, 'create');
          this.unpatchMethod(OpenAI?.Responses?.prototype, 'create');
        },
      ),
    ];
  }
}
