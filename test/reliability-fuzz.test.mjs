// Bad input never crashes anything. Seeded fuzzing (FUZZ_SEED=<n> replays or explores):
// - configuration: every BUD_OBSERVE_* / OTEL_* variable set to values of every wrong type
//   and size, plus config files of wrong shapes, through `budobserve doctor --json` (the
//   agent's own resolution) and through real app runs;
// - collector answers: random statuses and bodies, garbage Retry-After, truncated answers,
//   non-HTTP bytes, interim answers, oversized headers, resets — the app's output and exit
//   are unchanged and its exit stays bounded: one deadline, and no run held past it, with
//   exports that would otherwise wait ten minutes (test/helpers/exit-trail.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { options } from '../src/config/schema.ts';
import { makeProject } from './helpers/project.mjs';
import { startCollector } from './helpers/faulty-collector.mjs';
import { prng } from './helpers/load.mjs';
import { runApp, fixtures, root, nodeBin, cleanEnv, waitForOutput } from './helpers/run.mjs';
import { TRAIL_ENV, exitTrail, withoutDebug, deadlinesSet, boundTimersFired } from './helpers/exit-trail.mjs';

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const CONFIG_INPUTS = 36;
const APP_RUNS = 6;
const RESPONSE_RUNS = 8;

const variables = [
  ...new Set(options.flatMap((o) => [o.env, ...(o.otelEnv ?? []).map((r) => r.name)]).filter(Boolean)),
  'BUD_OBSERVE_SKIP_COMMANDS',
  'BUD_OBSERVE_UNKNOWN_THING',
];

function garbage(rnd) {
  const unicode = () =>
    Array.from({ length: rnd.int(1, 40) }, () =>
      rnd.pick([
        'é',
        '字',
        '🙂',
        '\u200b',
        '\u202e',
        'ß',
        '\u0301',
        'Ω',
        '\\',
        '"',
        "'",
        '%',
        ',',
        '=',
        ';',
        '\t',
        '\n',
      ]),
    ).join('');
  const binaryish = () =>
    Array.from({ length: rnd.int(1, 200) }, () => {
      const c = rnd.int(1, 0xfffd);
      return c >= 0xd800 && c <= 0xdfff ? 'x' : String.fromCharCode(c);
    }).join('');
  return rnd.pick([
    () => 'x'.repeat(rnd.int(10_000, 60_000)),
    unicode,
    binaryish,
    () =>
      rnd.pick([
        '-1',
        '-0',
        'NaN',
        'Infinity',
        '-Infinity',
        '1e309',
        '1e-400',
        '0x10',
        '1_000',
        '  12  ',
        ' ',
        '9007199254740993',
        '2.5',
        '1e3',
        '00',
        '+5',
      ]),
    () => Array.from({ length: 10_000 }, (_, i) => `item${i}`).join(','),
    () => rnd.pick(['=,=,a=%zz', '%', 'a=b=c', ',,,', 'k=', '=v', 'a=%E0%A4%A', 'service.name=%F0%9F%99%82']),
    () =>
      rnd.pick([
        'http://',
        'ftp://x',
        'http://[::1',
        'javascript:alert(1)',
        'http://127.0.0.1:0',
        'http://a b',
        '//x',
        'http://127.0.0.1:99999',
      ]),
    () => rnd.pick(['TRUE', 'yes ', 'null', 'undefined', '[]', '{}', 'true,false', '0.5ms', '-5ms', '1e9s']),
  ])();
}

function garbageValue(rnd, depth = 0) {
  return rnd.pick([
    () => null,
    () => rnd.int(-1e9, 1e9),
    () => rnd() * 1e300,
    () => -0,
    () => rnd.pick([true, false]),
    () => garbage(rnd).slice(0, 2000),
    () => Array.from({ length: rnd.pick([0, 3, 10_000]) }, (_, i) => (i % 2 ? i : `s${i}`)),
    () =>
      depth > 3
        ? {}
        : Object.fromEntries(
            Array.from({ length: rnd.int(0, 4) }, () => [
              rnd.pick([...options.map((o) => o.path.split('.').at(-1)), '__proto__', 'constructor', '']),
              garbageValue(rnd, depth + 1),
            ]),
          ),
    () => {
      let o = {};
      for (let i = 0; i < 200; i++) o = { a: o };
      return o;
    },
  ])();
}

