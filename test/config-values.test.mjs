// Configuration values that are partly wrong: header names and values (the token included)
// checked when configuration is read, lists with unknown names, and warnings that say what
// is used instead and which variable or key set the value. Read through `budobserve doctor
// --json` (the agent's own resolution), and through real agent runs where the effect counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeProject } from './helpers/project.mjs';
import { doctor } from './helpers/doctor.mjs';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures } from './helpers/run.mjs';

function withProject(files, fn, opts) {
  const p = makeProject(files, opts);
  const done = () => p.cleanup();
  try {
    const r = fn(p.dir);
    if (r instanceof Promise) return r.finally(done);
    done();
    return r;
  } catch (error) {
    done();
    throw error;
  }
}

const invalid = (r) => r.problems.filter((p) => p.code === 'BUDOBSERVE_CONFIG_INVALID').map((p) => p.message);
const app = `${fixtures}http/app.mjs`;
const warnings = (stderr) => stderr.split('\n').filter((l) => l.includes('[BUDOBSERVE_'));

// ---- 14.4: header names and values, the token included, checked up front ----

const INJECT = 'X-Injected: 1';

test('regression 14.4: a CR/LF in a header value or the token is rejected when configuration is read; the variable is named, never the value', () => {
  withProject({}, (dir) => {
    const r = doctor(dir, {
      BUD_OBSERVE_HEADERS: `x-h=bad\r\n${INJECT},x-ok=fine`,
      // OTel header lists are percent-decoded: %0d%0a is a CR/LF too.
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: `x-t=bad%0d%0a${encodeURIComponent(INJECT)},x-t2=fine`,
      BUD_OBSERVE_TOKEN: `tok-secret\r\n${INJECT}`,
    });
    const msgs = invalid(r);
    assert.ok(
      msgs.some((m) => m.startsWith('BUD_OBSERVE_HEADERS: ') && m.includes("'x-h'")),
      msgs.join('\n'),
    );
    assert.ok(
      msgs.some((m) => m.startsWith('OTEL_EXPORTER_OTLP_TRACES_HEADERS: ') && m.includes("'x-t'")),
      msgs.join('\n'),
    );
    assert.ok(
      msgs.some((m) => m.startsWith('BUD_OBSERVE_TOKEN = [hidden] is invalid')),
      msgs.join('\n'),
    );
    const all = JSON.stringify(r);
    for (const secret of ['bad', 'Injected', 'tok-secret'])
      assert.ok(!all.includes(secret), `${secret} is never printed`);
    assert.deepEqual(r.value('export.headers'), { 'x-ok': '[hidden]' }, 'the other headers stand');
    assert.deepEqual(r.value('export.traces.headers'), { 'x-t2': '[hidden]' });
    assert.equal(r.value('export.token'), undefined, 'no valid token anywhere: none is sent');
  });
});

test('regression 14.4: an invalid header name is dropped without printing it (it may hold a secret)', () =>
  withProject({}, (dir) => {
    const r = doctor(dir, { BUD_OBSERVE_HEADERS: 'Authorization: Bearer sk-hidden=1,x-ok=2' });
    const msgs = invalid(r);
    assert.ok(
      msgs.some((m) => m.startsWith('BUD_OBSERVE_HEADERS: ') && /not a valid HTTP header name/.test(m)),
      msgs.join('\n'),
    );
    assert.ok(!JSON.stringify(r).includes('sk-hidden'));
    assert.deepEqual(r.value('export.headers'), { 'x-ok': '[hidden]' });
  }));

test("regression 14.4: a config file's export.headers and export.token are checked the same way, naming the key", () =>
  withProject(
    {
      'budobserve.config.json': JSON.stringify({
        export: { headers: { 'x-f': 'a\nb', 'bad name': 'v', 'x-ok': 'y' }, token: 'tok\rsecret-xyz' },
      }),
    },
    (dir) => {
      const r = doctor(dir);
      const msgs = invalid(r);
      assert.ok(
        msgs.some((m) => m.startsWith('budobserve.config.json (export.headers): ') && m.includes("'x-f'")),
        msgs.join('\n'),
      );
      assert.ok(
        msgs.some(
          (m) => m.startsWith('budobserve.config.json (export.headers): ') && /not a valid HTTP header name/.test(m),
        ),
        msgs.join('\n'),
      );
      assert.ok(
        msgs.some((m) => m.startsWith('budobserve.config.json (export.token) = [hidden] is invalid')),
        msgs.join('\n'),
      );
      assert.ok(!JSON.stringify(r).includes('secret-xyz'));
      assert.deepEqual(r.value('export.headers'), { 'x-ok': '[hidden]' });
    },
  ));

