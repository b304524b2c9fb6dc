// The package as a user gets it: `npm pack` of this checkout, installed from the tarball
// (its dependencies from the registry) into a folder of the test's own. npm runs on a Node
// the agent supports (the system one may be older).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, nodeBin, cleanEnv } from './run.mjs';
import { pathWith } from './node-versions.mjs';

export const toolEnv = () => cleanEnv({ PATH: pathWith(nodeBin) });

export function npm(args, cwd) {
  const r = spawnSync('npm', args, { cwd, env: toolEnv(), encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0)
    throw new Error(`npm ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

/**
 * Packs the checkout into `tmp` and installs the tarball into `tmp/<name>` (created, with
 * `pkg` as its package.json). Returns the app folder.
 */
export function packAndInstall(tmp, name, pkg) {
  // --ignore-scripts: "prepack" would rebuild dist/ in the checkout; the tests pack the
  // build that the other tests run against.
  const [{ filename }] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], root));
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  npm(['install', join(tmp, filename), '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], dir);
  return dir;
}
