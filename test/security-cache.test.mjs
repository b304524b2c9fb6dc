// The on-disk caches against another local user (SECURITY.md, "Caches on disk"): the
// auto-trace rewrite cache and Node's compile cache are used only in folders the victim
// alone can write, entries anyone else could have written never run, and no node_modules/
// appears in a project without one. Two real users: the victim (uid 1234) runs the app
// through setpriv, the attacker (uid 65534) prepares folders and entries through setpriv
// too, except where only root could make the state (then root stands in, and says so).
// Every run checks the app's output, that no planted line ran, and the warnings, by folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, root, register, registerCjs, nodeBin, hasSyncLoadHooks, nodeVersion } from './helpers/run.mjs';

const VICTIM = 1234;
const ATTACKER = 65534;
const as = (uid) => [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
const sh = (uid, ...cmd) => spawnSync('setpriv', [...as(uid), ...cmd], { encoding: 'utf8' });

// Two users need root and setpriv; the auto-trace cases also need synchronous load hooks.
const skipUsers = (() => {
  if (process.getuid?.() !== 0 || spawnSync('setpriv', ['--version']).status !== 0)
    return 'needs root and setpriv, to run as two users';
  if (sh(VICTIM, 'test', '-r', join(root, 'dist/boot.cjs')).status !== 0 || sh(VICTIM, nodeBin, '-e', '0').status !== 0)
    return 'the checkout and its Node are not readable by other users';
  return false;
})();
const skip =
  skipUsers || (hasSyncLoadHooks ? false : `Node ${nodeVersion} cannot run synchronous load hooks (nodejs/node#59929)`);

// CI runs as root with setpriv (.ci/run): there the two-user tests must run, not skip.
test('CI runs the two-user cache tests', { skip: process.env.CI ? false : 'outside CI' }, () => {
  assert.equal(skipUsers, false, `the two-user tests would skip: ${skipUsers}`);
});

// The fixtures: a folder every user can enter, an app (root's, read-only to the others,
// like a container's /app) with three selected modules, and one temp folder per case that
// stands for /tmp (root's, 1777).
const base = mkdtempSync(join(tmpdir(), 'bud-sec-cache-'));
chmodSync(base, 0o755);
const MODULES = ['a', 'b', 'c'];
const OUTPUT = MODULES.map((m) => `${m} done\n`).join('');
const PLANTED = "console.log('PWNED: attacker code runs as uid ' + process.getuid());\n";

function makeApp(name, owner = 0, { nodeModules = false } = {}) {
  const dir = join(base, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', private: true }));
  for (const m of MODULES)
    writeFileSync(
      join(dir, 'src', `${m}.mjs`),
      `export function step${m.toUpperCase()}() {\n  return '${m} done';\n}\n`,
    );
  writeFileSync(
    join(dir, 'app.mjs'),
    `${MODULES.map((m) => `import { step${m.toUpperCase()} } from './src/${m}.mjs';`).join('\n')}\n${MODULES.map((m) => `console.log(step${m.toUpperCase()}());`).join('\n')}\n`,
  );
  writeFileSync(
    join(dir, 'compile-cache.mjs'),
    "import { getCompileCacheDir } from 'node:module';\nconsole.log(String(getCompileCacheDir()));\n",
  );
  if (nodeModules) mkdirSync(join(dir, 'node_modules'));
  spawnSync('chown', ['-R', `${owner}:${owner}`, dir]);
  return dir;
}

let tmpCount = 0;
function makeTmp({ mode = 0o1777, group = 0 } = {}) {
  const dir = join(base, `tmp-${++tmpCount}`);
  mkdirSync(dir);
  chownSync(dir, 0, group);
  chmodSync(dir, mode);
  return dir;
}

async function victim(app, tmp, { script = 'app.mjs', env = {}, preload = ['--import', register] } = {}) {
  const autoTrace = script === 'app.mjs' ? { BUD_OBSERVE_AUTOTRACE_MODULES: 'src/**' } : {};
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      node: 'setpriv',
      preload: [...as(VICTIM), nodeBin, ...preload],
      script: join(app, script),
      cwd: app,
      env: { TMPDIR: tmp, HOME: app, BUD_OBSERVE_ENDPOINT: receiver.url, ...autoTrace, ...env },
    });
    return { ...r, spans: receiver.spans, warnings: r.stderr.split('\n').filter((l) => l.includes('[BUDOBSERVE_')) };
  } finally {
    await receiver.close();
  }
}

