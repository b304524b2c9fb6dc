// Config files in every kind of project: `budobserve init`, then the app (with --import and
// --require), then `doctor`, in "type": "module", "type": "commonjs" (what `npm init -y`
// writes) and typeless projects, for every JS and TS extension; and load errors that keep
// their cause (file:line:column, the parser's reason) in one bounded line that quotes
// nothing from the file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject } from './helpers/project.mjs';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { runApp, fixtures, register, registerCjs } from './helpers/run.mjs';
import { cli, doctorJson } from './helpers/cli.mjs';
import { editTemplate } from './helpers/init-template.mjs';

const SERVER = 2;
let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

const types = [
  ['module', { type: 'module' }],
  ['commonjs', { type: 'commonjs' }],
  ['typeless', {}],
];
const label = (type) => (type === 'typeless' ? 'typeless' : `"type": "${type}"`);

async function serverSpanOf(serviceName) {
  const spans = await receiver.waitFor((s) =>
    s.some((x) => x.kind === SERVER && x.resource['service.name'] === serviceName),
  );
  return spans.find((x) => x.kind === SERVER && x.resource['service.name'] === serviceName);
}

const extensions = ['ts', 'mts', 'cts', 'js', 'mjs', 'cjs'];
for (const [type, pkgType] of types) {
  for (const [i, ext] of extensions.entries()) {
    // Both preloads for the file init writes; the others alternate, so each kind of project
    // sees --import and --require.
    const preloads = ext === 'ts' ? ['--import', '--require'] : [i % 2 === 0 ? '--import' : '--require'];
    // The cases that failed before: ES module syntax where the project's type or the
    // extension says CommonJS.
    const failedBefore = ext === 'cjs' || ext === 'cts' || (type === 'commonjs' && (ext === 'ts' || ext === 'js'));
    for (const flag of preloads) {
      test(`${failedBefore ? 'regression 15.1: ' : ''}init's budobserve.config.ts as budobserve.config.${ext} loads in a ${label(type)} project (${flag}, then doctor)`, async (t) => {
        const p = makeProject({}, { pkg: { name: `app-${type}`, version: '1.0.0', ...pkgType } });
        t.after(p.cleanup);
        const init = await cli(['init'], { cwd: p.dir });
        assert.equal(init.code, 0, init.stderr);
        const serviceName = `init-${type}-${ext}-${flag.slice(2)}`;
        const file = join(p.dir, `budobserve.config.${ext}`);
        const written = readFileSync(join(p.dir, 'budobserve.config.ts'), 'utf8');
        rmSync(join(p.dir, 'budobserve.config.ts'));
        writeFileSync(
          file,
          editTemplate(written, { serviceName, endpoint: receiver.url, typescript: ext.endsWith('ts') }),
        );

        const [script, preload] =
          flag === '--import'
            ? [`${fixtures}http/app.mjs`, ['--import', register]]
            : [`${fixtures}http/app.cjs`, ['--require', registerCjs]];
        const r = await runApp({ script, preload, cwd: p.dir });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, '200 hello /greet?name=bud\n');
        assert.equal(r.stderr, '', "no warning: neither the agent's nor Node's (experimental stripper, module type)");
        assert.equal((await serverSpanOf(serviceName)).resource['service.name'], serviceName);

        const report = await doctorJson(p.dir);
        assert.equal(report.configFile, `budobserve.config.${ext}`);
        assert.equal(report.configError, null);
        assert.deepEqual(report.problems, []);
        assert.equal(report.value('serviceName'), serviceName);
        assert.equal(report.stderr, '');
      });
    }
  }
}

test('CommonJS syntax (require, module.exports) loads as CommonJS in a "type": "module" project, as .ts and .js', async (t) => {
  for (const ext of ['ts', 'js']) {
    const p = makeProject(
      {
        [`budobserve.config.${ext}`]: `const { defineConfig } = require('@budobserve/agent');\nmodule.exports = defineConfig({ serviceName: 'cjs-in-esm'${ext === 'ts' ? ' as string' : ''} });\n`,
      },
      { pkg: { name: 'esm-app', type: 'module' } },
    );
    t.after(p.cleanup);
    const report = await doctorJson(p.dir);
    assert.deepEqual(report.problems, [], ext);
    assert.equal(report.value('serviceName'), 'cjs-in-esm');
  }
});

