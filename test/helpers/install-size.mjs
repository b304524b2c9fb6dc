// Measures an installed node_modules tree, the way README's install-size table is measured:
// the packages in it and its size on disk. Used by test/pack.test.mjs (the agent's packed
// tarball) and benchmarks/install-size.mjs (the agent beside the agents it is compared with).
// Reads only; installs nothing.
import { lstatSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every package folder (`node_modules/<name>` or `node_modules/@scope/<name>` holding a
 * package.json, nested node_modules included) and the bytes on disk of the whole tree,
 * summed as `du -s` does: the blocks of every file, folder and link, a hard-linked file once.
 * @param {string} nodeModules
 * @returns {{ packages: string[], bytes: number, apparentBytes: number }}
 */
export function measureInstall(nodeModules) {
  const packages = [];
  const seen = new Set();
  let bytes = 0;
  let apparentBytes = 0;
  const visit = (path) => {
    const st = lstatSync(path);
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return;
    seen.add(key);
    bytes += st.blocks * 512;
    apparentBytes += st.size;
    if (st.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  const findPackages = (dir) => {
    for (const name of readdirSync(dir)) {
      if (name.startsWith('.')) continue; // .bin, .package-lock.json
      const scoped = name.startsWith('@');
      for (const pkg of scoped ? readdirSync(join(dir, name)).map((n) => `${name}/${n}`) : [name]) {
        const at = join(dir, pkg);
        if (!existsSync(join(at, 'package.json'))) continue;
        packages.push(pkg);
        if (existsSync(join(at, 'node_modules'))) findPackages(join(at, 'node_modules'));
      }
    }
  };
  visit(nodeModules);
  findPackages(nodeModules);
  return { packages: packages.sort(), bytes, apparentBytes };
}

export const MB = 1024 * 1024;
