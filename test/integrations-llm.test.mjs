// LLM SDKs under the agent, with no code in the app: openai (chat completions, responses,
// embeddings; plain and streamed), @anthropic-ai/sdk (messages; stream: true and
// messages.stream()), LiteLLM through the openai SDK. The providers are a loopback server
// answering with recorded responses (fixtures/integrations-llm/recorded). Checks the span
// tree, the gen_ai attributes, cost against the price table, time to first chunk, errors,
// content capture (off by default, scrubbed when on), price overrides and the two metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures } from './helpers/run.mjs';
import { startProviderServer } from '../fixtures/integrations-llm/provider-server.mjs';

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;
const OPENAI = '@budobserve/instrumentation-openai';
const ANTHROPIC = '@budobserve/instrumentation-anthropic';

// List prices of the built-in table (src/libraries/genai/prices.ts), USD per 1M tokens.
const PRICE = {
  'gpt-4o-mini': [0.15, 0.6],
  'gpt-4.1': [2, 8],
  'text-embedding-3-small': [0.02, 0],
  'claude-haiku-4-5': [1, 5],
};
const cost = ([pin, pout], input, output) => (input * pin + output * pout) / 1e6;
const close = (actual, expected, what = '') =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what ? `${what}: ` : ''}${actual} ≈ ${expected}`);

async function run(env = {}) {
  const provider = await startProviderServer();
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: `${fixtures}integrations-llm/app.mjs`,
      env: {
        LLM_BASE_URL: provider.url,
        BUD_OBSERVE_ENDPOINT: receiver.url,
        BUD_OBSERVE_SERVICE_NAME: 'llm-test',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
        ...env,
      },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'nothing on stderr');
    assert.equal(
      r.stdout,
      [
        'chat: Bud observes your Node.js services with zero code.',
        'chat stream: Streaming from Bud.',
        'chat stream: stopped early',
        'responses: Traces, metrics and logs, with no code changes.',
        'responses stream: Streamed responses.',
        'embeddings: 4',
        'anthropic: Hello! Bud sees every request.',
        'anthropic stream: Streaming from Claude.',
        'anthropic helper stream: Streaming from Claude.',
        'openai error: 429',
        'anthropic error: 500',
        'litellm: Routed through LiteLLM.',
        'route: Bud observes your Node.js services with zero code.',
        '',
      ].join('\n'),
      'the app receives what the providers sent, unchanged',
    );
    const spans = await receiver.waitFor(
      (s) => s.filter((x) => x.scope === OPENAI || x.scope === ANTHROPIC).length >= 13,
    );
    const genai = spans
      .filter((s) => s.scope === OPENAI || s.scope === ANTHROPIC)
      .sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
    const metrics = [];
    for (const q of receiver.received.requests.filter((x) => x.path === '/v1/metrics')) {
      for (const rm of JSON.parse(q.body.toString('utf8')).resourceMetrics ?? []) {
        for (const sm of rm.scopeMetrics ?? [])
          for (const m of sm.metrics ?? []) metrics.push({ scope: sm.scope.name, ...m });
      }
    }
    return { spans, genai, metrics, requests: provider.requests };
  } finally {
    await provider.close();
    await receiver.close();
  }
}

const dump = (span) => JSON.stringify({ attributes: span.attributes, events: span.events, status: span.status });
const attrs = (points) =>
  points.map((p) => Object.fromEntries(p.attributes.map((a) => [a.key, Object.values(a.value)[0]])));

// Both runs at once: each app has its own provider server and collector.
const plain = run();
const withContent = run({
  BUD_OBSERVE_CAPTURE_GENAI_CONTENT: 'true',
  BUD_OBSERVE_GENAI_PRICES: JSON.stringify({ 'gpt-4o-mini': { input: 1, output: 2 } }),
});

test('one gen_ai CLIENT span per call, named "<operation> <model>", under the caller and over the HTTP request', async () => {
  const { spans, genai } = await plain;
  assert.deepEqual(
    genai.map((s) => `${s.scope === OPENAI ? 'openai' : 'anthropic'}: ${s.name}`),
    [
      'openai: chat gpt-4o-mini',
      'openai: chat gpt-4o-mini',
      'openai: chat gpt-4o-mini',
      'openai: chat gpt-4.1',
      'openai: chat gpt-4.1',
      'openai: embeddings text-embedding-3-small',
      'anthropic: chat claude-haiku-4-5',
      'anthropic: chat claude-haiku-4-5',
      'anthropic: chat claude-haiku-4-5',
      'openai: chat rate-limited',
      'anthropic: chat claude-broken',
      'openai: chat team-default',
      'openai: chat gpt-4o-mini',
    ],
  );
  for (const s of genai) assert.equal(s.kind, CLIENT);
  // The route's call sits under the server span, in the trace of the app's own fetch.
  const server = spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === '/ask');
  const routed = genai.at(-1);
  assert.equal(routed.parentSpanId, server.spanId);
  assert.equal(routed.traceId, server.traceId);
  // The HTTP request to the provider is a child of the gen_ai span.
  const http = spans.filter((s) => s.kind === CLIENT && s.parentSpanId === routed.spanId);
  assert.deepEqual(
    http.map((s) => s.attributes['url.path']),
    ['/openai/v1/chat/completions'],
  );
  // Anthropic's SDK traces itself too; Bud's span replaces that one (a second span of the same
  // call would count its tokens twice), and the SDK's HTTP request sits under Bud's span.
  assert.deepEqual(
    spans.filter((s) => s.scope === 'com.anthropic.sdk.typescript'),
    [],
  );
  const broken = genai.find((s) => s.name === 'chat claude-broken');
  assert.deepEqual(
    spans.filter((s) => s.kind === CLIENT && s.parentSpanId === broken.spanId).map((s) => s.attributes['url.path']),
    ['/anthropic/v1/messages'],
  );
});

test("with the anthropic integration switched off, the SDK's own tracing is left as it is", async () => {
  const provider = await startProviderServer();
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: `${fixtures}integrations-llm/app.mjs`,
      env: {
        LLM_BASE_URL: provider.url,
        BUD_OBSERVE_ENDPOINT: receiver.url,
        BUD_OBSERVE_DISABLED_INSTRUMENTATIONS: 'anthropic',
      },
    });
    assert.equal(r.code, 0, r.stderr);
    const spans = await receiver.waitFor(
      (s) => s.filter((x) => x.scope === 'com.anthropic.sdk.typescript').length >= 4,
    );
    assert.deepEqual(
      spans.filter((s) => s.scope === ANTHROPIC),
      [],
    );
  } finally {
    await provider.close();
    await receiver.close();
  }
});

test('openai chat: request, response, usage, total and cost from the table (dated snapshot priced by prefix)', async () => {
  const { genai } = await plain;
  const a = genai[0].attributes;
  assert.equal(a['gen_ai.system'], 'openai');
  assert.equal(a['gen_ai.provider.name'], 'openai');
  assert.equal(a['gen_ai.operation.name'], 'chat');
  assert.equal(a['gen_ai.request.model'], 'gpt-4o-mini');
  assert.equal(a['gen_ai.response.model'], 'gpt-4o-mini-2024-07-18');
  assert.equal(a['gen_ai.request.temperature'], 0.2);
  assert.equal(a['gen_ai.request.max_tokens'], 50);
  assert.equal(a['gen_ai.response.id'], 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT');
  assert.deepEqual(a['gen_ai.response.finish_reasons'], ['stop']);
  assert.equal(a['gen_ai.usage.input_tokens'], 19);
  assert.equal(a['gen_ai.usage.output_tokens'], 11);
  assert.equal(a['gen_ai.usage.total_tokens'], 30);
  close(a['gen_ai.usage.cost'], cost(PRICE['gpt-4o-mini'], 19, 11));
  assert.equal(a['gen_ai.response.time_to_first_chunk'], undefined, 'no TTFT without a stream');
  assert.equal(genai[0].status.code, 0);
});

test('streams: usage from the final chunk, TTFT <= duration, span ends when read, stopped early, or via the helper', async () => {
  const { genai } = await plain;
  const seconds = (s) => Number(s.endTimeUnixNano - s.startTimeUnixNano) / 1e9;
  const streamed = [genai[1], genai[2], genai[4], genai[7], genai[8]];
  for (const s of streamed) {
    const ttft = s.attributes['gen_ai.response.time_to_first_chunk'];
    assert.equal(s.attributes['gen_ai.request.stream'], true, s.name);
    assert.ok(ttft > 0 && ttft <= seconds(s), `${s.name}: TTFT ${ttft} within ${seconds(s)}`);
  }
  const chat = genai[1].attributes;
  assert.equal(chat['gen_ai.usage.input_tokens'], 12);
  assert.equal(chat['gen_ai.usage.output_tokens'], 4);
  assert.equal(chat['gen_ai.usage.total_tokens'], 16);
  assert.deepEqual(chat['gen_ai.response.finish_reasons'], ['stop']);
  close(chat['gen_ai.usage.cost'], cost(PRICE['gpt-4o-mini'], 12, 4));
  // The app broke out of the loop: the span ended, without usage (never sent) and no error.
  const early = genai[2];
  assert.equal(early.attributes['gen_ai.usage.input_tokens'], undefined);
  assert.equal(early.attributes['gen_ai.response.id'], 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG');
  assert.equal(early.status.code, 0);
  const rs = genai[4].attributes;
  assert.equal(rs['gen_ai.response.id'], 'resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654');
  assert.equal(rs['gen_ai.usage.total_tokens'], 42);
  close(rs['gen_ai.usage.cost'], cost(PRICE['gpt-4.1'], 37, 5));
  for (const s of [genai[7], genai[8]]) {
    assert.equal(s.attributes['gen_ai.usage.input_tokens'], 21);
    assert.equal(s.attributes['gen_ai.usage.output_tokens'], 7);
    assert.deepEqual(s.attributes['gen_ai.response.finish_reasons'], ['end_turn']);
    close(s.attributes['gen_ai.usage.cost'], cost(PRICE['claude-haiku-4-5'], 21, 7));
  }
});

test('responses, embeddings and anthropic messages', async () => {
  const { genai } = await plain;
  const r = genai[3].attributes;
  assert.equal(r['gen_ai.request.temperature'], 0.5);
  assert.equal(r['gen_ai.request.max_tokens'], 64);
  assert.equal(r['gen_ai.response.model'], 'gpt-4.1-2025-04-14');
  assert.deepEqual(r['gen_ai.response.finish_reasons'], ['stop']);
  close(r['gen_ai.usage.cost'], cost(PRICE['gpt-4.1'], 36, 12));
  const e = genai[5].attributes;
  assert.equal(e['gen_ai.operation.name'], 'embeddings');
  assert.equal(e['gen_ai.usage.input_tokens'], 8);
  assert.equal(e['gen_ai.usage.total_tokens'], 8);
  close(e['gen_ai.usage.cost'], cost(PRICE['text-embedding-3-small'], 8, 0));
  const m = genai[6].attributes;
  assert.equal(m['gen_ai.system'], 'anthropic');
  assert.equal(m['gen_ai.provider.name'], 'anthropic');
  assert.equal(m['gen_ai.request.temperature'], 0.7);
  assert.equal(m['gen_ai.request.max_tokens'], 100);
  assert.equal(m['gen_ai.response.id'], 'msg_01XFDUDYJgAACzvnptvVoYEL');
  assert.equal(m['gen_ai.response.model'], 'claude-haiku-4-5-20251001');
  assert.deepEqual(m['gen_ai.response.finish_reasons'], ['end_turn']);
  assert.equal(m['gen_ai.usage.total_tokens'], 34);
  close(m['gen_ai.usage.cost'], cost(PRICE['claude-haiku-4-5'], 25, 9));
});

test('provider errors (429, 500): status ERROR, exception event, error.type', async () => {
  const { genai } = await plain;
  for (const [s, code] of [
    [genai[9], 429],
    [genai[10], 500],
  ]) {
    assert.equal(s.status.code, ERROR, s.name);
    assert.match(s.status.message, new RegExp(`^${code} `));
    assert.equal(s.attributes['error.type'], String(code));
    assert.equal(s.attributes['http.response.status_code'], code);
    assert.ok(
      s.events.some((ev) => ev.name === 'exception' && ev.attributes['exception.type']),
      'exception recorded',
    );
    assert.equal(s.attributes['gen_ai.usage.cost'], undefined);
  }
});

test('LiteLLM is recognised by its x-litellm-* response headers; its own cost stands in for an unknown model', async () => {
  const { genai } = await plain;
  const a = genai[11].attributes;
  assert.equal(a['gen_ai.system'], 'litellm');
  assert.equal(a['gen_ai.provider.name'], 'litellm');
  assert.equal(a['gen_ai.usage.total_tokens'], 19);
  assert.equal(a['gen_ai.usage.cost'], 0.0000123, 'x-litellm-response-cost');
  assert.equal(genai[0].attributes['gen_ai.system'], 'openai', 'plain OpenAI is not LiteLLM');
});

test('no prompt or completion content by default', async () => {
  const { spans } = await plain;
  for (const s of spans) {
    for (const k of ['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions'])
      assert.equal(s.attributes[k], undefined, `${s.name} ${k}`);
    assert.ok(!dump(s).includes('sk-proj-abc123def456ghi789'), s.name);
  }
});

test('content when opted in, scrubbed; a user price wins over the built-in one, also for dated snapshots', async () => {
  const { genai, spans } = await withContent;
  const chat = genai[0].attributes;
  const input = JSON.parse(chat['gen_ai.input.messages']);
  assert.equal(input[0].role, 'system');
  assert.deepEqual(input[0].parts, [{ type: 'text', content: 'You are terse.' }]);
  assert.equal(input[1].role, 'user');
  assert.match(input[1].parts[0].content, /^\[Scrubbed due to 'api_key'\]$/, 'the prompt with an API key is scrubbed');
  assert.ok(!spans.some((s) => dump(s).includes('sk-proj-abc123def456ghi789')), 'the key is nowhere');
  assert.ok(chat['logfire.scrubbed'].includes('gen_ai.input.messages'));
  assert.deepEqual(JSON.parse(chat['gen_ai.output.messages']), [
    {
      role: 'assistant',
      parts: [{ type: 'text', content: 'Bud observes your Node.js services with zero code.' }],
      finish_reason: 'stop',
    },
  ]);
  close(chat['gen_ai.usage.cost'], cost([1, 2], 19, 11));
  assert.deepEqual(JSON.parse(genai[1].attributes['gen_ai.output.messages'])[0].parts, [
    { type: 'text', content: 'Streaming from Bud.' },
  ]);
  const resp = genai[3].attributes;
  assert.deepEqual(JSON.parse(resp['gen_ai.system_instructions']), [
    { type: 'text', content: 'Answer in one sentence.' },
  ]);
  assert.deepEqual(JSON.parse(resp['gen_ai.output.messages'])[0].parts, [
    { type: 'text', content: 'Traces, metrics and logs, with no code changes.' },
  ]);
  close(
    resp['gen_ai.usage.cost'],
    cost(PRICE['gpt-4.1'], 36, 12),
    'models the user did not price keep the table price',
  );
  const claude = genai[6].attributes;
  assert.deepEqual(JSON.parse(claude['gen_ai.system_instructions']), [{ type: 'text', content: 'Be brief.' }]);
  assert.deepEqual(JSON.parse(claude['gen_ai.input.messages']), [
    { role: 'user', parts: [{ type: 'text', content: 'Hello, Claude' }] },
  ]);
  assert.deepEqual(JSON.parse(genai[7].attributes['gen_ai.output.messages'])[0].parts, [
    { type: 'text', content: 'Streaming from Claude.' },
  ]);
});

test('metrics gen_ai.client.token.usage (input/output) and gen_ai.client.operation.duration (s)', async () => {
  const { metrics } = await plain;
  const usage = metrics.filter((m) => m.name === 'gen_ai.client.token.usage' && m.scope === OPENAI);
  const duration = metrics.filter((m) => m.name === 'gen_ai.client.operation.duration' && m.scope === ANTHROPIC);
  assert.equal(usage.length, 1);
  assert.equal(usage[0].unit, '{token}');
  const points = usage[0].histogram.dataPoints;
  const a = attrs(points);
  const mini = (type) =>
    points[a.findIndex((x) => x['gen_ai.request.model'] === 'gpt-4o-mini' && x['gen_ai.token.type'] === type)];
  // gpt-4o-mini calls that reported usage: chat (19/11), stream (12/4), the route (19/11).
  assert.equal(Number(mini('input').count), 3);
  assert.equal(mini('input').sum, 19 + 12 + 19);
  assert.equal(mini('output').sum, 11 + 4 + 11);
  assert.ok(
    a.some((x) => x['gen_ai.system'] === 'litellm'),
    'LiteLLM tokens are counted as litellm',
  );
  assert.equal(duration.length, 1);
  assert.equal(duration[0].unit, 's');
  const d = attrs(duration[0].histogram.dataPoints);
  const failed = duration[0].histogram.dataPoints[d.findIndex((x) => x['error.type'] === '500')];
  assert.equal(Number(failed.count), 1);
  const ok =
    duration[0].histogram.dataPoints[d.findIndex((x) => x['gen_ai.response.model'] === 'claude-haiku-4-5-20251001')];
  assert.equal(Number(ok.count), 3);
  assert.ok(ok.sum > 0 && ok.sum < 30);
});

test('price lookup: exact, then longest prefix at a separator, never across a version bump; user entries win', async () => {
  const { PriceTable, builtInPrices } = await import('../src/libraries/genai/prices.ts');
  const t = new PriceTable({ 'gpt-4o': { input: 9, output: 9 }, 'my-model': { input: 1, output: 1 } });
  assert.deepEqual(t.lookup('gpt-4o'), { input: 9, output: 9 }, 'user wins');
  assert.deepEqual(t.lookup('gpt-4o-2024-08-06'), { input: 9, output: 9 }, 'dated snapshot by prefix');
  assert.deepEqual(t.lookup('gpt-4o-mini-2024-07-18'), builtInPrices['gpt-4o-mini'], 'longest prefix');
  assert.deepEqual(t.lookup('gpt-4-0613'), builtInPrices['gpt-4']);
  assert.equal(t.lookup('gpt-4.5-preview'), undefined, 'another model, not gpt-4');
  assert.equal(t.lookup('claude-opus-4-6'), undefined, 'a version bump is another model');
  assert.deepEqual(t.lookup('claude-opus-4-20250514'), builtInPrices['claude-opus-4']);
  assert.deepEqual(t.lookup('openai/gpt-4.1-mini'), builtInPrices['gpt-4.1-mini'], 'LiteLLM-style provider/model');
  assert.equal(t.lookup('constructor'), undefined);
  close(t.cost('my-model', 1000, 500), 0.0015);
  assert.equal(t.cost('unknown', 10, 10), undefined);
});

test('LiteLLM is recognised by a base URL naming it', async () => {
  const { isLiteLLMUrl } = await import('../src/libraries/genai/span.ts');
  assert.equal(isLiteLLMUrl('http://litellm-proxy:4000/v1'), true);
  assert.equal(isLiteLLMUrl('https://LiteLLM.internal.example/v1'), true);
  assert.equal(isLiteLLMUrl('https://api.openai.com/v1'), false);
  assert.equal(isLiteLLMUrl(undefined), false);
});
