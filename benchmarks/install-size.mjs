// What installing the agent brings into an app, beside the agents README compares it with:
// each is `npm install`ed into an empty folder (the agent from its packed tarball, the others
// from the registry), then its node_modules is measured (test/helpers/install-size.mjs:
// packages, and bytes on disk as `du -s` sums them). Prints README's table. Needs the
// registry; installs only into temporary folders, which it removes.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureInstall, MB } from '../test/helpers/install-size.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'bud-install-size-'));

function npm(args, cwd) {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return r.stdout;
}

// @pydantic/logfire-node: a plain install fails with ERESOLVE (its peers want
// @opentelemetry/api below 1.10 and above it at once); --force is the least that installs it
// with its peers, which it needs to run.
const subjects = [
  {
    label: '@budobserve/agent',
    spec: () =>
      join(tmp, JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], root))[0].filename),
    flags: [],
  },
  {
    label: '@opentelemetry/auto-instrumentations-node',
    spec: () => '@opentelemetry/auto-instrumentations-node',
    flags: [],
  },
  { label: 'dd-trace', spec: () => 'dd-trace', flags: [] },
  { label: '@pydantic/logfire-node', spec: () => '@pydantic/logfire-node', flags: ['--force'] },
];

try {
  console.log(`| package | version | packages | on disk | npm install flags |\n| --- | --- | --- | --- | --- |`);
  for (const [i, s] of subjects.entries()) {
    const dir = join(tmp, `app-${i}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'empty-app', version: '1.0.0', private: true }));
    npm(['install', s.spec(), ...s.flags, '--no-audit', '--no-fund', '--loglevel=error'], dir);
    const { packages, bytes } = measureInstall(join(dir, 'node_modules'));
    const name = s.label;
    const { version } = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8'));
    console.log(
      `| \`${name}\` | ${version} | ${packages.length} | ${(bytes / MB).toFixed(1)} MB | ${s.flags.join(' ') || '—'} |`,
    );
  }
  console.log(
    `\nmeasured ${new Date().toISOString().slice(0, 10)} with npm ${npm(['--version'], tmp).trim()}, Node ${process.versions.node}`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
