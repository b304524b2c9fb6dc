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

test('the warning codes: the catalog, the codes the sources emit and the README table are one set', async () => {
  const { codes } = await import('../src/errors.ts');
  const catalog = Object.keys(codes).sort();
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const used = new Set();
  for (const f of spawnSync('git', ['ls-files', 'src'], { cwd: root, encoding: 'utf8' }).stdout.trim().split('\n')) {
    for (const m of readFileSync(`${root}${f}`, 'utf8').matchAll(/'(BUDOBSERVE_[A-Z_]+)'/g)) used.add(m[1]);
  }
  // Every code the sources emit is in the catalog, and every code in the catalog is emitted
  // somewhere: a code nothing emits is documentation of a warning that cannot happen.
  assert.deepEqual([...used].sort(), catalog);
  // The README's table lists exactly the catalog, and its prose names no other code.
  const table = [...readme.matchAll(/^\| `(BUDOBSERVE_[A-Z_]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual(table, Object.keys(codes), 'the table, in catalog order');
  assert.deepEqual(
    [...new Set(readme.match(/\bBUDOBSERVE_[A-Z_]+/g))].filter((c) => !(c in codes)),
    [],
    'codes the README names that do not exist',
  );
});
