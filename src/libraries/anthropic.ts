// Tracing of `@anthropic-ai/sdk`: messages.create, plain or streamed (`stream: true`), and
// messages.stream(), which the SDK builds on messages.create, so one patch covers both. Owns
// the mapping of Anthropic's request and response fields; the span, cost and metrics are
// genai/span.ts's, the patching genai/call.ts's.
//
// The SDK (1.x) has tracing of its own, on by default: an `anthropic.messages.create` span.
// It is left alone (ANTHROPIC_OPEN_TELEMETRY=false turns it off): it sits under Bud's span,
// between it and the HTTP request. Bud's span is the one with gen_ai.system, temperature,
// finish reasons, total tokens, cost and the metrics, in the same shape as OpenAI's, so
// dashboards and cost queries should select spans of scope @budobserve/instrumentation-*
// (or with gen_ai.usage.cost) to count each call once. With messages.stream() the SDK starts
// its span before calling messages.create, so there the two spans are siblings.
import { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { baseURLOf, GenAiInstrumentationBase } from './genai/call.ts';
import type { CallSpec, GenAiInstrumentationConfig } from './genai/call.ts';
import type { GenAiCall } from './genai/span.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const count = (usage: Obj, key: string): number => (typeof usage[key] === 'number' ? usage[key] : 0);

/**
 * Input tokens as the semantic conventions count them: the uncached ones plus those read from
 * and written to the prompt cache, which Anthropic reports apart. (Cost then prices them all
 * at the input list price: cache discounts are not modelled.)
 */
function inputTokens(usage: unknown): number | undefined {
  if (!isObj(usage) || typeof usage['input_tokens'] !== 'number') return undefined;
  return (
    count(usage, 'input_tokens') + count(usage, 'cache_read_input_tokens') + count(usage, 'cache_creation_input_tokens')
  );
}

function part(block: unknown): unknown {
  if (!isObj(block)) return block;
  if (block['type'] === 'text') return { type: 'text', content: block['text'] };
  if (block['type'] === 'tool_use')
    return { type: 'tool_call', id: block['id'], name: block['name'], arguments: block['input'] };
  return block;
}

function message(m: unknown): unknown {
  if (!isObj(m)) return m;
  const content = m['content'];
  return {
    role: m['role'],
    parts: typeof content === 'string' ? [{ type: 'text', content }] : list(content).map(part),
  };
}

interface StreamState {
  blocks: unknown[];
}
const streams = new WeakMap<GenAiCall, StreamState>();

const messages: CallSpec = {
  request: (p, resource) => ({
    system: 'anthropic',
    operation: 'chat',
    model: typeof p['model'] === 'string' ? p['model'] : undefined,
    temperature: p['temperature'],
    maxTokens: p['max_tokens'],
    topP: p['top_p'],
    stream: p['stream'] === true,
    baseURL: baseURLOf(resource),
    input: () => list(p['messages']).map(message),
    instructions: () => {
      const s = p['system'];
      return typeof s === 'string' ? [{ type: 'text', content: s }] : Array.isArray(s) ? s.map(part) : undefined;
    },
  }),
  body(call, d) {
    const stop = d['stop_reason'];
    call.response({
      id: d['id'],
      model: d['model'],
      inputTokens: inputTokens(d['usage']),
      outputTokens: isObj(d['usage']) ? d['usage']['output_tokens'] : undefined,
      ...(typeof stop === 'string' ? { finishReasons: [stop] } : {}),
      output: () => [{ role: 'assistant', parts: list(d['content']).map(part), finish_reason: stop }],
    });
  },
  chunk(call, e) {
    const type = e['type'];
    call.chunk(type === 'content_block_delta');
    let s = streams.get(call);
    if (s === undefined) streams.set(call, (s = { blocks: [] }));
    const state = s;
    if (type === 'message_start' && isObj(e['message'])) {
      const m = e['message'];
      call.response({
        id: m['id'],
        model: m['model'],
        inputTokens: inputTokens(m['usage']),
        outputTokens: isObj(m['usage']) ? m['usage']['output_tokens'] : undefined,
      });
    } else if (type === 'content_block_start' && typeof e['index'] === 'number') {
      state.blocks[e['index']] = part(e['content_block']);
    } else if (type === 'content_block_delta' && typeof e['index'] === 'number' && isObj(e['delta'])) {
      const block = state.blocks[e['index']];
      const text = e['delta']['text'];
      if (isObj(block) && block['type'] === 'text' && typeof text === 'string')
        block['content'] = String(block['content'] ?? '') + text;
    } else if (type === 'message_delta') {
      const delta = isObj(e['delta']) ? e['delta'] : {};
      const usage = isObj(e['usage']) ? e['usage'] : {};
      const stop = delta['stop_reason'];
      // message_delta's usage is cumulative; it repeats input_tokens only in newer API versions.
      call.response({
        outputTokens: usage['output_tokens'],
        inputTokens: inputTokens(usage),
        ...(typeof stop === 'string' ? { finishReasons: [stop] } : {}),
        output: () => [{ role: 'assistant', parts: state.blocks, finish_reason: stop }],
      });
    }
  },
};

interface AnthropicExports {
  Messages?: { prototype: unknown };
}

function messagesClass(mod: unknown): AnthropicExports['Messages'] {
  const m = mod as { Anthropic?: AnthropicExports; default?: AnthropicExports };
  return m.Anthropic?.Messages ?? m.default?.Messages;
}

export class AnthropicInstrumentation extends GenAiInstrumentationBase {
  constructor(config: GenAiInstrumentationConfig = {}) {
    super('@budobserve/instrumentation-anthropic', '1.0.0', config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    // 1.x is the line tested; 0.x releases are left alone rather than patched on trust.
    return [
      new InstrumentationNodeModuleDefinition(
        '@anthropic-ai/sdk',
        ['>=1.0.0 <2'],
        (mod: unknown) => {
          this.patchMethod(messagesClass(mod)?.prototype, 'create', messages, '@anthropic-ai/sdk messages.create');
          return mod;
        },
        (mod: unknown) => {
          this.unpatchMethod(messagesClass(mod)?.prototype, 'create');
        },
      ),
    ];
  }
}
