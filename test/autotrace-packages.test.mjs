// Real code under auto-tracing: the test suites that seven npm packages ship in their own
// tarball, run once as they are and once with every one of the package's own modules (and
// its tests) auto-traced, every call a span (min-duration 0, or short). Same TAP results both ways.
// Two of them check the order of events and of async steps: abstract-level's (the storage
// abstraction under level: `status` while opening and closing, deferred operations, `open`
// and `closed` events against callbacks and promises; 18 of its assertions failed when an
// auto-traced async function settled a microtask late) and events' (Node's EventEmitter for
// every engine: listener order, once, prepend, removal during emit).
// The tarballs and their test dependencies come from the npm registry into .cache/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, root, nodeBin, cleanEnv, hasSyncLoadHooks, nodeVersion } from './helpers/run.mjs';
import { pathWith } from './helpers/node-versions.mjs';

const PACKAGES = [
  { name: 'minimist', version: '1.2.8' },
  { name: 'qs', version: '6.14.0' },
  { name: 'deep-equal', version: '2.2.3' },
  { name: 'side-channel', version: '1.1.0' },
  { name: 'call-bind', version: '1.0.8' },
  // `run`: the suite's entry (the package's own test script); `deps`: what its tests import,
  // where its devDependencies are mostly browser and build tooling.
  // `minDuration`: its suite makes ~300,000 calls; every one is still timed, and rewritten.
  { name: 'abstract-level', version: '3.1.1', run: ['test/self.js'], deps: ['tape@^5.9.0'], minDuration: '50us' },
  {
    name: 'events',
    version: '3.3.0',
    run: ['tests/index.js'],
    deps: ['tape@^5.0.0', 'functions-have-names@^1.2.1', 'has@^1.0.3', 'has-symbols@^1.0.1', 'isarray@^2.0.5'],
  },
];
// Tooling the test files do not import: left out to keep the installs small.
const TOOLING =
  /^(@ljharb\/|eslint|nyc|aud$|auto-changelog|npmignore|safe-publish-latest|in-publish|eclint|browserify|@browserify\/|bundle-collapser|common-shakeify|evalmd|typescript|@types\/|@arethetypeswrong\/|@pkgjs\/|tap$|cross-env|npm-run-posix-or-windows|uglify|mkdirp$)/;
const cache = join(root, '.cache', 'packages');
const npm = (args, cwd) => {
  const r = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: cleanEnv({ PATH: pathWith(nodeBin) }),
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

function prepare({ name, version, deps }) {
  const dir = join(cache, `${name}-${version}`);
  if (existsSync(join(dir, '.ready'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tgz = npm(['pack', `${name}@${version}`, '--silent', '--pack-destination', cache], cache)
    .trim()
    .split('\n')
    .pop();
  spawnSync('tar', ['xzf', join(cache, tgz), '-C', dir, '--strip-components=1']);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const testDeps =
    deps ??
    Object.entries(pkg.devDependencies ?? {})
      .filter(([d]) => !TOOLING.test(d))
      .map(([d, v]) => `${d}@${v}`);
  delete pkg.devDependencies;
  delete pkg.scripts;
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  npm(
    [
      'install',
      '--no-save',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      ...testDeps,
    ],
    dir,
  );
  writeFileSync(join(dir, '.ready'), '');
  return dir;
}

/** The TAP result lines that must match: every ok / not ok with its description, the test names, and the totals. */
const results = (out) =>
  out
    .split('\n')
    .filter((l) => /^(not )?ok \d+|^# /.test(l))
    .join('\n');

const skip = hasSyncLoadHooks
  ? false
  : `Node ${nodeVersion} cannot run synchronous load hooks (nodejs/node#59929): the agent warns and does not rewrite there`;

for (const p of PACKAGES) {
  test(
    `${p.name}@${p.version}: its own test suite passes identically with all its modules auto-traced`,
    { timeout: 600_000, skip },
    async (t) => {
      const dir = prepare(p);
      const args = p.run ?? [join(dir, 'node_modules', 'tape', 'bin', 'tape'), 'test/**/*.js'];
      const plain = await runApp({ script: args[0], args: args.slice(1), cwd: dir, preload: [], timeoutMs: 300_000 });
      assert.equal(plain.code, 0, `${p.name} passes without the agent:\n${plain.stdout.slice(-2000)}${plain.stderr}`);
      const receiver = await startReceiver();
      t.after(() => receiver.close());
      const traced = await runApp({
        script: args[0],
        args: args.slice(1),
        cwd: dir,
        timeoutMs: 300_000,
        env: {
          BUD_OBSERVE_ENDPOINT: receiver.url,
          BUD_OBSERVE_AUTOTRACE_MODULES: '**',
          BUD_OBSERVE_AUTOTRACE_MIN_DURATION: p.minDuration ?? '0',
          OTEL_METRICS_EXPORTER: 'none',
          OTEL_BSP_MAX_QUEUE_SIZE: '100000',
          BUD_OBSERVE_INSTRUMENTATIONS: 'http',
        },
      });
      assert.equal(traced.code, plain.code, traced.stderr);
      assert.equal(results(traced.stdout), results(plain.stdout));
      assert.doesNotMatch(traced.stderr, /BUDOBSERVE_/, `no agent warning:\n${traced.stderr.slice(0, 2000)}`);
      const own = receiver.spans.filter((s) => s.attributes['code.file.path'] !== undefined);
      assert.ok(own.length > 20, `the package's functions were traced (${own.length} spans)`);
      t.diagnostic(
        `${p.name}: ${results(plain.stdout)
          .split('\n')
          .filter((l) => /^# (tests|pass|fail)/.test(l))
          .join(', ')}; ${own.length} auto-traced spans`,
      );
    },
  );
}
