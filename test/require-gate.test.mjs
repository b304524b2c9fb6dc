// src/hooks/require-gate.ts: the instrumentation machinery is loaded when the first
// instrumented library is, not at start; the require() in flight when it arrives still
// returns the patched library.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtures, runApp } from './helpers/run.mjs';

const last = (stdout) => JSON.parse(stdout.trim().split('\n').pop());
const quiet = { BUD_OBSERVE_CONSOLE: 'false' };

test('a script that loads no instrumented library never loads the instrumentation machinery', async () => {
  const r = await runApp({ script: `${fixtures}require-gate/trivial.cjs`, env: quiet });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.deepEqual(last(r.stdout), { machinery: false });
});

test('regression: the first instrumented library, required from inside another require(), is the patched one', async () => {
  const r = await runApp({ script: `${fixtures}require-gate/nested.cjs`, env: quiet });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.deepEqual(last(r.stdout), { patched: true, same: true, machinery: true });
  // Without the agent the same check reads false: it sees the patch, not the library.
  const plain = await runApp({ script: `${fixtures}require-gate/nested.cjs`, preload: [] });
  assert.deepEqual(last(plain.stdout), { patched: false, same: true, machinery: false });
});