test('regression 14.4: a header list whose every entry is dropped falls back to the next lower source', () =>
  withProject({}, (dir) => {
    const r = doctor(dir, { BUD_OBSERVE_HEADERS: 'x-a=1%0a2', OTEL_EXPORTER_OTLP_HEADERS: 'x-otel=ok' });
    assert.deepEqual(r.value('export.headers'), { 'x-otel': '[hidden]' });
    assert.equal(r.source('export.headers'), 'OTEL_EXPORTER_OTLP_HEADERS');
    assert.ok(
      invalid(r).some(
        (m) => m.startsWith('BUD_OBSERVE_HEADERS: ') && m.includes('using the value of OTEL_EXPORTER_OTLP_HEADERS'),
      ),
      invalid(r).join('\n'),
    );
  }));

test('regression 14.4: with a CR/LF header the spans are still delivered, with the other headers and without that one', async () => {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: app,
      env: {
        BUD_OBSERVE_ENDPOINT: receiver.url,
        BUD_OBSERVE_HEADERS: `x-h=bad\r\n${INJECT},x-ok=fine`,
        BUD_OBSERVE_TOKEN: 'tok-good',
      },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '200 hello /greet?name=bud\n');
    const w = warnings(r.stderr);
    assert.equal(w.length, 1, r.stderr);
    assert.match(w[0], /\[BUDOBSERVE_CONFIG_INVALID\] .*BUD_OBSERVE_HEADERS: .*'x-h'/);
    assert.ok(!r.stderr.includes('Injected') && !r.stderr.includes('bad'), r.stderr);
    await receiver.waitFor((s) => s.length >= 2);
    const req = receiver.received.requests.find((q) => q.path === '/v1/traces');
    assert.equal(req.headers['x-ok'], 'fine');
    assert.equal(req.headers['x-h'], undefined);
    assert.equal(req.headers['x-injected'], undefined);
    assert.equal(req.headers.authorization, 'Bearer tok-good');
  } finally {
    await receiver.close();
  }
});

test('header name and value checks follow node:http exactly (without loading it at start-up)', async () => {
  const http = await import('node:http');
  const { headerName, headerValue } = await import('../src/config/parse.ts');
  const nodeAccepts = (fn, ...args) => {
    try {
      fn(...args);
      return true;
    } catch {
      return false;
    }
  };
  const samples = [];
  for (let c = 0; c < 0x300; c++) samples.push(String.fromCharCode(c));
  samples.push('\u2028', '\u20ac', '\ud83d\ude00', '\ud800', '\ufeff', '\uffff');
  for (const ch of samples) {
    const name = `x${ch}y`;
    assert.equal(
      headerName(name),
      nodeAccepts(http.validateHeaderName, name),
      `name with U+${ch.charCodeAt(0).toString(16)}`,
    );
    const value = `a${ch}b`;
    assert.equal(
      headerValue(value),
      nodeAccepts(http.validateHeaderValue, 'x', value),
      `value with U+${ch.charCodeAt(0).toString(16)}`,
    );
  }
  assert.equal(headerName(''), nodeAccepts(http.validateHeaderName, ''));
});

// ---- 14.5: lists with unknown names ----

test('regression 14.5: an unknown instrumentation name leaves the rest of the list standing', () =>
  withProject({}, (dir) => {
    const r = doctor(dir, { BUD_OBSERVE_INSTRUMENTATIONS: 'http,-1,expresss' });
    assert.deepEqual(
      r.instrumentations.map((i) => i.name),
      ['http'],
    );
    const msgs = invalid(r);
    assert.equal(msgs.length, 1, msgs.join('\n'));
    assert.match(
      msgs[0],
      /^BUD_OBSERVE_INSTRUMENTATIONS: unknown instrumentations '-1'.*, 'expresss' \(did you mean 'express'\?\); ignored, the rest of the list is used$/,
    );
  }));