/** The app ran as without the agent, every module auto-traced, and nothing planted ran. */
function assertClean(r) {
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, OUTPUT, `the app's own output only\n${r.stderr}`);
  assert.ok(!`${r.stdout}${r.stderr}`.includes('PWNED'), 'planted code never runs');
  const names = r.spans
    .map((s) => s.name)
    .filter((n) => n.startsWith('Calling '))
    .sort();
  assert.deepEqual(
    names,
    MODULES.map((m) => `Calling step${m.toUpperCase()}`),
    'auto-tracing works without the cache',
  );
}

/** Exactly one warning per rejected folder or entry: [path, reason pattern] pairs. */
function assertWarnings(r, expected) {
  assert.equal(r.warnings.length, expected.length, r.stderr);
  for (const [path, reason] of expected) {
    // A warning cuts a long path in its middle: the path is known by its end.
    const lines = r.warnings.filter((l) => l.includes(`${path.slice(-16)}" is not used`));
    assert.equal(lines.length, 1, `one warning for ${path}\n${r.stderr}`);
    assert.match(lines[0], /\[BUDOBSERVE_CACHE_UNTRUSTED\]/);
    assert.match(lines[0], reason);
  }
}

const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const app = skipUsers ? '' : makeApp('app');
let cacheName = `budobserve-autotrace-${VICTIM}`;
/** The attacker's entries: exactly those the victim computes (same key, a valid hash), with a line of theirs. */
const planted = skip
  ? {}
  : await (async () => {
      const tmp = makeTmp();
      const r = await victim(app, tmp);
      assert.equal(r.stdout, OUTPUT, r.stderr);
      // The folder's name as the victim's agent picks it (before issue 14 a uid without a
      // passwd entry, like 1234 here, got budobserve-autotrace-user).
      cacheName = readdirSync(tmp).find((n) => n.startsWith('budobserve-autotrace-')) ?? cacheName;
      const dir = join(tmp, cacheName);
      const out = {};
      for (const file of readdirSync(dir)) {
        const entry = JSON.parse(readFileSync(join(dir, file), 'utf8'));
        const code = `${PLANTED}${entry.code}`;
        out[file] = JSON.stringify({ key: entry.key, hash: sha256(code), code });
      }
      assert.equal(Object.keys(out).length, MODULES.length);
      return out;
    })();

/** Runs as the attacker: makes `dir` (with `mode`) unless it exists, and writes the planted entries into it. */
function attackerPlants(dir, mode) {
  const r = sh(
    ATTACKER,
    nodeBin,
    '-e',
    `const fs = require('node:fs'); const [dir, mode, entries] = JSON.parse(process.argv[1]);
if (!fs.existsSync(dir)) { fs.mkdirSync(dir); fs.chmodSync(dir, mode); }
for (const [f, text] of Object.entries(entries)) fs.writeFileSync(dir + '/' + f, text);`,
    JSON.stringify([dir, mode, planted]),
  );
  assert.equal(r.status, 0, r.stderr);
}

/** The private folder the victim fell back to: its own, 0700, entries 0600. */
function privateFolder(tmp) {
  const found = readdirSync(tmp).filter((n) => n.startsWith(`${cacheName}-`));
  assert.equal(found.length, 1, `one private folder: ${found}`);
  const dir = join(tmp, found[0]);
  assertPrivate(dir);
  return dir;
}

function assertPrivate(dir) {
  const st = lstatSync(dir);
  assert.ok(st.isDirectory());
  assert.equal(st.uid, VICTIM);
  assert.equal(st.mode & 0o777, 0o700);
  const entries = readdirSync(dir);
  assert.equal(entries.length, MODULES.length, `${entries}`);
  for (const f of entries) {
    const e = lstatSync(join(dir, f));
    assert.ok(e.isFile(), f);
    assert.equal(e.uid, VICTIM, f);
    assert.equal(e.mode & 0o777, 0o600, f);
    assert.ok(!readFileSync(join(dir, f), 'utf8').includes('PWNED'), `${f} is the victim's own rewrite`);
  }
}

test.after(() => rmSync(base, { recursive: true, force: true }));

