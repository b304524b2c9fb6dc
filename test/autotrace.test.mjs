// Auto-tracing as users run it: a selected app's own ES and CommonJS modules, a dynamic
// import, compiled TypeScript selected through its source map, error positions unchanged,
// a module the rewrite cannot parse, the rewrite cache, worker threads and child processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, register, hasSyncLoadHooks, nodeVersion } from './helpers/run.mjs';

const dir = `${fixtures}autotrace-app/`;
const cacheDir = join(dir, 'node_modules/.cache/budobserve/autotrace');
// A project with dependencies: the agent caches into node_modules/.cache only when the
// project already has a node_modules/ (it never creates one: issue 14.1).
mkdirSync(join(dir, 'node_modules'), { recursive: true });
// The app imports dist/price.js, compiled here the way tsc or esbuild would, with its map.
mkdirSync(join(dir, 'dist'), { recursive: true });
const compiled = transformSync(readFileSync(join(dir, 'src/ts/price.ts'), 'utf8'), {
  loader: 'ts',
  format: 'esm',
  sourcemap: 'external',
  sourcefile: '../src/ts/price.ts',
});
writeFileSync(join(dir, 'dist/price.js'), `${compiled.code}//# sourceMappingURL=price.js.map\n`);
writeFileSync(join(dir, 'dist/price.js.map'), compiled.map);

const env = (receiver, extra = {}) => ({
  BUD_OBSERVE_ENDPOINT: receiver.url,
  BUD_OBSERVE_AUTOTRACE_MODULES: 'src/**',
  BUD_OBSERVE_AUTOTRACE_MIN_DURATION: '60ms',
  ...extra,
});

async function traced(script, extra) {
  const receiver = await startReceiver();
  try {
    const r = await runApp({ script: `${dir}${script}`, cwd: dir, env: env(receiver, extra) });
    return { r, spans: receiver.spans };
  } finally {
    await receiver.close();
  }
}

const skip = hasSyncLoadHooks
  ? false
  : `Node ${nodeVersion} cannot run synchronous load hooks (nodejs/node#59929): the agent warns and does not rewrite there`;

test('the app behaves the same and its slow functions become spans', { skip }, async () => {
  rmSync(cacheDir, { recursive: true, force: true });
  const plain = await runApp({ script: `${dir}app.mjs`, cwd: dir, preload: [] });
  const { r, spans } = await traced('app.mjs');
  assert.equal(r.code, plain.code, r.stderr);
  assert.equal(r.stdout, plain.stdout, 'same output, and the error points at the same file:line:column');
  assert.equal(r.stderr, '');
  const names = spans
    .filter((s) => s.name.startsWith('Calling '))
    .map((s) => s.name)
    .sort();
  assert.deepEqual(
    names,
    ['Calling UserService.getUser', 'Calling runJob', 'Calling slow', 'Calling total'],
    'slow selected functions only: not formatName (fast), not lib/ (unselected)',
  );
  const getUser = spans.find((s) => s.name === 'Calling UserService.getUser');
  assert.equal(getUser.attributes['code.function.name'], 'UserService.getUser');
  assert.equal(getUser.attributes['code.file.path'], 'src/services/user.js');
  assert.equal(getUser.attributes['code.line.number'], 3);
  const total = spans.find((s) => s.name === 'Calling total');
  assert.equal(total.attributes['code.file.path'], 'src/ts/price.ts', 'compiled code reports its TypeScript source');
  assert.equal(total.attributes['code.line.number'], 4);
});

test('the rewrite cache: entries are private, reused, and a tampered one is rebuilt, not run', { skip }, async () => {
  const before = readdirSync(cacheDir).filter((f) => f.endsWith('.json'));
  assert.ok(before.length >= 3, `cache entries: ${before}`);
  assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
  assert.equal(statSync(join(cacheDir, before[0])).mode & 0o777, 0o600);
  for (const f of before) {
    const entry = JSON.parse(readFileSync(join(cacheDir, f), 'utf8'));
    entry.code = entry.code.replace(/user-\$\{id\}/, 'tampered-${id}').replace('slow done', 'tampered');
    writeFileSync(join(cacheDir, f), JSON.stringify(entry));
  }
  const plain = await runApp({ script: `${dir}app.mjs`, cwd: dir, preload: [] });
  const { r, spans } = await traced('app.mjs');
  assert.equal(r.stdout, plain.stdout, 'altered entries were not executed');
  assert.ok(spans.some((s) => s.name === 'Calling slow'));
  for (const f of before) {
    const entry = JSON.parse(readFileSync(join(cacheDir, f), 'utf8'));
    assert.ok(!entry.code.includes('tampered'), `${f} rebuilt`);
  }
});

test('a module the rewrite cannot parse loads unchanged, with one warning naming it', { skip }, async () => {
  writeFileSync(
    join(dir, 'src/services/deep.js'),
    `export const data = ${'['.repeat(1200)}1${']'.repeat(1200)};\nexport function f() { return data; }\n`,
  );
  const plain = await runApp({ script: `${dir}deep.mjs`, cwd: dir, preload: [] });
  const { r } = await traced('deep.mjs');
  assert.equal(r.code, plain.code);
  assert.equal(r.stdout, plain.stdout);
  const warnings = r.stderr.split('\n').filter((l) => l.includes('BUDOBSERVE_'));
  assert.equal(warnings.length, 1, r.stderr);
  assert.match(warnings[0], /BUDOBSERVE_AUTOTRACE_FAILED.*src\/services\/deep\.js/);
});

test('worker threads and child processes (through NODE_OPTIONS) are auto-traced too', { skip }, async () => {
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: `${dir}threads.mjs`,
      cwd: dir,
      preload: [],
      env: { ...env(receiver), NODE_OPTIONS: `--import ${register}` },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'worker slow done\nchild slow done\n');
    const slow = receiver.spans.filter((s) => s.name === 'Calling slow');
    assert.equal(slow.length, 2, 'one from the worker, one from the child');
    assert.notEqual(
      slow[0].resource['process.pid'] === slow[1].resource['process.pid'] && slow[0].resource['service.instance.id'],
      slow[1].resource['service.instance.id'],
    );
  } finally {
    await receiver.close();
  }
});
