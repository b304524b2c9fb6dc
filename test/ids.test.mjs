// src/tracing/ids.ts with src/primordials.ts: span and trace ids come from crypto-random bytes
// taken at the first fill (node:crypto is not loaded at start). A test double an app put in
// place of crypto.randomFillSync before its first span, one that fills nothing or throws,
// must neither hang the app (a pool of zeros holds no valid id) nor reach it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtures, runApp } from './helpers/run.mjs';

for (const mode of ['noop', 'throw']) {
  test(`regression: crypto.randomFillSync replaced (${mode}) before the first span: distinct valid ids, the app runs`, async () => {
    const r = await runApp({
      script: `${fixtures}ids/stubbed-random.mjs`,
      env: { MODE: mode, BUD_OBSERVE_CONSOLE: 'false' },
      timeoutMs: 20_000,
    });
    assert.equal(r.signal, null, 'not killed: the id pool did not spin');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), { spanIds: 200, traceIds: 200, valid: true });
  });
}