test(
  'regression: a planted auto-trace cache entry in a world-writable folder never runs (issue 14.1)',
  { skip },
  async () => {
    // The report's attack: the attacker pre-creates the victim's temp cache folder, 0777, and
    // plants the entries the victim will look up; the app (root's) cannot hold node_modules/.cache.
    const tmp = makeTmp();
    const folder = join(tmp, cacheName);
    attackerPlants(folder, 0o777);
    const r = await victim(app, tmp);
    assertClean(r);
    assertWarnings(r, [[folder, /belongs to uid 65534, not 1234/]]);
    privateFolder(tmp);
    // The private folder is kept and reused: the next run reads every module from it.
    const again = await victim(app, tmp, { env: { NODE_DEBUG: 'budobserve' } });
    assertClean(again);
    assertWarnings(again, [[folder, /belongs to uid 65534/]]);
    assert.equal(again.stderr.match(/auto-trace cache hit/g)?.length, MODULES.length, again.stderr);
    privateFolder(tmp);
  },
);

test('a foreign-owned cache folder the victim can write (a shared group) is not used', { skip }, async () => {
  const tmp = makeTmp();
  const folder = join(tmp, cacheName);
  attackerPlants(folder, 0o755);
  // Root stands in for a group both users share: the attacker cannot give a folder to a group of the victim's.
  chownSync(folder, ATTACKER, VICTIM);
  chmodSync(folder, 0o775);
  const r = await victim(app, tmp);
  assertClean(r);
  assertWarnings(r, [[folder, /belongs to uid 65534/]]);
  privateFolder(tmp);
});

test("a world-writable (0777) cache folder of the victim's own is not used", { skip }, async () => {
  const tmp = makeTmp();
  const folder = join(tmp, cacheName);
  mkdirSync(folder);
  chownSync(folder, VICTIM, VICTIM);
  chmodSync(folder, 0o777);
  attackerPlants(folder); // the folder exists: the attacker only writes the entries
  const r = await victim(app, tmp);
  assertClean(r);
  assertWarnings(r, [[folder, /others can write it \(mode 0777\)/]]);
  privateFolder(tmp);
});

test('a cache folder below a group-writable parent is not used', { skip }, async () => {
  // TMPDIR is writable by the attacker's group and not sticky: they could swap the victim's
  // folder at any time. Root stands in for the swap, leaving entries of the victim's owner.
  // (The victim cannot write TMPDIR itself: no compile cache folder, and nothing to warn of.)
  const tmp = makeTmp({ mode: 0o775, group: ATTACKER });
  const folder = join(tmp, cacheName);
  mkdirSync(folder, { mode: 0o700 });
  for (const [f, text] of Object.entries(planted)) writeFileSync(join(folder, f), text, { mode: 0o600 });
  spawnSync('chown', ['-R', `${VICTIM}:${VICTIM}`, folder]);
  const r = await victim(app, tmp);
  assertClean(r);
  const parent = /its parent ".*tmp-\d+": its group can write it \(mode 0775\)/;
  assertWarnings(r, [[folder, parent]]);
  assert.match(r.warnings[0], /no rewrite cache$/);
  assert.deepEqual(
    readdirSync(tmp).filter((n) => n.startsWith(`${cacheName}-`)),
    [],
    'no private folder is made where it could not be trusted either',
  );
});

test("a symlink swap: the cache path is a link to the attacker's folder", { skip }, async () => {
  const tmp = makeTmp();
  const folder = join(tmp, cacheName);
  attackerPlants(join(tmp, 'evil'), 0o777);
  assert.equal(sh(ATTACKER, 'ln', '-s', join(tmp, 'evil'), folder).status, 0);
  const r = await victim(app, tmp);
  assertClean(r);
  assertWarnings(r, [[folder, /it is a symbolic link/]]);
  privateFolder(tmp);
  assert.deepEqual(
    readdirSync(join(tmp, 'evil')).sort(),
    Object.keys(planted).sort(),
    "nothing written into the attacker's folder",
  );
});

test(
  "planted entries in the victim's own private folder never run: another owner, a link, a mode others can write",
  { skip },
  async () => {
    // Only root (or a hole elsewhere) could put these into a 0700 folder of the victim's.
    const tmp = makeTmp();
    const folder = join(tmp, cacheName);
    mkdirSync(folder, { mode: 0o700 });
    const [foreign, linked, open] = Object.keys(planted);
    writeFileSync(join(folder, foreign), planted[foreign], { mode: 0o644 });
    chownSync(join(folder, foreign), ATTACKER, ATTACKER);
    attackerPlants(join(tmp, 'evil'), 0o755);
    spawnSync('ln', ['-s', join(tmp, 'evil', linked), join(folder, linked)]);
    writeFileSync(join(folder, open), planted[open]);
    chmodSync(join(folder, open), 0o666);
    spawnSync('chown', ['-h', `${VICTIM}:${VICTIM}`, folder, join(folder, linked), join(folder, open)]);
    const r = await victim(app, tmp);
    assertClean(r);
    assertWarnings(r, [
      [join(folder, foreign), /belongs to uid 65534/],
      [join(folder, linked), /it is a symbolic link/],
      [join(folder, open), /others can write it \(mode 0666\)/],
    ]);
    assertPrivate(folder); // each replaced by the victim's own rewrite, atomically
  },
);

