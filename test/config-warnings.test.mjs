// Every warning the agent prints is one line of at most 300 characters, whatever the input:
// values quoted and cut where messages are built, and, as the last line of defence where
// warnings are emitted (src/errors.ts), control characters escaped and the line bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeProject } from './helpers/project.mjs';
import { doctor } from './helpers/doctor.mjs';
import { runApp, fixtures } from './helpers/run.mjs';

const app = `${fixtures}http/app.mjs`;
const plain = await runApp({ script: app, preload: [] });
const BIG = 'a'.repeat(20_000);
const FORGE = '\x1b[31mred\x1b[0m\r\nX-Forged: 1';
const NODE_HINT = '(Use `node --trace-warnings ...` to show where the warning was created)';

/** The agent's warning lines, after checking that stderr holds nothing else and is bounded. */
function checkedWarnings(stderr) {
  assert.ok(
    !/[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]/.test(stderr),
    `a control character reached stderr: ${JSON.stringify(stderr.slice(0, 2000))}`,
  );
  const lines = stderr.split('\n').filter((l) => l !== '');
  for (const l of lines) {
    assert.ok(l.length <= 300, `a ${l.length}-character line: ${l.slice(0, 200)}…`);
    assert.ok(
      l === NODE_HINT || /^\(node:\d+\) \[BUDOBSERVE_[A-Z_]+\] BudObserveWarning: budobserve: /.test(l),
      `a line that is not a warning: ${JSON.stringify(l)}`,
    );
  }
  return lines.filter((l) => l !== NODE_HINT);
}

test('regression 14.6: a 20 KB BUD_OBSERVE_CONFIG gives one bounded warning line', async () => {
  const r = await runApp({ script: app, env: { BUD_OBSERVE_CONFIG: BIG, BUD_OBSERVE_CONSOLE: 'false' } });
  assert.equal(r.code, plain.code);
  assert.equal(r.stdout, plain.stdout);
  const w = checkedWarnings(r.stderr);
  assert.equal(w.length, 1, r.stderr);
  assert.match(
    w[0],
    /\[BUDOBSERVE_CONFIG_LOAD_FAILED\] .*could not load .*aaa.*; going on with environment variables and defaults$/,
  );
});

test('regression 14.6: long values and control characters in PROPAGATORS, SCRUBBING_PATTERNS and other values are quoted, escaped and cut', async () => {
  const r = await runApp({
    script: app,
    env: {
      BUD_OBSERVE_CONSOLE: 'false',
      BUD_OBSERVE_PROPAGATORS: `${BIG},${FORGE},tracecontext`,
      BUD_OBSERVE_SCRUBBING_PATTERNS: `(${FORGE}`,
      BUD_OBSERVE_SAMPLE_RATE: `${FORGE}${BIG}`,
      BUD_OBSERVE_INSTRUMENTATIONS: `http,${FORGE}`,
      [`BUD_OBSERVE_${FORGE.replace(/[=\r\n]/g, '')}`]: '1',
    },
  });
  assert.equal(r.code, plain.code);
  assert.equal(r.stdout, plain.stdout);
  const w = checkedWarnings(r.stderr);
  assert.equal(w.length, 5, r.stderr);
  const line = (source) => w.find((l) => l.includes(source)) ?? assert.fail(`no warning names ${source}:\n${r.stderr}`);
  assert.match(line('BUD_OBSERVE_PROPAGATORS: '), /unknown propagators 'a{10,}\.\.\.', '\\u001b\[31mred/);
  assert.match(
    line('BUD_OBSERVE_SCRUBBING_PATTERNS: '),
    /not a valid regular expression \(Range out of order in character class\); ignored, no pattern is left; using \[\] from default$/,
  );
  assert.match(
    line('BUD_OBSERVE_SAMPLE_RATE = '),
    /= "\\u001b\[31mred.*\.\.\." is invalid: expected a number from 0 to 1; using 1 from default$/,
  );
  assert.match(line('BUD_OBSERVE_INSTRUMENTATIONS: '), /unknown instrumentation '\\u001b\[31mred/);
  assert.match(line('unknown environment variable'), /unknown environment variable BUD_OBSERVE_\\u001b\[31mred/);
});

test('regression 14.6: a config file key or value with control characters is escaped in doctor and in the warning', async () => {
  const p = makeProject({
    'budobserve.config.json': JSON.stringify({
      [`servic${FORGE}`]: 1,
      propagators: [FORGE],
      console: { enabled: false },
    }),
    'app.mjs': `import '${app}';\n`,
  });
  try {
    const r = await runApp({ script: `${p.dir}/app.mjs`, cwd: p.dir });
    assert.equal(r.stdout, plain.stdout);
    assert.equal(checkedWarnings(r.stderr).length, 2, r.stderr);
    const d = doctor(p.dir);
    for (const m of d.problems.map((x) => x.message)) assert.ok(!/[\x00-\x1f]/.test(m), JSON.stringify(m));
  } finally {
    p.cleanup();
  }
});

test('warning text: escaped, cut in the middle so that both ends stay, redacted before it is cut', async () => {
  const { warningText, MAX_WARNING_LINE } = await import('../src/errors.ts');
  assert.equal(MAX_WARNING_LINE, 300);
  const code = 'BUDOBSERVE_INSTRUMENTATION_FAILED';
  const prefix = `(node:${'9'.repeat(7)}) [${code}] BudObserveWarning: budobserve: `;
  const long = `start ${'x'.repeat(5000)} http://user:secret@host/ end; using 1 from default`;
  const t = warningText(code, long);
  assert.ok(prefix.length + t.length <= 300, `${prefix.length + t.length}`);
  assert.ok(t.startsWith('start xxx') && t.endsWith('end; using 1 from default') && t.includes('…'), t);
  assert.ok(!t.includes('secret'));
  assert.equal(warningText(code, 'a\r\nb\x1b[2J\u2028\x9b\tc'), 'a\\r\\nb\\u001b[2J\\u2028\\u009b\\tc');
  assert.equal(warningText(code, 'short and plain'), 'short and plain');
});
