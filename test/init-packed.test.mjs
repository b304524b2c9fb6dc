// The first ten minutes, with the package as a user gets it: the packed tarball installed
// once, then, in projects made by `npm init -y` ("type": "commonjs" with npm 11) and changed
// to "type": "module" or no type: `budobserve init`, the app with --import and --require,
// and `budobserve doctor`. The projects sit below the install, so Node finds the package
// as it would in their own node_modules.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures } from './helpers/run.mjs';
import { npm, packAndInstall } from './helpers/pack.mjs';
import { cli } from './helpers/cli.mjs';
import { editTemplate } from './helpers/init-template.mjs';

const SERVER = 2;
const tmp = mkdtempSync(join(tmpdir(), 'bud-init-packed-'));
let base;
let bin;
let receiver;

before(
  async () => {
    base = packAndInstall(tmp, 'base', { name: 'base', private: true });
    bin = join(base, 'node_modules/.bin/budobserve');
    receiver = await startReceiver();
  },
  { timeout: 360_000 },
);

after(async () => {
  await receiver?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A project as `npm init -y` makes it, then given `type` ('commonjs' as npm writes it). */
function project(name, type) {
  const dir = join(base, name);
  mkdirSync(dir);
  npm(['init', '-y'], dir);
  if (type === undefined) npm(['pkg', 'delete', 'type'], dir);
  else npm(['pkg', 'set', `type=${type}`], dir);
  copyFileSync(`${fixtures}http/app.mjs`, join(dir, 'app.mjs'));
  copyFileSync(`${fixtures}http/app.cjs`, join(dir, 'app.cjs'));
  return dir;
}

for (const type of ['commonjs', 'module', undefined]) {
  const kind = type === undefined ? 'a typeless' : `a "type": "${type}"`;
  // Only the CommonJS project failed before (ES module syntax in a "type": "commonjs" .ts).
  const prefix = type === 'commonjs' ? 'regression 15.1: ' : 'installed package: ';
  test(`${prefix}budobserve.config.ts written by init loads in ${kind} project (installed package: init, the app with --import and --require, doctor)`, async () => {
    const dir = project(`app-${type ?? 'typeless'}`, type);
    assert.equal(
      JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).type,
      type,
      'npm wrote the type under test',
    );
    const init = await cli(['init'], { cwd: dir, bin });
    assert.equal(init.code, 0, init.stderr);
    const file = join(dir, 'budobserve.config.ts');
    const serviceName = `packed-init-${type ?? 'typeless'}`;
    writeFileSync(
      file,
      editTemplate(readFileSync(file, 'utf8'), { serviceName, endpoint: receiver.url, typescript: true }),
    );

    for (const [script, flag] of [
      ['app.mjs', '--import'],
      ['app.cjs', '--require'],
    ]) {
      const before = receiver.spans.length;
      const r = await runApp({ script: join(dir, script), preload: [flag, '@budobserve/agent/register'], cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '200 hello /greet?name=bud\n');
      assert.equal(r.stderr, '', `${flag}: no warning`);
      const spans = await receiver.waitFor((s) => s.slice(before).some((x) => x.kind === SERVER));
      assert.equal(
        spans.slice(before).find((x) => x.kind === SERVER).resource['service.name'],
        serviceName,
        `${flag}: the file's serviceName`,
      );
    }

    const doctor = await cli(['doctor', '--json'], { cwd: dir, bin });
    assert.equal(doctor.code, 0, doctor.stderr);
    const report = JSON.parse(doctor.stdout);
    assert.equal(report.configFile, 'budobserve.config.ts');
    assert.equal(report.configError, null);
    assert.deepEqual(report.problems, []);
    assert.equal(report.values.find((v) => v.option === 'serviceName').value, serviceName);
    // regression 15.2: npm hoisted the agent's own @grpc/grpc-js next to the app's packages.
    const status = (name) => report.instrumentations.find((i) => i.name === name)?.status;
    assert.equal(status('grpc'), 'idle: @grpc/grpc-js not installed');
    assert.equal(status('aws-lambda'), 'idle: not in AWS Lambda (AWS_LAMBDA_FUNCTION_NAME is unset)');
    assert.equal(status('http'), 'will load: http, https found');
  });
}
