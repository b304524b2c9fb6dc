// The `budobserve` command: help, version, `init` writing the commented config file where
// the agent finds it and refusing to clobber or be shadowed, and `doctor` explaining the
// configuration (whether the agent runs at all, the config file it could not load, the
// app's own libraries) and probing the collector in the configured protocol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closedPort } from './helpers/net.mjs';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { makeProject } from './helpers/project.mjs';
import { doctor } from './helpers/doctor.mjs';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { root } from './helpers/run.mjs';
import { cli, doctorJson } from './helpers/cli.mjs';

const template = readFileSync(`${root}budobserve.config.example.ts`, 'utf8');
const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

function project(t) {
  const p = makeProject();
  t.after(p.cleanup);
  return p.dir;
}

test('--help prints the usage and exits 0', async () => {
  const r = await cli(['--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: budobserve <command>/);
  for (const cmd of ['doctor', 'init', '--version']) assert.match(r.stdout, new RegExp(`^ +${cmd}`, 'm'));
});

test('an unknown command exits 1 and says which', async () => {
  const r = await cli(['frobnicate']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  assert.match(r.stderr, /Usage: budobserve/);
});

test('--version prints the package version', async () => {
  const r = await cli(['--version']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${version}\n`);
});

test('init writes the example config, refuses to overwrite, --force overwrites; the file loads', async (t) => {
  const dir = project(t);
  const file = join(dir, 'budobserve.config.ts');

  let r = await cli(['init'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(file, 'utf8'), template);
  assert.match(r.stdout, /budobserve\.config\.ts/);

  const edited = `${template}// edited by the user\n`;
  writeFileSync(file, edited);
  r = await cli(['init'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /already exists.*--force/);
  assert.equal(readFileSync(file, 'utf8'), edited, 'file unchanged');

  r = await cli(['init', '--force'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(file, 'utf8'), template);

  const report = doctor(dir);
  assert.equal(report.configFile, 'budobserve.config.ts');
  assert.deepEqual(report.problems, []);
});

test('doctor prints its sections', async (t) => {
  const r = await cli(['doctor'], { cwd: project(t) });
  assert.equal(r.code, 0, r.stderr);
  for (const section of ['Configuration', 'Instrumentations', 'Auto-trace', 'Resource', 'Export'])
    assert.match(r.stdout, new RegExp(`^${section}`, 'm'), r.stdout);
  assert.match(r.stdout, /^ +serviceName = "demo-app" +<- package\.json name$/m);
});

test('doctor shows each resource attribute and which detector or the configuration set it, in text and --json', async (t) => {
  const dir = project(t);
  const env = {
    OTEL_NODE_RESOURCE_DETECTORS: 'host,serviceinstance,aws',
    OTEL_RESOURCE_ATTRIBUTES: 'team=core,service.instance.id=pod-1',
  };
  const r = await cli(['doctor'], { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  const section = r.stdout.slice(r.stdout.indexOf('\nResource'), r.stdout.indexOf('\nExport:'));
  assert.match(section, /^ +host\.name = ".+" +<- host$/m);
  assert.match(section, /^ +team = "core" +<- configuration$/m);
  assert.match(
    section,
    /^ +service\.instance\.id = "pod-1" +<- configuration$/m,
    'the configuration wins over serviceinstance',
  );
  assert.match(section, /^ +telemetry\.sdk\.name = "opentelemetry" +<- sdk$/m);
  assert.match(
    section,
    /what aws finds: asked over the network when the agent starts \(the first export waits at most 1000 ms\); doctor does not ask/,
  );
  assert.doesNotMatch(section, /os\.type/, 'os was not named');
  const report = await doctorJson(dir, { env });
  const at = (k) => report.resource.find((a) => a.attribute === k);
  assert.deepEqual(at('team'), { attribute: 'team', value: 'core', source: 'config' });
  assert.equal(at('host.name').source, 'host');
  assert.equal(at('service.name').source, 'config');
  assert.deepEqual(report.cloudDetectors, ['aws']);
  const none = await doctorJson(dir, { env: { OTEL_NODE_RESOURCE_DETECTORS: 'none' } });
  assert.deepEqual([...new Set(none.resource.map((a) => a.source))].sort(), ['config', 'sdk']);
});

const exportSection = (stdout) => stdout.slice(stdout.indexOf('\nExport:'));

test('doctor: a closed port is reported unreachable', async (t) => {
  const port = await closedPort();
  const r = await cli(['doctor'], { cwd: project(t), env: { BUD_OBSERVE_ENDPOINT: `http://127.0.0.1:${port}` } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    exportSection(r.stdout),
    new RegExp(`traces .*http://127\\.0\\.0\\.1:${port}/v1/traces +unreachable \\(ECONNREFUSED\\)`),
    r.stdout,
  );
});

test('doctor: a live collector answers', async (t) => {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const r = await cli(['doctor'], { cwd: project(t), env: { BUD_OBSERVE_ENDPOINT: receiver.url } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    exportSection(r.stdout),
    new RegExp(`traces .*${receiver.url.replaceAll('.', '\\.')}/v1/traces +answers \\(HTTP 200\\)`),
    r.stdout,
  );
  assert.ok(
    receiver.received.requests.some((q) => q.path === '/v1/traces'),
    'the probe reached the collector',
  );
});

test('init writes to the project root from a subfolder, where the agent finds it', async (t) => {
  const dir = project(t);
  mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
  const r = await cli(['init'], { cwd: join(dir, 'src', 'deep') });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(dir, 'budobserve.config.ts'), 'utf8'), template);
  assert.equal(existsSync(join(dir, 'src', 'deep', 'budobserve.config.ts')), false);
});

test('init writes nothing when another config would be read instead, and names it', async (t) => {
  for (const [files, pkg, named] of [
    [{ 'budobserve.config.json': '{}' }, undefined, 'budobserve.config.json'],
    [{}, { name: 'keyed', budobserve: { serviceName: 'x' } }, 'package.json ("budobserve" key)'],
  ]) {
    const p = makeProject(files, pkg === undefined ? undefined : { pkg });
    t.after(p.cleanup);
    for (const args of [['init'], ['init', '--force']]) {
      const r = await cli(args, { cwd: p.dir });
      assert.equal(r.code, 1);
      assert.ok(r.stderr.includes(`${named} already configures the agent here`), r.stderr);
      assert.equal(existsSync(join(p.dir, 'budobserve.config.ts')), false);
    }
  }
});

test('regression 15.2: doctor names a config file it found and could not load, with file:line:column and the reason', async (t) => {
  const p = makeProject(
    {
      'budobserve.config.ts':
        "import { defineConfig } from '@budobserve/agent';\n\nexport default defineConfig({ serviceName: ,, });\n",
    },
    { pkg: { name: 'cjs-app', type: 'commonjs' } },
  );
  t.after(p.cleanup);
  const r = await cli(['doctor'], { cwd: p.dir });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith('Config file:'));
  assert.equal(
    lines[at],
    'Config file: budobserve.config.ts, found but not loaded (environment variables and defaults are used):',
    r.stdout,
  );
  assert.match(lines[at + 1], /^ {2}budobserve\.config\.ts:3:44: SyntaxError: \S/);
  const report = await doctorJson(p.dir);
  assert.equal(report.configFile, 'budobserve.config.ts');
  assert.match(report.configError, /^budobserve\.config\.ts:3:44: SyntaxError: /);
});

/** A Node the agent does not support (the machine's system node 20), or undefined. */
function unsupportedNode() {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const bin = join(dir, 'node');
    if (!existsSync(bin)) continue;
    const v = spawnSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout?.trim();
    if (/^20\./.test(v ?? '')) return { bin, version: v };
  }
  return undefined;
}

test('regression 15.2: under an unsupported Node (20) doctor says first that the agent will not run and why, and claims nothing loads', async (t) => {
  const node20 = unsupportedNode();
  if (node20 === undefined) return t.skip('no Node 20 on PATH');
  const p = makeProject({
    'budobserve.config.ts':
      "import { defineConfig } from '@budobserve/agent';\nexport default defineConfig({ serviceName: 'ts' as string });\n",
  });
  t.after(p.cleanup);
  const r = await cli(['doctor'], { cwd: p.dir, node: node20.bin });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout.split('\n')[0],
    `The agent will not run here: Node.js ${node20.version} is not supported (needs ^22.18.0 || >=24.11.0); the app runs without the agent.`,
  );
  assert.doesNotMatch(r.stdout, /will load|will start|are printed to stderr/);
  assert.match(r.stdout, /^ {2}http +would load: http, https found$/m);
  assert.match(r.stdout, /no OTLP endpoint: spans would be printed to stderr/);
  assert.match(r.stdout, /^Config file: budobserve\.config\.ts, found but not loaded/m);
  const report = await doctorJson(p.dir, { node: node20.bin });
  assert.match(report.notRunning, /is not supported/);
});

test('doctor: a disabled agent is said not to run, first', async (t) => {
  const r = await cli(['doctor'], { cwd: project(t), env: { OTEL_SDK_DISABLED: 'true' } });
  assert.equal(r.stdout.split('\n')[0], 'The agent will not run here: it is disabled (OTEL_SDK_DISABLED).');
});

test("regression 15.2: doctor does not count the agent's own dependencies as the app's libraries; aws-lambda is idle outside Lambda", async (t) => {
  // npm hoists the agent's @grpc/grpc-js next to the app's packages: the very same folder.
  const own = `${root}node_modules/@grpc/grpc-js`;
  for (const [deps, inLambda, grpc, lambda] of [
    [{}, false, 'idle: @grpc/grpc-js not installed', 'idle: not in AWS Lambda (AWS_LAMBDA_FUNCTION_NAME is unset)'],
    [
      { '@grpc/grpc-js': '*' },
      true,
      'will load: @grpc/grpc-js found',
      'will start with the agent (AWS_LAMBDA_FUNCTION_NAME is set)',
    ],
  ]) {
    const p = makeProject({}, { pkg: { name: 'app', dependencies: { '@budobserve/agent': '*', ...deps } } });
    t.after(p.cleanup);
    mkdirSync(join(p.dir, 'node_modules', '@grpc'), { recursive: true });
    symlinkSync(own, join(p.dir, 'node_modules', '@grpc', 'grpc-js'), 'dir');
    const report = await doctorJson(p.dir, { env: inLambda ? { AWS_LAMBDA_FUNCTION_NAME: 'fn' } : {} });
    const entry = (name) => report.instrumentations.find((i) => i.name === name);
    assert.deepEqual(entry('grpc').installed, grpc.startsWith('idle') ? [] : ['@grpc/grpc-js'], JSON.stringify(deps));
    const status = (name) => entry(name)?.status;
    assert.equal(status('grpc'), grpc, JSON.stringify(deps));
    assert.equal(status('aws-lambda'), lambda);
    assert.equal(status('http'), 'will load: http, https found');
  }
});

test("regression 15.2: doctor's probe posts a valid empty export request in the configured protocol, with the configured headers", async (t) => {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  for (const protocol of ['http/json', 'http/protobuf']) {
    const before = receiver.received.requests.length;
    const r = await cli(['doctor'], {
      cwd: project(t),
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, BUD_OBSERVE_PROTOCOL: protocol, BUD_OBSERVE_TOKEN: 'probe-token' },
    });
    assert.equal(r.code, 0, r.stderr);
    const sent = receiver.received.requests.slice(before);
    assert.deepEqual(sent.map((q) => q.path).sort(), ['/v1/logs', '/v1/metrics', '/v1/traces']);
    for (const q of sent) {
      if (protocol === 'http/json') {
        assert.equal(q.contentType, 'application/json');
        const root = { '/v1/traces': 'resourceSpans', '/v1/metrics': 'resourceMetrics', '/v1/logs': 'resourceLogs' }[
          q.path
        ];
        assert.deepEqual(JSON.parse(q.body.toString('utf8')), { [root]: [] });
      } else {
        assert.equal(q.contentType, 'application/x-protobuf');
        assert.equal(q.bytes, 0, 'an empty ExportServiceRequest is zero bytes');
      }
      assert.equal(q.decodeError, undefined);
      assert.equal(q.headers.authorization, 'Bearer probe-token');
    }
  }
});