function configFile(rnd) {
  const shape = rnd.int(0, 5);
  if (shape === 0) return ['budobserve.config.json', JSON.stringify(garbageValue(rnd))];
  if (shape === 1) {
    const obj = {};
    for (const o of options)
      if (rnd() < 0.5) {
        let cur = obj;
        const parts = o.path.split('.');
        for (const p of parts.slice(0, -1)) cur = cur[p] = typeof cur[p] === 'object' && cur[p] !== null ? cur[p] : {};
        cur[parts.at(-1)] = garbageValue(rnd);
      }
    return ['budobserve.config.json', JSON.stringify(obj)];
  }
  if (shape === 2)
    return [
      'budobserve.config.yaml',
      rnd.pick([
        'serviceName: [unclosed',
        '- a\n- b',
        'a: &x\n  b: *x\nexport: *x',
        ': :',
        'export:\n  headers: 5',
        '\t\tbad indent: x',
      ]),
    ];
  if (shape === 3) return ['budobserve.config.json', JSON.stringify(garbageValue(rnd)).slice(0, rnd.int(0, 50))];
  return [
    'budobserve.config.mjs',
    rnd.pick([
      'export default new Proxy({}, { ownKeys() { throw new Error("proxy trap") } });',
      'export default { get serviceName() { throw new Error("getter") } };',
      'export default { serviceName: 1n, batch: { maxQueueSize: 10n } };',
      'const o = { serviceName: "c" }; o.export = o; o.resourceAttributes = o; export default o;',
      'export default () => ({});',
      'export default class {};',
      'export default { [Symbol("x")]: 1, serviceName: Symbol("y") };',
      'export default Object.create({ serviceName: "inherited" });',
      'export default { instrumentations: { http: 5, express: [], pg: { enhancedDatabaseReporting: "x" } } };',
      'export default { spanProcessors: [1, null, {}], scrubbing: { callback: "nope", extraPatterns: ["(", "[a-"] } };',
    ]),
  ];
}

const randomEnv = (rnd) => {
  const env = {};
  let huge = 0;
  for (const name of variables) {
    if (rnd() < 0.4) continue;
    let v = garbage(rnd);
    // Linux caps one variable at 128 KiB and the whole environment at a few MiB.
    if (v.length > 5000 && ++huge > 3) v = v.slice(0, 5000);
    env[name] = v;
  }
  return env;
};