test("the config file's @budobserve/agent resolves to the running agent when the app does not have it (agent preloaded by path)", async (t) => {
  const serviceName = 'preloaded-by-path';
  const p = makeProject(
    {
      'budobserve.config.ts': `import { defineConfig } from '@budobserve/agent';\nexport default defineConfig({ serviceName: '${serviceName}' as string, export: { endpoint: '${receiver.url}' } });\n`,
    },
    { pkg: { name: 'no-agent', type: 'commonjs' } },
  );
  t.after(p.cleanup);
  rmSync(join(p.dir, 'node_modules'), { recursive: true });
  for (const [script, preload] of [
    [`${fixtures}http/app.mjs`, ['--import', register]],
    [`${fixtures}http/app.cjs`, ['--require', registerCjs]],
  ]) {
    const r = await runApp({ script, preload, cwd: p.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
  }
  assert.equal((await serverSpanOf(serviceName)).resource['service.name'], serviceName);
});

// file, text, the expected `file:line:column: reason`
const broken = [
  [
    'budobserve.config.ts',
    "import { defineConfig } from '@budobserve/agent';\nexport default defineConfig({\n  serviceName: 'x' as string,\n  environment: 'y' 'sk-live-SECRET',\n});\n",
    /^budobserve\.config\.ts:4:20: SyntaxError: /,
  ],
  [
    'budobserve.config.js',
    "export default {\n  serviceName: 'x',\n  environment: x SECRET,\n};\n",
    /^budobserve\.config\.js:3:18: SyntaxError: /,
  ],
  [
    'budobserve.config.cjs',
    "module.exports = {\n  serviceName: 'x',\n  environment: x SECRET,\n};\n",
    /^budobserve\.config\.cjs:3:18: SyntaxError: Unexpected identifier '…'$/,
  ],
  [
    'budobserve.config.mjs',
    'const x = 1;\nconst x = 2;\nexport default {};\n',
    /^budobserve\.config\.mjs:2:7: SyntaxError: Identifier '…' has already been declared$/,
  ],
  [
    'budobserve.config.mts',
    'const a = 1;\nenum Mode { A }\nexport default {};\n',
    /^budobserve\.config\.mts:2:1: SyntaxError: TypeScript enum is not supported in strip-only mode$/,
  ],
  [
    'budobserve.config.mjs',
    "export default {\n  serviceName: 'x',\n  export: { token: sk_live_SECRET },\n};\n",
    /^budobserve\.config\.mjs:3:20: ReferenceError: a name is not defined$/,
  ],
  [
    'budobserve.config.mjs',
    "const boom = () => { throw new Error('config exploded'); };\n\nexport default boom();\n",
    /^budobserve\.config\.mjs:1:28: config exploded$/,
  ],
  [
    'budobserve.config.json',
    '{\n  "export": { "token": "sk-live-SECRET" },\n  "serviceName": x\n}\n',
    /^budobserve\.config\.json:3:18: invalid JSON: Unexpected token 'x'$/,
  ],
  [
    '.budobserverc.json',
    '{ "export": { "token": "sk-live-SECRET" } ',
    /^\.budobserverc\.json:1:43: invalid JSON: Expected ',' or '}' after property value$/,
  ],
  [
    '.budobserverc.json',
    '{ "serviceName": ',
    /^\.budobserverc\.json:1:18: invalid JSON: Unexpected end of JSON input$/,
  ],
  [
    '.budobserverc.yaml',
    'export:\n  token: sk-live-SECRET\n bad: [\n',
    /^\.budobserverc\.yaml:3:2: invalid YAML: bad indentation of a mapping entry$/,
  ],
];
for (const [name, text, expected] of broken) {
  test(`regression 15.3: ${name} (${JSON.stringify(text.split('\n').at(-2) || text).slice(0, 40)}) fails with file:line:column and the parser's reason, in one bounded line with no secret`, async (t) => {
    const p = makeProject({ [name]: text }, { pkg: { name: 'broken', type: 'commonjs' } });
    t.after(p.cleanup);
    const report = await doctorJson(p.dir, { env: { BUD_OBSERVE_ENVIRONMENT: 'still-here' } });
    const [problem, ...rest] = report.problems;
    assert.deepEqual(rest, []);
    assert.equal(problem.code, 'BUDOBSERVE_CONFIG_LOAD_FAILED');
    const dir = p.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const body = expected.source.replace(/^\^/, '');
    assert.match(
      problem.message,
      new RegExp(
        `^could not load ${dir}/${body.endsWith('$') ? body.slice(0, -1) : `${body}.*`}; going on with environment variables and defaults$`,
      ),
    );
    assert.equal(report.configFile, name);
    assert.match(report.configError, expected);
    assert.equal(
      problem.message,
      `could not load ${p.dir}/${report.configError}; going on with environment variables and defaults`,
    );
    assert.ok(!/\n/.test(problem.message) && problem.message.length <= 300, problem.message);
    assert.ok(!problem.message.includes('SECRET'), problem.message);
    assert.equal(report.value('environment'), 'still-here');
  });
}

test('regression 15.3: the app gets one warning line for a broken config file, with its line and column', async (t) => {
  const p = makeProject(
    { 'budobserve.config.ts': 'export default { serviceName: ,, }\n' },
    { pkg: { name: 'broken', type: 'commonjs' } },
  );
  t.after(p.cleanup);
  const r = await runApp({
    script: `${fixtures}http/app.cjs`,
    preload: ['--require', registerCjs],
    cwd: p.dir,
    env: { BUD_OBSERVE_CONSOLE: 'false' },
  });
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '200 hello /greet?name=bud\n');
  const lines = r.stderr.split('\n').filter((l) => l.includes('[BUDOBSERVE_'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0],
    /\[BUDOBSERVE_CONFIG_LOAD_FAILED\] .*budobserve: could not load .*budobserve\.config\.ts:1:31: SyntaxError: .*; going on with environment variables and defaults$/,
  );
});

test('top-level await: named as such', async (t) => {
  const p = makeProject({ 'budobserve.config.mjs': 'export default await Promise.resolve({ serviceName: "tla" });\n' });
  t.after(p.cleanup);
  assert.match(
    (await doctorJson(p.dir)).configError,
    /^budobserve\.config\.mjs: top-level await is not supported in a config file/,
  );
});

test('a file renamed away from what init wrote still loads: budobserve.config.ts moved to .budobserverc.cjs', async (t) => {
  const p = makeProject({}, { pkg: { name: 'renamed', type: 'module' } });
  t.after(p.cleanup);
  assert.equal((await cli(['init'], { cwd: p.dir })).code, 0);
  renameSync(join(p.dir, 'budobserve.config.ts'), join(p.dir, '.budobserverc.cjs'));
  const report = await doctorJson(p.dir);
  assert.equal(report.configFile, '.budobserverc.cjs');
  assert.deepEqual(report.problems, []);
});

// The format of a TypeScript file is decided by a scan for import/export statements; what
// only looks like one (in a comment, a string, a template, a regular expression, a key) does
// not count, and what stripping erases (import type, export type / interface) neither.
const cjsLookalikes = {
  comment: "// export default {}\n/* import x from 'y' */\nmodule.exports = { serviceName: 'ok' as string };\n",
  strings:
    "const a = 'export default {}';\nconst b = \"import x from 'y'\";\nmodule.exports = { serviceName: 'ok' as string, environment: a + b };\n",
  template:
    "const t = `x ${ { a: '}' }.a } export default ${'`'} import y from 'z'`;\nmodule.exports = { serviceName: 'ok' as string, environment: t };\n",
  regex:
    "const re = /export default ['\"`]/;\nconst q = 1 / 2; const r = /import x from '/g;\nmodule.exports = { serviceName: 'ok' as string, environment: String(re) + q + r.flags };\n",
  keys: "const o = { import: 1, export: 2 };\nmodule.exports = { serviceName: 'ok' as string, environment: String(o.import + o.export) };\n",
  'type-only':
    "import type { BudObserveConfig } from '@budobserve/agent';\nexport type Alias = BudObserveConfig;\nexport interface X { a: number }\nconst config: BudObserveConfig = { serviceName: 'ok' };\nmodule.exports = config;\n",
  'dynamic import':
    "const later = () => import('node:os');\nmodule.exports = { serviceName: 'ok' as string, environment: typeof later };\n",
};
const esmOnes = {
  'after a regex': "const re = /a'b/;\nexport default { serviceName: 'ok' as string, environment: String(re) };\n",
  'import.meta':
    "const here: string = import.meta.url;\nexport default { serviceName: 'ok', environment: here.slice(0, 5) };\n",
  'after a template': "const t = `${1 + 1}`;\nexport default { serviceName: 'ok', environment: t };\n",
  'import type from': "import type from './t.mts';\nexport default { serviceName: 'ok', environment: type };\n",
};
for (const [what, text] of [...Object.entries(cjsLookalikes), ...Object.entries(esmOnes)]) {
  test(`a .ts config file with ${what} loads in a "type": "commonjs" project and in a "type": "module" one`, async (t) => {
    for (const type of ['commonjs', 'module']) {
      const p = makeProject(
        { 'budobserve.config.ts': text, 't.mts': "export default 'from-t';\n" },
        { pkg: { name: 'scan', type } },
      );
      t.after(p.cleanup);
      const report = await doctorJson(p.dir);
      assert.deepEqual(report.problems, [], `${type}: ${JSON.stringify(report.problems)}`);
      assert.equal(report.value('serviceName'), 'ok');
    }
  });
}
