// The agent's own V8 code cache of its bundles (src/hooks/code-cache.ts): made once the
// start and the app's first work have run, used by the next process, keyed so that an edited
// bundle never runs the code it had before, and harmless when it is garbage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, runApp } from './helpers/run.mjs';

const APP = [
  "const http = require('node:http');",
  "const boot = require.resolve(process.env.AGENT + '/dist/boot.cjs');",
  "const vendorApi = require(process.env.AGENT + '/dist/lazy/vendor-api.cjs');",
  // The chunks share the start bundle's copies: one module, not a second evaluation.
  "console.log(require.cache[boot]?.loaded === true && vendorApi === require(boot).vendorApi ? 'shared' : 'copied');",
  'console.log(typeof http.get);',
].join('\n');

/** A copy of the package (its dist/ and register files) whose bundle a test may edit. */
function agentCopy() {
  const dir = mkdtempSync(join(tmpdir(), 'bud-code-cache-'));
  const agent = join(dir, 'agent');
  for (const f of ['package.json', 'register.mjs', 'register.cjs', 'loader.mjs']) cpSync(join(root, f), join(agent, f));
  cpSync(join(root, 'dist'), join(agent, 'dist'), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(agent, 'node_modules'), 'dir');
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  writeFileSync(join(dir, 'app.cjs'), APP);
  return { dir, agent, tmp, app: join(dir, 'app.cjs'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function run(copy, env = {}) {
  return runApp({
    script: copy.app,
    cwd: copy.dir,
    preload: ['--import', join(copy.agent, 'register.mjs')],
    env: { TMPDIR: copy.tmp, AGENT: copy.agent, NODE_DEBUG: 'budobserve', BUD_OBSERVE_CONSOLE: 'false', ...env },
  });
}

/** What the debug log says about each file: used, missing or rejected. */
function verdicts(stderr) {
  const out = {};
  for (const m of stderr.matchAll(/code cache (used|missing|rejected) for (\S+):/g))
    out[m[2].split('/dist/')[1]] = m[1];
  return out;
}

const entries = (copy) =>
  readdirSync(join(copy.tmp, 'node-compile-cache')).filter((n) => n.startsWith('budobserve-code-'));

test('the first process writes an entry for each bundle it loaded; the next one uses them', async () => {
  const copy = agentCopy();
  try {
    const first = await run(copy);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'shared\nfunction\n');
    const v1 = verdicts(first.stderr);
    assert.equal(v1['boot.cjs'], 'missing', first.stderr);
    assert.equal(v1['lazy/instrumentation-http.cjs'], 'missing', first.stderr);
    const written = entries(copy);
    assert.equal(written.length, Object.keys(v1).length, `one entry per bundle loaded\n${first.stderr}`);
    for (const name of written) {
      const st = statSync(join(copy.tmp, 'node-compile-cache', name));
      assert.equal(st.mode & 0o777, 0o600, `${name}: this user's alone`);
    }
    const second = await run(copy);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, 'shared\nfunction\n');
    const v2 = verdicts(second.stderr);
    assert.deepEqual(Object.keys(v2).sort(), Object.keys(v1).sort());
    for (const [file, verdict] of Object.entries(v2)) assert.equal(verdict, 'used', `${file}\n${second.stderr}`);
    assert.deepEqual(entries(copy), written, 'nothing rewritten');
  } finally {
    copy.cleanup();
  }
});

test('regression: a bundle edited to the same length runs as edited, not from the old entry', async () => {
  // V8 checks a code cache against the source's length only: an entry keyed by less than the
  // file's identity would run the start as it was before the edit.
  const copy = agentCopy();
  try {
    const first = await run(copy);
    assert.match(first.stderr, /BUDOBSERVE \d+: start at /);
    const boot = join(copy.agent, 'dist', 'boot.cjs');
    const source = readFileSync(boot, 'utf8');
    assert.ok(source.includes('debug("start at %s ms"'), 'the start logs its debug line');
    const edited = source.replace('debug("start at %s ms"', 'debug("START AT %s MS"');
    assert.equal(edited.length, source.length);
    writeFileSync(boot, edited);
    const second = await run(copy);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /BUDOBSERVE \d+: START AT /, second.stderr);
    assert.equal(verdicts(second.stderr)['boot.cjs'], 'missing');
  } finally {
    copy.cleanup();
  }
});

test('an entry that is garbage is rejected, the app runs the same, and the entry is made again', async () => {
  const copy = agentCopy();
  try {
    const first = await run(copy);
    assert.equal(first.code, 0, first.stderr);
    const dir = join(copy.tmp, 'node-compile-cache');
    for (const name of entries(copy)) writeFileSync(join(dir, name), Buffer.alloc(4096, 0x5a));
    const second = await run(copy);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, 'shared\nfunction\n');
    assert.doesNotMatch(second.stderr, /BUDOBSERVE_/, 'no warning: the cache only saves time');
    for (const [file, verdict] of Object.entries(verdicts(second.stderr)))
      assert.equal(verdict, 'rejected', `${file}\n${second.stderr}`);
    const third = await run(copy);
    for (const [file, verdict] of Object.entries(verdicts(third.stderr)))
      assert.equal(verdict, 'used', `${file}\n${third.stderr}`);
  } finally {
    copy.cleanup();
  }
});

test('BUD_OBSERVE_COMPILE_CACHE=false: no entry written, the bundles are require()d', async () => {
  const copy = agentCopy();
  try {
    const r = await run(copy, { BUD_OBSERVE_COMPILE_CACHE: 'false' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'shared\nfunction\n');
    assert.deepEqual(verdicts(r.stderr), {});
    assert.deepEqual(readdirSync(copy.tmp), []);
  } finally {
    copy.cleanup();
  }
});

test("writing an entry removes the agent's entries last written over a week ago, and nothing else", async () => {
  const copy = agentCopy();
  try {
    const dir = join(copy.tmp, 'node-compile-cache');
    mkdirSync(dir, { mode: 0o700 });
    const week = Date.now() / 1000 - 8 * 24 * 3600;
    const plant = (name, old) => {
      writeFileSync(join(dir, name), 'x', { mode: 0o600 });
      if (old) utimesSync(join(dir, name), week, week);
    };
    plant('budobserve-code-v0.0.0-old.cache', true);
    plant('budobserve-code-v0.0.0-young.cache', false);
    plant('someone-elses-old-file', true);
    const r = await run(copy);
    assert.equal(r.code, 0, r.stderr);
    const names = readdirSync(dir);
    assert.ok(!names.includes('budobserve-code-v0.0.0-old.cache'), names.join(' '));
    assert.ok(names.includes('budobserve-code-v0.0.0-young.cache'));
    assert.ok(names.includes('someone-elses-old-file'));
    assert.ok(entries(copy).length > 1, 'the new entries are written');
  } finally {
    copy.cleanup();
  }
});