test('regression 14.5: an instrumentation list left empty by unknown names falls back to the next lower source', () =>
  withProject({}, (dir) => {
    const names = (env) => doctor(dir, env).instrumentations.map((i) => i.name);
    const def = names({});
    let r = doctor(dir, { BUD_OBSERVE_INSTRUMENTATIONS: '-1' });
    assert.deepEqual(
      r.instrumentations.map((i) => i.name),
      def,
      'the default list, not nothing',
    );
    assert.ok(
      invalid(r).some(
        (m) =>
          m.startsWith("BUD_OBSERVE_INSTRUMENTATIONS: unknown instrumentation '-1'") &&
          m.includes('; ignored, no name is left; using the default (all but fs'),
      ),
      invalid(r).join('\n'),
    );
    r = doctor(dir, { BUD_OBSERVE_INSTRUMENTATIONS: '-1', OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg,http' });
    assert.deepEqual(
      r.instrumentations.map((i) => i.name),
      ['http', 'pg'],
    );
    assert.equal(r.source('instrumentations.enabled'), 'OTEL_NODE_ENABLED_INSTRUMENTATIONS');
    assert.ok(
      !names({ BUD_OBSERVE_DISABLED_INSTRUMENTATIONS: 'nope', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http' }).includes(
        'http',
      ),
      'the disabled list falls back too',
    );
  }));

test("regression 14.5: BUD_OBSERVE_INSTRUMENTATIONS=-1 still exports the app's spans", async () => {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: app,
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_INSTRUMENTATIONS: '-1' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(warnings(r.stderr).length, 1, r.stderr);
    const spans = await receiver.waitFor((s) => s.length >= 2);
    assert.ok(spans.every((s) => s.scope === '@opentelemetry/instrumentation-http'));
  } finally {
    await receiver.close();
  }
});

test('regression 14.5: unknown propagators and exporters are dropped from their lists; a list left empty falls back', () =>
  withProject({}, (dir) => {
    let r = doctor(dir, { BUD_OBSERVE_PROPAGATORS: 'xray,b3' });
    assert.deepEqual(r.value('propagators'), ['b3']);
    r = doctor(dir, { BUD_OBSERVE_PROPAGATORS: 'xray', OTEL_PROPAGATORS: 'b3multi' });
    assert.deepEqual(r.value('propagators'), ['b3multi']);
    assert.equal(r.source('propagators'), 'OTEL_PROPAGATORS');
    r = doctor(dir, { OTEL_TRACES_EXPORTER: 'otlp,zipkin' });
    assert.deepEqual(r.value('export.traces.exporter'), ['otlp']);
    assert.ok(
      invalid(r).some((m) => m.startsWith("OTEL_TRACES_EXPORTER: unknown exporter 'zipkin'")),
      invalid(r).join('\n'),
    );
  }));

test('an explicitly empty instrumentation list in a file still means none', () =>
  withProject({ 'budobserve.config.json': '{"instrumentations":{"enabled":[]}}' }, (dir) => {
    const r = doctor(dir);
    assert.deepEqual(r.instrumentations, []);
    assert.deepEqual(invalid(r), []);
  }));

// ---- 15.3: messages that keep the cause ----

test('regression 15.3: an invalid value says what is used instead, never "no value"', () =>
  withProject({}, (dir) => {
    const r = doctor(dir, {
      BUD_OBSERVE_CONSOLE: 'maybe',
      BUD_OBSERVE_ENDPOINT: 'not a url',
      BUD_OBSERVE_SERVICE_NAME: '  ',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'pigeon',
    });
    const msgs = invalid(r);
    assert.ok(
      msgs.every((m) => !m.includes('no value')),
      msgs.join('\n'),
    );
    assert.ok(
      msgs.includes(
        'BUD_OBSERVE_CONSOLE = "maybe" is invalid: expected true or false; using true from default (no endpoint is set)',
      ),
      msgs.join('\n'),
    );
    assert.ok(
      msgs.some(
        (m) =>
          m.startsWith('BUD_OBSERVE_ENDPOINT = "not a url" is invalid') &&
          m.endsWith('; export.endpoint is left unset'),
      ),
      msgs.join('\n'),
    );
    assert.ok(
      msgs.some(
        (m) =>
          m.startsWith('BUD_OBSERVE_SERVICE_NAME = "  " is invalid') &&
          m.endsWith('; using "demo-app" from package.json name'),
      ),
      msgs.join('\n'),
    );
    assert.ok(
      msgs.some(
        (m) =>
          m.startsWith('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL = "pigeon" is invalid') &&
          m.endsWith('; using the default (export.protocol)'),
      ),
      msgs.join('\n'),
    );
  }));

test('regression 15.3: an unsupported propagator is reported with the variable that set it', async () => {
  const r = await runApp({ script: app, env: { BUD_OBSERVE_PROPAGATORS: 'xray,tracecontext' } });
  assert.equal(r.code, 0, r.stderr);
  const w = warnings(r.stderr);
  assert.equal(w.length, 1, r.stderr);
  assert.match(
    w[0],
    /\[BUDOBSERVE_CONFIG_INVALID\] BudObserveWarning: budobserve: BUD_OBSERVE_PROPAGATORS: unknown propagator 'xray' \(supported: tracecontext, baggage, b3, b3multi, none\); ignored, the rest of the list is used$/,
  );
  withProject({}, (dir) => {
    const d = doctor(dir, { OTEL_PROPAGATORS: 'jaeger' });
    assert.ok(
      invalid(d).some(
        (m) =>
          m.startsWith("OTEL_PROPAGATORS: unknown propagator 'jaeger'") &&
          m.endsWith('using ["tracecontext", "baggage"] from default'),
      ),
      invalid(d).join('\n'),
    );
  });
});
