// The `budobserve` command: help, version, `init` writing the commented config file and
// refusing to clobber one, and `doctor` explaining the configuration and probing the
// collector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closedPort } from './helpers/net.mjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject } from './helpers/project.mjs';
import { doctor } from './helpers/doctor.mjs';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { root, nodeBin, cleanEnv } from './helpers/run.mjs';

const template = readFileSync(`${root}budobserve.config.example.ts`, 'utf8');
const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

// Asynchronous on purpose: `doctor` probes a receiver that lives in this process.
async function cli(args, { cwd = root, env = {} } = {}) {
  const child = spawn(nodeBin, [`${root}dist/cli.mjs`, ...args], { cwd, env: cleanEnv(env) });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  const [code] = await once(child, 'close');
  return { code, stdout, stderr };
}

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
  for (const section of ['Configuration', 'Instrumentations', 'Auto-trace', 'Export']) assert.match(r.stdout, new RegExp(`^${section}`, 'm'), r.stdout);
  assert.match(r.stdout, /^ +serviceName = "demo-app" +<- package\.json name$/m);
});


const exportSection = (stdout) => stdout.slice(stdout.indexOf('\nExport:'));

test('doctor: a closed port is reported unreachable', async (t) => {
  const port = await closedPort();
  const r = await cli(['doctor'], { cwd: project(t), env: { BUD_OBSERVE_ENDPOINT: `http://127.0.0.1:${port}` } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(exportSection(r.stdout), new RegExp(`traces .*http://127\\.0\\.0\\.1:${port}/v1/traces +unreachable \\(ECONNREFUSED\\)`), r.stdout);
});

test('doctor: a live collector answers', async (t) => {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const r = await cli(['doctor'], { cwd: project(t), env: { BUD_OBSERVE_ENDPOINT: receiver.url } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(exportSection(r.stdout), new RegExp(`traces .*${receiver.url.replaceAll('.', '\\.')}/v1/traces +answers \\(HTTP 200\\)`), r.stdout);
  assert.ok(receiver.received.requests.some((q) => q.path === '/v1/traces'), 'the probe reached the collector');
});
