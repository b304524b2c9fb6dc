// src/errors.ts: what every copy of the module in a thread shares. The start bundle and each
// lazily loaded chunk that warns (tail sampling, the auto-trace runtime) bundle their own copy;
// two imports of the source under different URLs are two such copies here.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const copy = (n) => import(new URL(`../src/errors.ts?copy=${n}`, import.meta.url).href);

test('regression: a warning meant once is printed once whichever copy of the catalog emits it', async (t) => {
  const [a, b] = await Promise.all([copy('once-a'), copy('once-b')]);
  assert.notEqual(a.warn, b.warn, 'two module instances');
  const seen = [];
  const listener = (w) => seen.push(w.message);
  process.on('warning', listener);
  t.after(() => process.off('warning', listener));
  // Node also prints each warning: keep the test's output to what it asserts.
  t.mock.method(process.stderr, 'write', () => true);
  a.warn('BUDOBSERVE_INTERNAL', 'otel', ['one failure'], { once: 'shared-key' });
  b.warn('BUDOBSERVE_INTERNAL', 'otel', ['one failure'], { once: 'shared-key' });
  b.warn('BUDOBSERVE_INTERNAL', 'otel', ['another'], { once: 'other-key' });
  await new Promise((r) => setImmediate(r));
  assert.equal(seen.length, 2, seen.join('\n'));
});

test('regression: once one copy marks the exit, every copy writes its warnings at once', async (t) => {
  const [a, b] = await Promise.all([copy('exit-a'), copy('exit-b')]);
  const written = [];
  t.mock.method(process.stderr, 'write', (s) => written.push(String(s)) > 0);
  const emitted = t.mock.method(process, 'emitWarning', () => {});
  a.markExiting();
  b.warn('BUDOBSERVE_INTERNAL', 'otel', ['at exit'], {});
  assert.equal(emitted.mock.callCount(), 0, 'no warning queued for a tick that never comes');
  assert.equal(written.filter((l) => l.includes('[BUDOBSERVE_INTERNAL]') && l.includes('at exit')).length, 1);
});
