// `budobserve init`: a starting config file with every common option shown and explained,
// written where the agent finds it: the project root (the nearest folder with a
// package.json, where the agent's search ends), so it is read from wherever in the project
// the app starts. The file loads in any project ("type": "module", "commonjs" or none; see
// config/load-code.ts). A config the agent would read instead, or that the new file would
// hide, is left alone and named.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { MODULE_NAME, searchPlaces } from '../config/file.ts';

// The template is the package's budobserve.config.example.ts, one folder above dist/.
const TEMPLATE_URL = new URL('../budobserve.config.example.ts', import.meta.url);
const NAME = 'budobserve.config.ts';

function projectRoot(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return cwd;
  }
}

/** Another config file the search from cwd would meet (package.json#budobserve included). */
function otherConfig(cwd: string, root: string): string | undefined {
  for (let dir = cwd; ; dir = dirname(dir)) {
    for (const place of searchPlaces) {
      const path = join(dir, place);
      if ((dir === root && place === NAME) || !existsSync(path)) continue;
      if (place !== 'package.json') return path;
      try {
        if (Object.hasOwn(JSON.parse(readFileSync(path, 'utf8')) as object, MODULE_NAME))
          return `${path} ("${MODULE_NAME}" key)`;
      } catch {
        // not the agent's concern here: the agent itself reports a broken package.json
      }
    }
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

export function init(opts: { cwd: string; force: boolean }): number {
  const root = projectRoot(opts.cwd);
  const file = join(root, NAME);
  const other = otherConfig(opts.cwd, root);
  if (other !== undefined) {
    process.stderr.write(
      `budobserve: ${relative(opts.cwd, other) || other} already configures the agent here; ${NAME} would not be the one read. Edit that file, or remove it and run init again\n`,
    );
    return 1;
  }
  if (existsSync(file) && !opts.force) {
    process.stderr.write(`budobserve: ${file} already exists (use --force to overwrite)\n`);
    return 1;
  }
  writeFileSync(file, readFileSync(TEMPLATE_URL, 'utf8'));
  process.stdout.write(`wrote ${file}\n`);
  return 0;
}
