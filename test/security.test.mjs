// What SECURITY.md promises: the token and header values leave the process only as request
// headers to the collector (never on stdout/stderr, in warnings, debug output, doctor, or in
// exported telemetry); config files, which are code, load only from the project tree or
// BUD_OBSERVE_CONFIG; the agent opens no listening socket; it writes nothing but Node's
// compile cache in the OS temp folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  mkdtempSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector } from './helpers/faulty-collector.mjs';
import { startApp } from './helpers/fault-scenarios.mjs';
import { closedPort } from './helpers/net.mjs';
import { makeProject } from './helpers/project.mjs';
import { load } from './helpers/load.mjs';
import { runApp, fixtures, root, nodeBin, cleanEnv } from './helpers/run.mjs';

const TOKEN = 'tok-SECRET-7f3a9c';
const HEADER = 'hdr-SECRET-b81e44';
const BUD_HEADER = 'bud-SECRET-0d5c12';
const secrets = [TOKEN, HEADER, BUD_HEADER];
const secretEnv = {
  BUD_OBSERVE_TOKEN: TOKEN,
  OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${HEADER}`,
  BUD_OBSERVE_HEADERS: `x-team-key=${BUD_HEADER}`,
};
function cli(args, cwd, env) {
  return new Promise((resolve) => {
    const child = spawn(nodeBin, [`${root}dist/cli.mjs`, ...args], { cwd, env: cleanEnv(env) });
    const out = { stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out.stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      out.stderr += d;
    });
    child.on('close', (status) => resolve({ ...out, status }));
  });
}

const leaks = (text) => secrets.filter((s) => text.includes(s) || text.includes(Buffer.from(s).toString('base64')));

test(
  'the token and header values never appear in output, warnings, debug logs or telemetry',
  { timeout: 120_000 },
  async (t) => {
    const refused = `http://127.0.0.1:${await closedPort()}`;
    const echo = await startCollector();
    // A collector that rejects and echoes every header back, in its body and its headers.
    echo.mode = {
      kind: 'fn',
      fn: (req, res, entry) => {
        entry.status = 401;
        res
          .writeHead(401, { 'x-echo': JSON.stringify(req.headers).replace(/[^\x20-\x7e]/g, '') })
          .end(JSON.stringify(req.headers));
      },
    };
    const good = await startCollector();
    const broken = makeProject({
      'budobserve.config.json': `{ "export": { "token": "${TOKEN}", "headers": { "x-api-key": "${HEADER}" } }\n  "serviceName": }`,
    });
    t.after(async () => {
      broken.cleanup();
      await echo.close();
      await good.close();
    });
    const app = `${fixtures}http/app.mjs`;
    const cases = [
      [
        'refused collector, debug logs on',
        { ...secretEnv, BUD_OBSERVE_ENDPOINT: refused, NODE_DEBUG: 'budobserve', OTEL_LOG_LEVEL: 'debug' },
      ],
      [
        'collector answering 401 and echoing the headers',
        { ...secretEnv, BUD_OBSERVE_ENDPOINT: echo.url, OTEL_LOG_LEVEL: 'all' },
      ],
      ['verbose console view', { ...secretEnv, BUD_OBSERVE_CONSOLE: 'true', BUD_OBSERVE_CONSOLE_VERBOSE: 'true' }],
      [
        'invalid header list and token',
        {
          BUD_OBSERVE_TOKEN: `${TOKEN}\n`,
          OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${HEADER},broken`,
          BUD_OBSERVE_HEADERS: `x-team-key=${BUD_HEADER}%zz`,
          BUD_OBSERVE_ENDPOINT: refused,
        },
      ],
      [
        'per-signal headers, healthy collector',
        {
          ...secretEnv,
          OTEL_EXPORTER_OTLP_TRACES_HEADERS: `x-api-key=${HEADER}`,
          BUD_OBSERVE_ENDPOINT: good.url,
          BUD_OBSERVE_CONSOLE: 'true',
        },
      ],
    ];
    let checked = 0;
    for (const [name, env] of cases) {
      const r = await runApp({ script: app, env });
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.deepEqual(leaks(r.stdout + r.stderr), [], `${name}: a secret was printed:\n${r.stderr}`);
      checked++;
    }
    const exitPath = await runApp({
      script: `${fixtures}exit/app.mjs`,
      args: ['exit'],
      env: { ...secretEnv, BUD_OBSERVE_ENDPOINT: echo.url, BUD_OBSERVE_SHUTDOWN_TIMEOUT: '500' },
    });
    assert.equal(exitPath.code, 3);
    assert.deepEqual(leaks(exitPath.stdout + exitPath.stderr), [], `exit flush: ${exitPath.stderr}`);
    // Regression: credentials written into the endpoint URL were printed in export warnings.
    const userinfo = await runApp({
      script: app,
      env: { BUD_OBSERVE_ENDPOINT: refused.replace('//', `//user:${TOKEN}@`) },
    });
    assert.match(userinfo.stderr, /http:\/\/\[hidden\]@127\.0\.0\.1/);
    assert.deepEqual(leaks(userinfo.stderr), [], `endpoint credentials in a warning:\n${userinfo.stderr}`);
    const brokenRun = await runApp({ script: app, cwd: broken.dir, env: { BUD_OBSERVE_ENDPOINT: refused } });
    assert.match(brokenRun.stderr, /BUDOBSERVE_CONFIG_LOAD_FAILED/);
    assert.deepEqual(
      leaks(brokenRun.stderr),
      [],
      `a broken config file's secrets are not quoted:\n${brokenRun.stderr}`,
    );
    checked += 3;

    for (const [cwd, env] of [
      [root, { ...secretEnv, BUD_OBSERVE_ENDPOINT: echo.url }],
      [broken.dir, {}],
      [
        root,
        {
          ...secretEnv,
          OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${HEADER},=bad`,
          BUD_OBSERVE_ENDPOINT: refused.replace('//', `//user:${TOKEN}@`),
        },
      ],
    ]) {
      for (const args of [['doctor'], ['doctor', '--json']]) {
        // Not spawnSync: doctor probes the collector, which answers from this very process.
        const r = await cli(args, cwd, env);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(leaks(r.stdout + r.stderr), [], `doctor ${args.join(' ')} printed a secret`);
        checked++;
      }
    }

    // Sent only as headers: every request carries them, no body contains them.
    const reqs = good.requests;
    assert.ok(reqs.length > 0);
    for (const q of reqs) {
      assert.equal(q.headers.authorization, `Bearer ${TOKEN}`);
      // BUD_OBSERVE_HEADERS outranks OTEL_EXPORTER_OTLP_HEADERS; the traces-only variable adds to it.
      assert.equal(q.headers['x-team-key'], BUD_HEADER);
      if (q.path === '/v1/traces') assert.equal(q.headers['x-api-key'], HEADER);
      assert.deepEqual(leaks(q.body.toString('latin1')), [], `${q.path} body carries a secret`);
    }
    t.diagnostic(
      `${checked} runs checked for ${secrets.length} secrets; ${reqs.length} export requests carried them as headers only`,
    );
  },
);

