// A throwaway app folder with the agent "installed" (a symlink to this checkout), for tests
// that need their own package.json and config files.
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { root } from './run.mjs';

export function makeProject(files = {}, { pkg = { name: 'demo-app', version: '1.2.3' } } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bud-proj-'));
  mkdirSync(join(dir, 'node_modules', '@budobserve'), { recursive: true });
  symlinkSync(root.replace(/\/$/, ''), join(dir, 'node_modules', '@budobserve', 'agent'), 'dir');
  if (pkg !== null) writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
