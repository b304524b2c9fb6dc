// The checked-in instrumentation catalog matches the installed
// @opentelemetry/auto-instrumentations-node, and the build ships a loadable chunk for every
// entry: an instrumentation the catalog names but the build lacks would fail only when an
// app loads its library.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { root, nodeBin } from './helpers/run.mjs';

// The generated file is TypeScript; one entry per line, fields in a fixed order.
const entries = [...readFileSync(`${root}src/integrations/catalog.generated.ts`, 'utf8')
  .matchAll(/\{ name: "([^"]+)", pkg: "([^"]+)", exportName: "([^"]+)"/g)]
  .map(([, name, pkg, exportName]) => ({ name, pkg, exportName }));

test('the catalog is up to date with the installed auto-instrumentations-node', () => {
  const r = spawnSync(nodeBin, [`${root}scripts/gen-catalog.mjs`, '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const installed = JSON.parse(readFileSync(`${root}node_modules/@opentelemetry/auto-instrumentations-node/package.json`, 'utf8'));
  const bundled = Object.keys(installed.dependencies).filter((d) => d.startsWith('@opentelemetry/instrumentation-'));
  assert.deepEqual(entries.map((e) => e.pkg).sort(), bundled.sort());
});

// Bud's own integrations (src/integrations/own-catalog.ts), same format; a name also in the
// generated catalog replaces that entry, so its chunk is the own one.
const own = [...readFileSync(`${root}src/integrations/own-catalog.ts`, 'utf8')
  .matchAll(/\{ name: "([^"]+)", pkg: "([^"]+)", exportName: "([^"]+)"/g)]
  .map(([, name, pkg, exportName]) => ({ name, pkg, exportName }));

test('every catalog entry has a built chunk exporting its instrumentation class', () => {
  assert.ok(entries.length > 30, `parsed ${entries.length} entries`);
  assert.ok(own.length >= 7, `parsed ${own.length} own entries`);
  const all = [...entries.filter((e) => !own.some((o) => o.name === e.name)), ...own];
  // The agent loads dist/lazy/instrumentation-<name>.cjs (src/lazy.ts, src/integrations/activate.ts).
  const req = createRequire(`${root}dist/boot.cjs`);
  const missing = [];
  for (const e of all) {
    const file = `${root}dist/lazy/instrumentation-${e.name}.cjs`;
    if (!existsSync(file)) {
      missing.push(`${e.name}: no ${file}`);
      continue;
    }
    const mod = req(file);
    if (typeof mod[e.exportName] !== 'function') missing.push(`${e.name}: ${file} does not export ${e.exportName}`);
  }
  assert.deepEqual(missing, []);
});
