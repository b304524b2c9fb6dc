// The README's configuration reference and warning-code table are generated from the
// option table and the error catalog; this fails when either changed without them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { root, nodeBin } from './helpers/run.mjs';

test('README.md is up to date with the option table and the warning codes', () => {
  const r = spawnSync(nodeBin, [`${root}scripts/gen-docs.mjs`, '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('every warning code the sources emit is in the catalog', () => {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const used = new Set();
  for (const f of spawnSync('git', ['ls-files', 'src'], { cwd: root, encoding: 'utf8' }).stdout.trim().split('\n')) {
    for (const m of readFileSync(`${root}${f}`, 'utf8').matchAll(/'(BUDOBSERVE_[A-Z_]+)'/g)) used.add(m[1]);
  }
  assert.ok(used.size > 5);
  for (const c of used) assert.ok(readme.includes(`\`${c}\``), `${c} is documented`);
});
