// Writes the generated parts of README.md (the configuration reference and the warning
// codes) from the sources that define them, so the documentation cannot drift:
//   npm run gen:docs          rewrite README.md
//   node scripts/gen-docs.mjs --check   exit 1 if README.md is stale (test/docs.test.mjs)
// Runs on Node 24, which loads the TypeScript sources directly.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { options } from '../src/config/schema.ts';
import { codes } from '../src/errors.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const readmePath = `${root}README.md`;

const cell = (s) => String(s).replaceAll('|', '\\|');
const code = (s) => `\`${s}\``;

export function configTable() {
  const rows = options.map((o) => {
    const otel = (o.otelEnv ?? [])
      .map((r) => (r.key === undefined ? code(r.name) : `${code(r.name)} (${code(r.key)})`))
      .join(', ');
    const def = o.defaultText ?? (o.default === undefined ? '—' : code(JSON.stringify(o.default)));
    return `| ${code(o.path)} | ${o.env === undefined ? '—' : code(o.env)} | ${otel || '—'} | ${cell(def)} | ${cell(o.doc)} |`;
  });
  return [
    '| option (config file) | BUD_OBSERVE_* variable | standard OTel variable | default | meaning |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

export function codesTable() {
  return [
    '| code | meaning |',
    '|---|---|',
    ...Object.entries(codes).map(([c, { doc }]) => `| ${code(c)} | ${cell(doc)} |`),
  ].join('\n');
}

export function render(readme) {
  const put = (text, name, body) => {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const i = text.indexOf(start);
    const j = text.indexOf(end);
    if (i < 0 || j < i) throw new Error(`README.md has no ${start} … ${end} section`);
    return `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`;
  };
  return put(put(readme, 'config-table', configTable()), 'codes', codesTable());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const current = readFileSync(readmePath, 'utf8');
  const next = render(current);
  if (process.argv.includes('--check')) {
    if (next !== current) {
      console.error('README.md is stale: run npm run gen:docs');
      process.exit(1);
    }
  } else {
    writeFileSync(readmePath, next);
  }
}