test(
  'regression: the agent never creates node_modules/ in a project that has none (issue 14.1)',
  { skip },
  async () => {
    const own = makeApp('own-app', VICTIM);
    const tmp = makeTmp();
    const r = await victim(own, tmp);
    assertClean(r);
    assert.deepEqual(r.warnings, []);
    assert.ok(!existsSync(join(own, 'node_modules')), 'no node_modules/ created');
    assertPrivate(join(tmp, cacheName));
  },
);

test(
  'a legitimate cache is used: node_modules/.cache when the project has node_modules/, and the second run reads every module from it',
  { skip },
  async () => {
    const own = makeApp('own-app-with-modules', VICTIM, { nodeModules: true });
    const tmp = makeTmp();
    const first = await victim(own, tmp);
    assertClean(first);
    assert.deepEqual(first.warnings, []);
    const folder = join(own, 'node_modules/.cache/budobserve/autotrace');
    assertPrivate(folder);
    const second = await victim(own, tmp, { env: { NODE_DEBUG: 'budobserve' } });
    assertClean(second);
    assert.deepEqual(second.warnings, []);
    assert.equal(second.stderr.match(/auto-trace cache hit/g)?.length, MODULES.length, second.stderr);
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith('budobserve-')),
      [],
      'nothing in the temp folder',
    );
  },
);

test(
  "regression: Node's compile cache is never switched on in a folder another user can write (issue 14.1)",
  { skip: skipUsers },
  async () => {
    const cases = [
      [
        'owned by the attacker, 0777',
        (dir) => assert.equal(sh(ATTACKER, 'sh', '-c', `mkdir ${dir} && chmod 777 ${dir}`).status, 0),
        /belongs to uid 65534/,
      ],
      [
        "the victim's own, 0777",
        (dir) => {
          mkdirSync(dir);
          chownSync(dir, VICTIM, VICTIM);
          chmodSync(dir, 0o777);
        },
        /others can write it \(mode 0777\)/,
      ],
      [
        "a link to the attacker's folder",
        (dir) =>
          assert.equal(sh(ATTACKER, 'sh', '-c', `mkdir -m 777 ${dir}.evil && ln -s ${dir}.evil ${dir}`).status, 0),
        /it is a symbolic link/,
      ],
    ];
    for (const [label, prepare, reason] of cases) {
      for (const preload of [
        ['--import', register],
        ['--require', registerCjs],
      ]) {
        const tmp = makeTmp();
        const dir = join(tmp, 'node-compile-cache');
        prepare(dir);
        const r = await victim(app, tmp, { script: 'compile-cache.mjs', preload });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'undefined\n', `${label} (${preload[0]}): compile cache off\n${r.stderr}`);
        assertWarnings(r, [[dir, reason]]);
        assert.deepEqual(readdirSync(dir), [], `${label}: nothing written into it`);
      }
    }
  },
);

test(
  "Node's compile cache and the agent's code cache: made private (0700) in the temp folder when missing, and used",
  { skip: skipUsers },
  async () => {
    const tmp = makeTmp();
    const r = await victim(app, tmp, { script: 'compile-cache.mjs' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.warnings, []);
    const dir = join(tmp, 'node-compile-cache');
    assert.ok(r.stdout.startsWith(`${dir}/`), r.stdout);
    const st = statSync(dir);
    assert.equal(st.uid, VICTIM);
    assert.equal(st.mode & 0o777, 0o700);
    assert.ok(readdirSync(join(r.stdout.trim())).length > 0, "the app's modules are in Node's cache");
    const own = readdirSync(dir).filter((n) => n.startsWith('budobserve-code-'));
    assert.ok(own.length > 0, "the agent's code cache entries are beside it");
    for (const name of own) {
      const entry = statSync(join(dir, name));
      assert.equal(entry.uid, VICTIM, name);
      assert.equal(entry.mode & 0o777, 0o600, name);
    }
  },
);
