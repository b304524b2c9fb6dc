// The nearest package.json from a folder up: where the default service name and version
// come from (the app's own package, wherever in it the process was started).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface PackageInfo {
  name?: unknown;
  version?: unknown;
}

export function nearestPackageJson(from: string): PackageInfo | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageInfo;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}
