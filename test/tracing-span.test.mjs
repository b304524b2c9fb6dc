// The agent's own tracer and span (src/tracing/) against @opentelemetry/sdk-trace's, which
// they replace: the same scenarios (fixtures/tracing-span/cases.mjs) through both in one
// process, comparing what processors saw, what the ended spans read as ReadableSpans, what
// the API calls returned and the diag messages (ids by order of appearance, given times
// exactly, clock times by where they must fall). Under the agent as an app runs it (its
// tracer from the global API, a processor from the config file), and with span limits other
// than the defaults, which no agent setting changes (the provider from the sources, as
// src/boot/sdk.ts builds it with the defaults).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runApp, fixtures } from './helpers/run.mjs';
import { cases } from '../fixtures/tracing-span/cases.mjs';

const dir = `${fixtures}tracing-span/`;

function outcomes(stdout) {
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

const byName = (list, name) => list.find((o) => o.name.endsWith(name));

test('the agent makes the spans the SDK makes, scenario by scenario', async () => {
  const r = await runApp({
    script: `${dir}app.mjs`,
    cwd: dir,
    env: { BUD_OBSERVE_CONSOLE: 'false', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
  });
  assert.equal(r.code, 0, r.stderr);
  const list = outcomes(r.stdout);
  assert.equal(list.length, cases.length);
  for (const o of list) {
    assert.equal(o.diff, '', `${o.name}:\n${o.diff}`);
    assert.equal(o.agent.threw, undefined, o.name);
    if (o.agent.spans.length === 0) continue;
    assert.equal(o.spanClass, 'LeanSpan', `${o.name}: made by the agent's tracer`);
    assert.equal(o.referenceClass, 'SpanImpl', `${o.name}: compared with the SDK's span`);
  }
  // What the comparison rests on, stated outright.
  const clock = byName(list, 'clock times: not given, performance.now() numbers, invalid ones').agent.results;
  assert.deepEqual(Object.values(clock).flat(), [...Array(11).fill(true), '0,0', ...Array(5).fill(true)]);
  const limit = byName(list, 'attribute count limit (128) at start and after').agent.spans[0];
  assert.equal(Object.keys(limit.attributes).length, 128);
  assert.equal(limit.droppedAttributesCount, 8, '1 invalid and 2 over the limit at start, 5 set over it');
  const none = byName(list, 'non-recording spans: not sampled parent, suppressed tracing').agent;
  assert.deepEqual(none.results.classes, ['NonRecordingSpan', 'NonRecordingSpan', 'NonRecordingSpan']);
  assert.deepEqual(none.spans, [], 'no processor saw them');
  const late = byName(list, 'ending twice, changes after the end').agent.diag;
  assert.equal(late.filter(([level]) => level === 'warn').length, 9, 'each late change warns, as on the SDK');
  assert.match(late.find(([level]) => level === 'error')[1], /You can only call end\(\) on a span once/);
  const events = byName(list, 'events: names, attributes, times given or not, invalid values, the limit').agent;
  assert.equal(events.spans[0].events.length, 128);
  assert.equal(events.spans[0].droppedEventsCount, 5);
});

test('with other span limits and a sampler that adds attributes, the same as the SDK', async () => {
  const r = await runApp({ script: `${dir}limits.mts`, cwd: dir, preload: [] });
  assert.equal(r.code, 0, r.stderr);
  const list = outcomes(r.stdout);
  assert.equal(list.length, cases.length * 3);
  for (const o of list) {
    assert.equal(o.diff, '', `${o.name}:\n${o.diff}`);
    assert.equal(o.agent.threw, undefined, o.name);
  }
  const cut = byName(list, 'small: attributes at start: valid kept (copied), invalid dropped and counted').agent;
  assert.deepEqual(cut.spans[0].attributes, { str: 'tex', num: 42, float: 1.5, nan: null, bool: false });
  const sampled = byName(list, 'sampler: attribute count limit (128) at start and after').agent.spans[0];
  assert.equal(sampled.attributes.k1, 'from the sampler');
  const zero = byName(list, 'zero: events: names, attributes, times given or not, invalid values, the limit').agent;
  assert.equal(zero.spans[0].events.length, 0);
  assert.equal(zero.spans[0].droppedEventsCount, 133);
});
