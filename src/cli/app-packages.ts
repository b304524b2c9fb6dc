// `budobserve doctor`: which of the instrumented libraries the app itself has. A library
// counts when it resolves from the project root and the app depends on it, directly or
// through its other dependencies (not through the agent): npm hoists the agent's own
// dependencies, and in a workspace other packages' libraries, next to the app's, where they
// resolve like the app's; a library there for someone else is not the app's, and its
// instrumentation stays idle.
// Owns reading package.json files below the project; must not load any package.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, dirname, join } from 'node:path';

const AGENT = '@budobserve/agent';

/** The folder Node would find package `name` in from `fromDir`, or undefined. */
export function packageDir(fromDir: string, name: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules') {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function dependencyNames(dir: string, withDev: boolean): string[] {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const fields = [
      'dependencies',
      'optionalDependencies',
      'peerDependencies',
      ...(withDev ? ['devDependencies'] : []),
    ];
    return fields.flatMap((f) => (typeof pkg[f] === 'object' && pkg[f] !== null ? Object.keys(pkg[f]) : []));
  } catch {
    return [];
  }
}

/**
 * Real folders of every package `root` depends on, transitively, not entering `skip`.
 * @param withDev count root's devDependencies (the app's are installed; the agent's are not)
 */
function closure(root: string, withDev: boolean, skip?: string): Set<string> {
  const seen = new Set<string>();
  const queue: Array<[string, string[]]> = [[root, dependencyNames(root, withDev)]];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    const [from, names] = next;
    for (const name of names) {
      if (name === skip) continue;
      const dir = packageDir(from, name);
      if (dir === undefined || seen.has(dir)) continue;
      seen.add(dir);
      queue.push([dir, dependencyNames(dir, false)]);
    }
  }
  return seen;
}

/**
 * @param projectRoot the app's folder (its package.json lists what it depends on)
 * @returns a function naming, of a library's module names, those the app has
 */
export function appLibraries(projectRoot: string): (modules: readonly string[]) => string[] {
  let appOwn: Set<string> | undefined;
  return (modules) =>
    modules.filter((m) => {
      if (isBuiltin(m)) return true;
      const dir = packageDir(projectRoot, m);
      if (dir === undefined) return false;
      // Walked once, on the first library found: the app's own dependency tree.
      appOwn ??= closure(projectRoot, true, AGENT);
      return appOwn.has(dir);
    });
}