function tree(files) {
  const dir = mkdtempSync(join(tmpdir(), 'bud-sec-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  mkdirSync(join(dir, 'node_modules', '@budobserve'), { recursive: true });
  symlinkSync(root.replace(/\/$/, ''), join(dir, 'node_modules', '@budobserve', 'agent'), 'dir');
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const doctorIn = (cwd, env = {}) => {
  const r = spawnSync(nodeBin, [`${root}dist/cli.mjs`, 'doctor', '--json'], {
    cwd,
    env: cleanEnv(env),
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
};
// An executable config file that announces itself if it is ever loaded.
const trap = 'console.log("CONFIG FROM OUTSIDE THE PROJECT RAN"); export default { serviceName: "pwned" };\n';

test('config files load only from the project tree or BUD_OBSERVE_CONFIG', async (t) => {
  const p = tree({
    'budobserve.config.mjs': trap, // above the project
    'shared/budobserve.config.json': '{ "serviceName": "explicit" }',
    'project/package.json': '{ "name": "proj" }',
    'project/budobserve.config.json': '{ "serviceName": "in-project" }',
    'project/src/deep/keep.txt': '',
    'other/package.json': '{ "name": "other" }',
    'loose/budobserve.config.mjs': trap, // no package.json anywhere up from loose/sub
    'loose/sub/keep.txt': '',
    'loose/here/budobserve.config.json': '{ "serviceName": "cwd-only" }',
  });
  t.after(p.cleanup);
  assert.equal(doctorIn(join(p.dir, 'project')).configFile, 'budobserve.config.json');
  assert.equal(
    doctorIn(join(p.dir, 'project/src/deep')).configFile,
    '../../budobserve.config.json',
    'from the project root, below cwd',
  );
  assert.equal(doctorIn(join(p.dir, 'other')).configFile, null, 'not from the folder above the nearest package.json');
  // Regression: with no package.json anywhere, the search used to climb to / and load e.g. /tmp/budobserve.config.mjs.
  assert.equal(doctorIn(join(p.dir, 'loose/sub')).configFile, null, 'no project: parents are never searched');
  assert.equal(
    doctorIn(join(p.dir, 'loose/here')).configFile,
    'budobserve.config.json',
    'no project: the working directory is',
  );
  assert.equal(
    doctorIn(join(p.dir, 'other'), { BUD_OBSERVE_CONFIG: '../shared/budobserve.config.json' }).values.find(
      (v) => v.option === 'serviceName',
    ).value,
    'explicit',
  );
  for (const cwd of ['other', 'loose/sub']) {
    const r = await runApp({
      script: `${fixtures}http/app.mjs`,
      cwd: join(p.dir, cwd),
      env: { BUD_OBSERVE_CONSOLE: 'false' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /OUTSIDE THE PROJECT/, `${cwd}: a config file outside the project ran`);
  }
  // Regression: BUD_OBSERVE_CONFIG=/dev/zero used to hang the app at start, reading for ever.
  const r = await runApp({
    script: `${fixtures}http/app.mjs`,
    env: { BUD_OBSERVE_CONFIG: '/dev/zero', BUD_OBSERVE_CONSOLE: 'false' },
    timeoutMs: 10_000,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /could not load \/dev\/zero: not a regular file/);
});

/** Listening TCP/UDP/unix sockets of `pid`, from its fds and /proc/<pid>/net. */
function listening(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  const out = [];
  for (const proto of ['tcp', 'tcp6', 'udp', 'udp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${proto}`, 'utf8').trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const [, local, , state] = f;
      if (!inodes.has(f[9])) continue;
      if (proto.startsWith('udp') || state === '0A') out.push(`${proto}:${parseInt(local.split(':').at(-1), 16)}`);
    }
  }
  for (const line of readFileSync(`/proc/${pid}/net/unix`, 'utf8').trim().split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (inodes.has(f[6]) && (parseInt(f[3], 16) & 0x10000) !== 0) out.push(`unix:${f[7] ?? '(anonymous)'}`);
  }
  return { sockets: inodes.size, listening: out.sort() };
}

test('the agent opens no listening socket', { skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const collector = await startCollector();
  const app = await startApp({
    env: {
      BUD_OBSERVE_ENDPOINT: collector.url,
      OTEL_METRIC_EXPORT_INTERVAL: '200',
      BUD_OBSERVE_CONSOLE: 'true',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    },
  });
  try {
    await load({ port: app.port, total: 300, concurrency: 5 });
    await new Promise((r) => setTimeout(r, 400)); // metrics and span exports have run
    const seen = listening(app.child.pid);
    t.diagnostic(
      `pid ${app.child.pid}: ${seen.sockets} sockets, listening: ${seen.listening.join(', ')}; ${collector.requests.length} export requests so far`,
    );
    assert.ok(
      collector.requests.some((q) => q.path === '/v1/metrics') &&
        collector.requests.some((q) => q.path === '/v1/traces'),
      'the agent was exporting',
    );
    assert.deepEqual(seen.listening, [`tcp:${app.port}`], "the app's own port is the only one");
  } finally {
    await app.quit();
    await collector.close();
  }
});

/** Every path under `dir`, not following symlinks (node_modules/@budobserve/agent is this checkout). */
function files(dir, prefix = '') {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => {
      const rel = `${prefix}${d.name}`;
      return d.isDirectory() ? [rel, ...files(join(dir, d.name), `${rel}/`)] : [rel];
    })
    .sort();
}

test('the agent writes nothing but the compile cache in the OS temp folder', async () => {
  const p = makeProject({ 'app.mjs': `import '${fixtures}http/app.mjs';\n` });
  const tmp = mkdtempSync(join(tmpdir(), 'bud-tmp-'));
  const home = mkdtempSync(join(tmpdir(), 'bud-home-'));
  const collector = await startCollector();
  try {
    const before = files(p.dir);
    const r = await runApp({
      script: `${p.dir}/app.mjs`,
      cwd: p.dir,
      env: { TMPDIR: tmp, HOME: home, BUD_OBSERVE_ENDPOINT: collector.url, BUD_OBSERVE_CONSOLE: 'true' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(files(p.dir), before, `nothing written in the project\n${r.stderr}`);
    assert.deepEqual(readdirSync(home), [], `nothing written in HOME\n${r.stderr}`);
    assert.deepEqual(readdirSync(tmp), ['node-compile-cache'], `only Node's compile cache in TMPDIR\n${r.stderr}`);
  } finally {
    p.cleanup();
    rmSync(tmp, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
    await collector.close();
  }
});
