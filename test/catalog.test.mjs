// The checked-in instrumentation catalog matches the installed
// @opentelemetry/auto-instrumentations-node, and the build ships a loadable chunk for every
// entry: an instrumentation the catalog names but the build lacks would fail only when an
// app loads its library. The catalog is plain data; it is imported here as the build imports it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { root, nodeBin } from './helpers/run.mjs';
import { catalog } from '../src/integrations/catalog.ts';
import { generatedCatalog } from '../src/integrations/catalog.generated.ts';
import { ownCatalog } from '../src/integrations/own-catalog.ts';

test('the catalog is up to date with the installed auto-instrumentations-node', () => {
  const r = spawnSync(nodeBin, [`${root}scripts/gen-catalog.mjs`, '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const installed = JSON.parse(
    readFileSync(`${root}node_modules/@opentelemetry/auto-instrumentations-node/package.json`, 'utf8'),
  );
  const bundled = Object.keys(installed.dependencies).filter((d) => d.startsWith('@opentelemetry/instrumentation-'));
  assert.deepEqual(generatedCatalog.map((e) => e.source).sort(), bundled.sort());
});

// Bud's own integrations (src/integrations/own-catalog.ts): a name also in the generated
// catalog replaces that entry, so its chunk is the own one.
test('own entries replace generated ones of the same name, and each name appears once', () => {
  assert.ok(generatedCatalog.length > 30, `${generatedCatalog.length} generated entries`);
  assert.ok(ownCatalog.length >= 8, `${ownCatalog.length} own entries`);
  const names = catalog.map((e) => e.name);
  assert.deepEqual(names, [...new Set(names)]);
  for (const own of ownCatalog)
    assert.equal(
      catalog.find((e) => e.name === own.name),
      own,
      own.name,
    );
  for (const own of ownCatalog)
    assert.match(own.source, /^\.\.\/libraries\/[\w/-]+\.ts$/, `${own.name}: one file of src/libraries/`);
});

test('every catalog entry has a built chunk exporting its instrumentation class', () => {
  // The agent loads dist/lazy/instrumentation-<name>.cjs (src/lazy.ts, src/integrations/activate.ts)
  // and hands it to the entry's load(), which picks the class.
  const req = createRequire(`${root}dist/boot.cjs`);
  const missing = [];
  for (const e of catalog) {
    const file = `${root}dist/lazy/instrumentation-${e.name}.cjs`;
    if (!existsSync(file)) {
      missing.push(`${e.name}: no ${file}`);
      continue;
    }
    const Ctor = e.load(() => req(file));
    if (typeof Ctor !== 'function') missing.push(`${e.name}: ${file} has no class where load() looks`);
  }
  assert.deepEqual(missing, []);
});
