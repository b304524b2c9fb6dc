// src/hooks/sync-hooks.ts: the agent's version check for synchronous load hooks agrees with
// import-in-the-middle's on the Node running the tests (the matrix runs 22.18, 22.23, 24, 26),
// and on the release boundaries of nodejs/node#59929.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { supportsSyncHooks } from '../src/hooks/sync-hooks.ts';
import { supportsSyncHooks as iitm } from 'import-in-the-middle/supports-sync-hooks.mjs';
import { nodeBin } from './helpers/run.mjs';
import { execFileSync } from 'node:child_process';

test("the agent's check and import-in-the-middle's agree on the Node under test", () => {
  const version = execFileSync(nodeBin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
  const theirs = execFileSync(
    nodeBin,
    [
      '--input-type=module',
      '-e',
      "import('import-in-the-middle/supports-sync-hooks.mjs').then((m) => console.log(m.supportsSyncHooks()))",
    ],
    { encoding: 'utf8' },
  ).trim();
  assert.equal(String(supportsSyncHooks(version)), theirs, version);
  assert.equal(supportsSyncHooks(), iitm(), process.versions.node);
});

test('the release boundaries of nodejs/node#59929', () => {
  const cases = {
    '20.19.0': false,
    '22.15.0': false,
    '22.22.2': false,
    '22.22.3': true,
    '22.23.0': true,
    '23.11.0': false,
    '24.11.0': false,
    '24.11.1': true,
    '24.12.0': true,
    '25.0.0': false,
    '25.1.0': true,
    '26.0.0': true,
    '26.0.0-nightly20260101': true,
    '27.1.0': true,
  };
  for (const [version, expected] of Object.entries(cases)) assert.equal(supportsSyncHooks(version), expected, version);
});
