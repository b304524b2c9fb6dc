// The whole suite again, with every child process on another supported Node: the oldest
// 22 (22.18.0, which needs the off-thread import-in-the-middle loader), the newest 22 and
// the newest 26. The test runner itself stays on the project's Node 24; BUD_TEST_NODE
// tells the helpers which Node runs the apps under test. Run by .ci/run after `npm test`.
//   node scripts/test-matrix.mjs [version ...]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureNode } from '../test/helpers/node-versions.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const versions = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['22.18.0', '22.23.3', '26.10.0'];
const dirs = { '22.18.0': 'node22.18', '22.23.3': 'node22', '26.10.0': 'node26' };
let failed = 0;
for (const version of versions) {
  const bin = ensureNode(version, dirs[version]);
  console.log(`\n# Suite with apps on Node ${version} (${bin})`);
  const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', 'test/*.test.mjs'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    env: { ...process.env, BUD_TEST_NODE: bin },
  });
  const summary = r.stdout
    .split('\n')
    .filter((l) => /^ℹ (tests|pass|fail|todo|skipped) /.test(l) || /^✖|^\s+(AssertionError|Error)/.test(l));
  console.log(summary.join('\n'));
  if (r.status !== 0) failed++;
}
console.log(`\nmatrix: ${versions.length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