function doctorJson(cwd, env) {
  return new Promise((resolve) => {
    const child = spawn(nodeBin, [`${root}dist/cli.mjs`, 'doctor', '--json'], {
      cwd,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Stack frames or error names outside the agent's own warning lines mean something escaped. */
const escaped = (stderr) =>
  stderr
    .split('\n')
    .filter(
      (l) => /^\s+at \S|(?:Type|Range|Reference|Syntax)Error|Maximum call stack/.test(l) && !l.includes('[BUDOBSERVE_'),
    );

test(
  'configuration fuzz: doctor resolves every input, one bounded message per problem',
  { timeout: 180_000 },
  async (t) => {
    const rnd = prng(SEED);
    const inputs = Array.from({ length: CONFIG_INPUTS }, (_, i) => ({
      i,
      env: randomEnv(rnd),
      file: rnd() < 0.6 ? configFile(rnd) : undefined,
    }));
    let problems = 0;
    const failures = [];
    const runOne = async (input) => {
      const p = makeProject(input.file === undefined ? {} : { [input.file[0]]: input.file[1] });
      try {
        const r = await doctorJson(p.dir, input.env);
        let report;
        try {
          report = JSON.parse(r.stdout);
        } catch {
          failures.push(
            `input ${input.i}: doctor printed no JSON (exit ${r.signal ?? r.code}): ${r.stderr.slice(0, 2000)}`,
          );
          return;
        }
        problems += report.problems.length;
        if (r.code !== 0) failures.push(`input ${input.i}: exit ${r.signal ?? r.code}`);
        if (escaped(r.stderr).length > 0)
          failures.push(`input ${input.i}: ${escaped(r.stderr).slice(0, 3).join(' | ')}`);
        const long = report.problems.filter((x) => x.message.length > 1500);
        if (long.length > 0)
          failures.push(
            `input ${input.i}: a message of ${long[0].message.length} chars: ${long[0].message.slice(0, 200)}…`,
          );
        if (r.stdout.length > 1_000_000) failures.push(`input ${input.i}: ${r.stdout.length} chars of output`);
      } finally {
        p.cleanup();
      }
    };
    // Two at a time: the machine has two cores.
    for (let k = 0; k < inputs.length; k += 2) await Promise.all(inputs.slice(k, k + 2).map(runOne));
    t.diagnostic(
      `seed ${SEED}: ${inputs.length} configurations (${inputs.filter((x) => x.file).length} with a config file), ${problems} problems reported`,
    );
    assert.deepEqual(failures, []);
  },
);

// Regression: each unknown instrumentation name was its own warning, printed whole.
test('a 10,000-item instrumentation list with a huge name makes one bounded warning', async () => {
  const list = ['x'.repeat(20_000), ...Array.from({ length: 10_000 }, (_, i) => `n${i}`), 'htp'].join(','); // under Linux's 128 KiB per variable
  const r = await runApp({
    script: `${fixtures}http/app.mjs`,
    env: { BUD_OBSERVE_INSTRUMENTATIONS: list, BUD_OBSERVE_CONSOLE: 'false' },
  });
  const w = r.stderr.split('\n').filter((l) => l.includes('[BUDOBSERVE_'));
  assert.equal(r.code, 0, r.stderr.slice(0, 2000));
  assert.equal(w.length, 1, r.stderr.slice(0, 2000));
  assert.ok(w[0].length < 1000, `${w[0].length} chars`);
  assert.match(w[0], /and 9997 more; ignored/);
});

test('configuration fuzz: real apps run unchanged', { timeout: 120_000 }, async (t) => {
  const rnd = prng(SEED + 1);
  const app = `${fixtures}http/app.mjs`;
  const plain = await runApp({ script: app, preload: [] });
  for (let i = 0; i < APP_RUNS; i++) {
    const env = randomEnv(rnd);
    const file = configFile(rnd);
    const p = makeProject({ [file[0]]: file[1], 'app.mjs': `import '${app}';\n` });
    try {
      const r = await runApp({ script: `${p.dir}/app.mjs`, cwd: p.dir, env });
      assert.equal(r.code, plain.code, `run ${i}: ${r.stderr.slice(0, 3000)}`);
      assert.equal(r.stdout, plain.stdout, `run ${i}`);
      assert.deepEqual(escaped(r.stderr), [], `run ${i}`);
    } finally {
      p.cleanup();
    }
  }
  t.diagnostic(`seed ${SEED + 1}: ${APP_RUNS} app runs with fuzzed environment and config file`);
});

function fuzzAnswer(rnd) {
  const retryAfter = () =>
    rnd.pick([
      '-1',
      '0',
      'abc',
      '1e400',
      'Wed, 21 Oct 2015 07:28:00 GMT',
      'Fri, 01 Jan 2100 00:00:00 GMT',
      '0.2',
      ' ',
      '99999999999',
      '\u00ff',
    ]);
  const bytes = (n) => Buffer.from(Array.from({ length: n }, () => rnd.int(0, 255)));
  return rnd.pick([
    () => ({
      kind: 'status',
      status: rnd.int(200, 599),
      headers: rnd() < 0.5 ? { 'retry-after': retryAfter() } : {},
      body: bytes(rnd.int(0, 4000)),
    }),
    () => ({
      kind: 'status',
      status: rnd.pick([429, 503, 502, 504]),
      headers: { 'retry-after': retryAfter() },
      body: Buffer.alloc(0),
    }),
    () => ({
      kind: 'raw',
      data: Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n'), bytes(10)]),
    }),
    () => ({ kind: 'raw', data: bytes(rnd.int(1, 300)) }),
    () => ({
      kind: 'raw',
      data: Buffer.from('HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'),
    }),
    () => ({
      kind: 'raw',
      data: Buffer.from('HTTP/1.1 101 Switching Protocols\r\nupgrade: x\r\nconnection: upgrade\r\n\r\n'),
    }),
    () => ({
      kind: 'raw',
      data: Buffer.from(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(20_000)}\r\ncontent-length: 0\r\n\r\n`),
    }),
    () => ({ kind: 'raw', data: Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n') }),
    () => ({ kind: 'reset' }),
    () => ({ kind: 'slow', ms: rnd.int(10, 300) }),
  ])();
}

test('collector answer fuzz: the app always runs, ends as it would, exit bounded', { timeout: 180_000 }, async (t) => {
  const rnd = prng(SEED + 2);
  const modes = ['natural', 'exit', 'throw', 'sigterm'];
  const signalled = (mode) =>
    mode === 'sigterm'
      ? (child, out) => {
          waitForOutput(out, 'ready').then(
            () => setTimeout(() => child.kill('SIGTERM'), 300),
            () => child.kill('SIGKILL'),
          );
        }
      : undefined;
  // Each mode's ending and output without the agent, measured, SIGTERM included.
  const plain = {};
  for (const mode of modes)
    plain[mode] = await runApp({
      script: `${fixtures}exit/app.mjs`,
      args: [mode],
      preload: [],
      onSpawn: signalled(mode),
    });
  const endings = Object.fromEntries(modes.map((m) => [m, plain[m].signal ?? plain[m].code]));
  assert.deepEqual(endings, { natural: 0, exit: 3, throw: 1, sigterm: 'SIGTERM' }, 'the fixture ends each way');
  let answers = 0;
  for (let i = 0; i < RESPONSE_RUNS; i++) {
    const collector = await startCollector();
    collector.mode = {
      kind: 'fn',
      fn: (req, res, entry) => {
        answers++;
        const a = fuzzAnswer(rnd);
        entry.fuzz = a.kind;
        if (req.socket.destroyed) return;
        if (a.kind === 'status') {
          entry.status = a.status;
          res.writeHead(a.status, a.headers).end(a.body);
        } else if (a.kind === 'raw') req.socket.end(a.data);
        else if (a.kind === 'reset') req.socket.resetAndDestroy();
        else
          setTimeout(() => {
            if (!res.destroyed) {
              entry.status = 200;
              res.end();
            }
          }, a.ms);
      },
    };
    const mode = modes[i % modes.length];
    try {
      const r = await runApp({
        script: `${fixtures}exit/app.mjs`,
        args: [mode],
        env: {
          ...TRAIL_ENV,
          BUD_OBSERVE_ENDPOINT: collector.url,
          SPANS: '200',
          OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10',
          OTEL_BSP_SCHEDULE_DELAY: '20',
          BUD_OBSERVE_SHUTDOWN_TIMEOUT: '1000',
          OTEL_METRIC_EXPORT_INTERVAL: '200',
        },
        onSpawn: signalled(mode),
      });
      const stderr = withoutDebug(r.stderr);
      // The ending is also how a run held past the bound shows: killed by runApp (SIGKILL).
      assert.equal(r.signal ?? r.code, endings[mode], `run ${i} (${mode}): ${stderr.slice(0, 3000)}`);
      assert.equal(r.stdout, plain[mode].stdout, `run ${i} (${mode})`);
      // The app's own crash (mode 'throw') prints its stack, exactly as without the agent.
      assert.deepEqual(escaped(stderr), escaped(plain[mode].stderr), `run ${i}`);
      // One deadline bounds every step of the exit, whatever the collector answered.
      const trail = exitTrail(r.stderr);
      assert.equal(deadlinesSet(trail), 1, `run ${i} (${mode}): ${trail.join(' | ')}`);
      assert.ok(boundTimersFired(trail) <= 1, `run ${i} (${mode}): ${trail.join(' | ')}`);
    } finally {
      await collector.close();
    }
  }
  t.diagnostic(`seed ${SEED + 2}: ${RESPONSE_RUNS} app runs, ${answers} fuzzed collector answers`);
});
