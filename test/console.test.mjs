// The console view, the default when no endpoint is configured: spans as an indented tree
// on stderr, one block per request, stdout left to the app; colours only where wanted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, hasSyncLoadHooks, nodeVersion } from './helpers/run.mjs';
import { requireService } from './helpers/services.mjs';

const app = `${fixtures}http/app.mjs`;
const golden = `${fixtures}console/http.golden.txt`;
const ANSI = /\x1b\[[0-9;]*m/;
const HINT = /BUD_OBSERVE_ENDPOINT/;

/** Timestamps, durations (before a failed span's message, or last) and ports change from run to run; the rest must not. */
const normalise = (text) =>
  text
    .replace(/^\d\d:\d\d:\d\d\.\d{3} /gm, 'HH:MM:SS.mmm ')
    .replace(/ (?:\d+(\.\d)?ms|\d+µs|\d+\.\d\ds)(?= |$)/gm, ' <dur>')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>');

const normaliseColour = (t) =>
  t
    .replace(/\d\d:\d\d:\d\d\.\d{3}/g, 'HH:MM:SS.mmm')
    .replace(/\d+(?:\.\d+)?(?:ms|µs|s)(?=\x1b|$)/gm, '<dur>')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>');

const spanLines = (stderr) => stderr.split('\n').filter((l) => /^\d\d:\d\d:\d\d\.\d{3} /.test(l));
const depth = (line) => line.slice(13).match(/^ */)[0].length / 2;

const plain = await runApp({ script: app, preload: [] });

test('no endpoint: stdout untouched, a hint once, then the span tree (golden file)', async () => {
  const r = await runApp({ script: app });
  assert.equal(r.code, plain.code, r.stderr);
  assert.equal(r.stdout, plain.stdout);
  assert.equal(r.stderr.split('\n').filter((l) => HINT.test(l)).length, 1, r.stderr);
  assert.equal(normalise(r.stderr), readFileSync(golden, 'utf8'), `raw stderr:\n${r.stderr}`);
  const lines = spanLines(r.stderr);
  assert.deepEqual(lines.map(depth), [0, 1], 'client span at depth 0, the server span it caused under it');
});

test('colours: FORCE_COLOR turns them on, NO_COLOR off, BUD_OBSERVE_CONSOLE_COLORS overrides both', async () => {
  const forced = await runApp({ script: app, env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
  assert.match(forced.stderr, ANSI);
  assert.equal(forced.stdout, plain.stdout);

  const noColor = await runApp({ script: app, env: { NO_COLOR: '1', FORCE_COLOR: undefined } });
  assert.ok(spanLines(noColor.stderr).length >= 2, noColor.stderr);
  assert.doesNotMatch(noColor.stderr, ANSI);

  const never = await runApp({
    script: app,
    env: { NO_COLOR: undefined, FORCE_COLOR: '1', BUD_OBSERVE_CONSOLE_COLORS: 'never' },
  });
  assert.ok(spanLines(never.stderr).length >= 2, never.stderr);
  assert.doesNotMatch(never.stderr, ANSI);

  const always = await runApp({ script: app, env: { NO_COLOR: '1', BUD_OBSERVE_CONSOLE_COLORS: 'always' } });
  assert.match(always.stderr, ANSI);
});

test('BUD_OBSERVE_CONSOLE_VERBOSE prints attributes under each span, indented with it', async () => {
  const quiet = await runApp({ script: app });
  assert.doesNotMatch(quiet.stderr, /│/);
  const r = await runApp({ script: app, env: { BUD_OBSERVE_CONSOLE_VERBOSE: 'true' } });
  assert.equal(r.stdout, plain.stdout);
  const lines = r.stderr.split('\n');
  const server = lines.findIndex((l) => /^\d\d:\d\d:\d\d\.\d{3} {3}GET/.test(l));
  assert.ok(server > 0, r.stderr);
  const attrs = [];
  for (let i = server + 1; i < lines.length && lines[i].includes('│'); i++) attrs.push(lines[i]);
  assert.ok(attrs.includes(`${' '.repeat(15)}│ http.request.method="GET"`), attrs.join('\n'));
  assert.ok(attrs.includes(`${' '.repeat(15)}│ url.path="/greet"`), attrs.join('\n'));
  assert.ok(attrs.includes(`${' '.repeat(15)}│ http.response.status_code=200`), attrs.join('\n'));
});

test('with an endpoint the console is off unless BUD_OBSERVE_CONSOLE=true asks for both', async () => {
  const receiver = await startReceiver();
  try {
    const off = await runApp({ script: app, env: { BUD_OBSERVE_ENDPOINT: receiver.url } });
    assert.equal(off.code, 0);
    assert.equal(off.stderr, '');
    await receiver.waitFor((s) => s.length >= 2);
    receiver.spans.length = 0;

    const both = await runApp({
      script: app,
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_CONSOLE: 'true' },
    });
    assert.equal(both.code, 0);
    assert.equal(both.stdout, plain.stdout);
    assert.deepEqual(spanLines(both.stderr).map(depth), [0, 1], both.stderr);
    assert.doesNotMatch(both.stderr, HINT, 'the no-endpoint hint is not true here');
    await receiver.waitFor((s) => s.some((x) => x.kind === 2) && s.some((x) => x.kind === 3));
  } finally {
    await receiver.close();
  }
});

test('two overlapping requests: each request is printed as one block', async () => {
  const r = await runApp({ script: `${fixtures}console/interleave.mjs`, env: { BUD_OBSERVE_CONSOLE_VERBOSE: 'true' } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '200 done /a\n200 done /b\n');
  // Which request a span line belongs to is read from its attributes (url.full, url.path).
  const printed = [];
  for (const line of r.stderr.split('\n')) {
    if (/^\d\d:\d\d:\d\d\.\d{3} /.test(line)) printed.push({ depth: depth(line), path: undefined });
    const m = line.match(/│ url\.(?:full|path)="(?:http:\/\/[^/]+)?(\/[ab])"/);
    if (m && printed.length > 0) printed.at(-1).path = m[1];
  }
  const seq = printed.map((p) => `${p.depth}${p.path}`);
  assert.equal(seq.length, 4, r.stderr);
  assert.ok(
    JSON.stringify(seq) === JSON.stringify(['0/a', '1/a', '0/b', '1/b']) ||
      JSON.stringify(seq) === JSON.stringify(['0/b', '1/b', '0/a', '1/a']),
    `blocks mixed: ${seq.join(', ')}\n${r.stderr}`,
  );
});

test('a request with logs at three levels and a DB-like child span, colour off and on (golden files)', async () => {
  const env = { BUD_OBSERVE_CONSOLE_MIN_LEVEL: 'debug' };
  const off = await runApp({ script: `${fixtures}console/service.mjs`, env });
  assert.equal(off.code, 0, off.stderr);
  assert.equal(
    normalise(off.stderr),
    readFileSync(`${fixtures}console/service.golden.txt`, 'utf8'),
    `raw stderr:\n${off.stderr}`,
  );
  const on = await runApp({
    script: `${fixtures}console/service.mjs`,
    env: { ...env, NO_COLOR: undefined, BUD_OBSERVE_CONSOLE_COLORS: 'always' },
  });
  assert.equal(
    normaliseColour(on.stderr),
    readFileSync(`${fixtures}console/service.colour.golden.txt`, 'utf8'),
    `raw stderr:\n${JSON.stringify(on.stderr)}`,
  );
  const quiet = await runApp({
    script: `${fixtures}console/service.mjs`,
    env: { BUD_OBSERVE_CONSOLE_MIN_LEVEL: 'warn' },
  });
  assert.doesNotMatch(quiet.stderr, /Loading user|cache miss/, 'console.minLevel hides lower logs');
  assert.match(quiet.stderr, /\[warn\] Slow query for 7/);
});

// Issue 15: without colour a failed span read like any other (`GET /boom 26.7ms kaput`).
// A failed span is tagged like a log's level: its HTTP status code, else `error`.
test('failed spans are tagged in words without colour: [500] on HTTP spans, [error] on others (golden files)', async () => {
  const script = `${fixtures}console/errors.mjs`;
  const off = await runApp({ script });
  assert.equal(off.code, 0, off.stderr);
  assert.equal(off.stdout, 'refused: ECONNREFUSED\n');
  assert.doesNotMatch(off.stderr, ANSI);
  assert.equal(
    normalise(off.stderr),
    readFileSync(`${fixtures}console/errors.golden.txt`, 'utf8'),
    `raw stderr:\n${off.stderr}`,
  );
  const on = await runApp({ script, env: { NO_COLOR: undefined, BUD_OBSERVE_CONSOLE_COLORS: 'always' } });
  assert.equal(
    normaliseColour(on.stderr),
    readFileSync(`${fixtures}console/errors.colour.golden.txt`, 'utf8'),
    `raw stderr:\n${JSON.stringify(on.stderr)}`,
  );
});

const autoTraced = `${fixtures}console-autotrace/`;
const autoTraceEnv = { BUD_OBSERVE_AUTOTRACE_MODULES: 'src/**', BUD_OBSERVE_AUTOTRACE_MIN_DURATION: '100ms' };
const noSyncHooks = hasSyncLoadHooks
  ? false
  : `Node ${nodeVersion} cannot run synchronous load hooks (nodejs/node#59929): no auto-trace there`;

test(
  'auto-trace on: library spans the gate held or re-parented print under their auto-traced call, ESM, CJS and TS (golden file)',
  { skip: noSyncHooks },
  async () => {
    await requireService('postgres');
    await requireService('redis');
    const expected = readFileSync(`${autoTraced}golden.txt`, 'utf8');
    for (const ext of ['mjs', 'cjs', 'ts']) {
      const r = await runApp({ script: `${autoTraced}app.mjs`, cwd: autoTraced, args: [ext], env: autoTraceEnv });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '200 Ada Lovelace\n');
      assert.equal(normalise(r.stderr), expected, `${ext}: raw stderr:\n${r.stderr}`);
    }
  },
);

test("auto-trace on: the console tree is the OTLP export's tree, span for span", { skip: noSyncHooks }, async (t) => {
  await requireService('postgres');
  await requireService('redis');
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const r = await runApp({
    script: `${autoTraced}app.mjs`,
    cwd: autoTraced,
    args: ['mjs'],
    env: { ...autoTraceEnv, BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_CONSOLE: 'true' },
  });
  assert.equal(r.code, 0, r.stderr);
  // The console names HTTP spans by method and path; the export by method alone.
  const short = (name) => (/^GET /.test(name) ? 'GET' : name);
  const printed = [];
  const stack = [];
  for (const line of spanLines(r.stderr)) {
    const d = depth(line);
    const name = short(line.slice(13).trim().replace(/ \S+$/, ''));
    stack.length = d;
    printed.push(`${name} < ${stack.at(-1) ?? '-'}`);
    stack.push(name);
  }
  const byId = new Map(receiver.spans.map((s) => [s.spanId, s]));
  const exported = receiver.spans.map((s) => `${s.name} < ${byId.get(s.parentSpanId)?.name ?? '-'}`);
  assert.deepEqual(printed.sort(), exported.sort(), r.stderr);
  assert.ok(
    printed.includes('exists < Calling UserService.getUser'),
    'the span of the dropped lookup() call, re-parented',
  );
});
