// bud.request.id from the incoming request header, and enduser.id from a config hook, on
// the server span and on every span started under it (API logs, outgoing calls).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures } from './helpers/run.mjs';
import { makeProject } from './helpers/project.mjs';

test('bud.request.id and enduser.id on the request and every span below it', async (t) => {
  const p = makeProject({ 'budobserve.config.mjs': "export default { enduserId: (req) => req.headers['x-user'] };\n" });
  t.after(p.cleanup);
  copyFileSync(`${fixtures}request-id/app.mjs`, `${p.dir}/app.mjs`);
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const r = await runApp({ script: `${p.dir}/app.mjs`, cwd: p.dir, env: { BUD_OBSERVE_ENDPOINT: receiver.url } });
  assert.equal(r.code, 0, r.stderr);
  const spans = receiver.spans;
  const outer = spans.find((s) => s.kind === 2 && s.attributes['url.path'] === '/outer');
  assert.equal(outer.attributes['bud.request.id'], 'req-123');
  assert.equal(outer.attributes['enduser.id'], 'ada');
  const log = spans.find((s) => s.name === 'handling {path}');
  const fetchSpan = spans.find((s) => s.scope === '@opentelemetry/instrumentation-undici');
  for (const s of [log, fetchSpan]) {
    assert.equal(s.attributes['bud.request.id'], 'req-123', `${s.name} carries the request id`);
    assert.equal(s.attributes['enduser.id'], 'ada');
  }
  const client = spans.find((s) => s.kind === 3 && s.scope === '@opentelemetry/instrumentation-http');
  assert.equal(client.attributes['bud.request.id'], undefined, 'the calling client span is not below the request');
});

test('BUD_OBSERVE_REQUEST_ID_HEADER names another header', async (t) => {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const r = await runApp({
    script: `${fixtures}request-id/app.mjs`,
    env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_REQUEST_ID_HEADER: 'X-User' },
  });
  assert.equal(r.code, 0, r.stderr);
  const outer = receiver.spans.find((s) => s.kind === 2 && s.attributes['url.path'] === '/outer');
  assert.equal(outer.attributes['bud.request.id'], 'ada');
});
