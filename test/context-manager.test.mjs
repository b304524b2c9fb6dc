// src/tracing/context-manager.ts: the agent's context manager does what OpenTelemetry's
// AsyncLocalStorageContextManager does for every call a library makes through the API (bound
// functions of each arity: length, receiver, arguments, context, errors; with() with and
// without a receiver; emitters, every way a listener is added and removed, streams), with
// and without auto-trace, whose manager extends it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtures, hasSyncLoadHooks, nodeVersion, runApp } from './helpers/run.mjs';

const quiet = { BUD_OBSERVE_CONSOLE: 'false' };

// Auto-trace needs synchronous load hooks; without them the agent warns and leaves it off.
const noAutoTrace = hasSyncLoadHooks ? false : `Node ${nodeVersion} runs no auto-trace (synchronous load hooks)`;

for (const [label, env, manager, skip] of [
  ['', quiet, 'BudContextManager', false],
  [
    ' (auto-trace on)',
    { ...quiet, BUD_OBSERVE_AUTOTRACE_MODULES: 'nothing-matches.mjs' },
    'FrameAwareContextManager',
    noAutoTrace,
  ],
]) {
  test(`the global context manager behaves as OpenTelemetry's${label}`, { skip }, async () => {
    const r = await runApp({ script: `${fixtures}context-manager/app.mjs`, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const out = JSON.parse(r.stdout.trim().split('\n').pop());
    assert.equal(out.manager, manager);
    assert.deepEqual(out.agent, out.otel);
    // What both must see, so that the comparison cannot pass on two wrong answers.
    assert.deepEqual(out.otel.lengths, [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(out.otel.calls[6], ['self6', [0, 1, 2, 3, 4, 5, 6], 'bound']);
    assert.deepEqual(out.otel.inside, ['bound', 'other']);
    assert.deepEqual(out.otel.emitter, { heard: ['bound'], left: 0 });
    const { emitters } = out.otel;
    assert.deepEqual(
      emitters.heard.filter(([, , args]) => args[0] === 1).map(([name, ctx]) => `${name}:${ctx}`),
      [
        'prependOnce:bound',
        'prepend:bound',
        'before:other',
        'on:bound',
        'addListener:bound',
        'once:bound',
        'off:bound',
      ],
    );
    assert.deepEqual(emitters.counts, [4, 2, 0, 1]);
    assert.deepEqual(emitters.chunks, [
      ['a', 'bound'],
      ['b', 'bound'],
    ]);
    // The one deliberate difference (src/tracing/emitter-binding.ts): OpenTelemetry leaves one.
    assert.deepEqual(out.twice, { agent: 0, otel: 1 });
  });
}
