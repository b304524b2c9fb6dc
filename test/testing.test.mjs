// @budobserve/agent/testing: the capture gives the same stable JSON and tree whether the
// agent runs (preloaded) or not, so users can snapshot their spans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runApp, fixtures } from './helpers/run.mjs';

const expectedJSON = [
  {
    name: 'paid {amount}',
    context: { trace_id: 1, span_id: 2 },
    parent: { span_id: 1 },
    start_time: 2e9,
    end_time: 3e9,
    attributes: { amount: 5, 'logfire.level_num': 9, 'logfire.msg': 'paid 5', 'logfire.span_type': 'log' },
  },
  {
    name: 'Ship',
    context: { trace_id: 1, span_id: 3 },
    parent: { span_id: 1 },
    start_time: 4e9,
    end_time: 5e9,
    attributes: { 'logfire.msg': 'Ship', 'logfire.span_type': 'span' },
  },
  {
    name: 'Checkout {id}',
    context: { trace_id: 1, span_id: 1 },
    parent: null,
    start_time: 1e9,
    end_time: 6e9,
    attributes: { id: 1, 'logfire.msg': 'Checkout 1', 'logfire.span_type': 'span' },
  },
];

const expectedTree = [
  {
    name: 'Checkout {id}',
    attributes: { id: 1, 'logfire.msg': 'Checkout 1', 'logfire.span_type': 'span' },
    children: [
      {
        name: 'paid {amount}',
        attributes: { amount: 5, 'logfire.level_num': 9, 'logfire.msg': 'paid 5', 'logfire.span_type': 'log' },
        children: [],
      },
      { name: 'Ship', attributes: { 'logfire.msg': 'Ship', 'logfire.span_type': 'span' }, children: [] },
    ],
  },
];

for (const [mode, preload] of [
  ['without the agent', []],
  ['with the agent preloaded', undefined],
]) {
  test(`withCapture ${mode}: stable JSON and tree`, async () => {
    const r = await runApp({
      script: `${fixtures}testing/capture.mjs`,
      ...(preload === undefined ? {} : { preload }),
      env: { BUD_OBSERVE_CONSOLE: 'false' },
    });
    assert.equal(r.code, 0, r.stderr);
    const { json, tree } = JSON.parse(r.stdout);
    assert.deepEqual(json, expectedJSON);
    assert.deepEqual(tree, expectedTree);
  });
}
