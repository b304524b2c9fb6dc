// The ES-module entry of a dual package that only re-exports its CommonJS build is
// instrumented through that build, without loading import-in-the-middle (~20 ms of start-up
// for an app using pg); a real ES-module build is not taken for one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { wrappedImports } from '../src/hooks/esm-wrapper.ts';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, root } from './helpers/run.mjs';
import { requireService } from './helpers/services.mjs';

const url = (rel) => pathToFileURL(`${root}node_modules/${rel}`).href;

test('pg and koa ES-module entries are wrappers of their CommonJS builds; openai, hono and postgres are ES modules of their own', () => {
  assert.deepEqual(wrappedImports(url('pg/esm/index.mjs')), [url('pg/lib/index.js')]);
  assert.deepEqual(wrappedImports(url('koa/dist/koa.mjs')), [url('koa/lib/application.js')]);
  for (const real of ['openai/index.mjs', 'hono/dist/index.js', 'postgres/src/index.js'])
    assert.equal(wrappedImports(url(real)), undefined, real);
});

test('anything beside imports and re-exports makes a file no wrapper', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bud-esm-wrapper-'));
  const file = (name, text) => {
    writeFileSync(join(dir, name), text);
    return pathToFileURL(join(dir, name)).href;
  };
  assert.deepEqual(
    wrappedImports(
      file(
        'ok.mjs',
        "// a wrapper\nimport m from './lib.js';\n/* names */\nexport default m;\nexport const A = m.A;\n",
      ),
    ),
    [new URL('./lib.js', pathToFileURL(`${dir}/`)).href],
  );
  assert.equal(
    wrappedImports(file('class.mjs', "import m from './lib.js';\nexport class B extends m.A {}\n")),
    undefined,
  );
  assert.equal(
    wrappedImports(file('call.mjs', "import m from './lib.js';\nm.setup();\nexport default m;\n")),
    undefined,
  );
  assert.equal(
    wrappedImports(file('bare.mjs', "import m from 'lib';\nexport default m;\n")),
    undefined,
    'a package import is not a file of this package',
  );
  assert.equal(wrappedImports(file('none.mjs', 'export const a = 1;\n')), undefined);
  assert.equal(wrappedImports('file:///nonexistent/x.mjs'), undefined);
});

test('an app importing { Client } from pg gets pg spans, and import-in-the-middle is never loaded', async () => {
  await requireService('postgres');
  const receiver = await startReceiver();
  try {
    const r = await runApp({
      script: `${fixtures}esm-wrapper/pg-named.mjs`,
      env: { BUD_OBSERVE_ENDPOINT: receiver.url, NODE_DEBUG: 'budobserve' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1\n');
    assert.doesNotMatch(r.stderr, /import-in-the-middle loaded/);
    const spans = await receiver.waitFor((s) =>
      s.some((x) => x.scope === '@opentelemetry/instrumentation-pg' && x.attributes['db.operation.name'] === 'SELECT'),
    );
    const select = spans.filter(
      (x) => x.scope === '@opentelemetry/instrumentation-pg' && x.attributes['db.operation.name'] === 'SELECT',
    );
    assert.deepEqual(
      select.map((x) => [
        x.kind,
        x.attributes['db.system.name'] ?? x.attributes['db.system'],
        x.attributes['db.query.text'] ?? x.attributes['db.statement'],
      ]),
      [[3, 'postgresql', 'SELECT ? AS n']],
      'the one query, a client span (its literal scrubbed)',
    );
  } finally {
    await receiver.close();
  }
});
