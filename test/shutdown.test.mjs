// No finished span is lost however the app ends, and the app ends as it would have
// without the agent: same exit code or signal, its own handlers honoured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, waitForOutput } from './helpers/run.mjs';

const SPANS = 300;
const app = `${fixtures}exit/app.mjs`;

async function exitCase(mode, { signal } = {}) {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: app,
      args: [mode],
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, SPANS: String(SPANS), BUD_OBSERVE_SERVICE_NAME: 'exit-test' },
      onSpawn:
        signal === undefined
          ? undefined
          : (child, out) => {
              waitForOutput(out, 'ready').then(
                () => child.kill(signal),
                () => child.kill('SIGKILL'),
              );
            },
    });
    const work = receiver.spans.filter((s) => s.name.startsWith('work '));
    const names = new Set(work.map((s) => s.name));
    return { r, work, names, receiver };
  } finally {
    await receiver.close();
  }
}

test('natural exit delivers every span', async () => {
  const { r, names } = await exitCase('natural');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'done\n');
  assert.equal(names.size, SPANS, `delivered ${names.size} of ${SPANS}`);
});

test('process.exit(3) right after the last span delivers every span and keeps code 3', async () => {
  const { r, names } = await exitCase('exit');
  assert.equal(r.code, 3, r.stderr);
  assert.equal(names.size, SPANS, `delivered ${names.size} of ${SPANS}`);
});

test('uncaught exception: spans delivered, the crash recorded, the crash still happens', async () => {
  const { r, names, receiver } = await exitCase('throw');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Error: boom/, 'Node still prints the crash');
  assert.equal(names.size, SPANS, `delivered ${names.size} of ${SPANS}`);
  const crash = receiver.spans.find((s) => s.name === 'Uncaught exception');
  assert.ok(crash, 'the crash is a span');
  assert.equal(crash.status.code, 2);
  assert.equal(crash.events[0]?.name, 'exception');
  assert.equal(crash.events[0]?.attributes['exception.message'], 'boom');
});

test('unhandled rejection: spans delivered and the rejection recorded', async () => {
  const { r, names, receiver } = await exitCase('reject');
  assert.equal(r.code, 1);
  assert.equal(names.size, SPANS);
  assert.ok(receiver.spans.some((s) => s.name === 'Unhandled rejection'));
});

for (const [signal, status] of [
  ['SIGTERM', 143],
  ['SIGINT', 130],
]) {
  test(`${signal} with no handler of the app's: spans delivered, process dies of ${signal}`, async () => {
    const { r, names } = await exitCase(signal.toLowerCase(), { signal });
    assert.equal(r.code, null, `exit code ${r.code}, stderr: ${r.stderr}`);
    assert.equal(r.signal, signal, `ended by ${signal} (shell status ${status})`);
    assert.equal(names.size, SPANS, `delivered ${names.size} of ${SPANS}`);
  });
}

test("SIGTERM with the app's own handler: the handler decides, spans still delivered", async () => {
  const { r, names } = await exitCase('sigterm-handled', { signal: 'SIGTERM' });
  assert.equal(r.code, 7);
  assert.match(r.stdout, /app handler ran/);
  assert.equal(names.size, SPANS, `delivered ${names.size} of ${SPANS}`);
});
