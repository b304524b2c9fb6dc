// Which version of a bundled package the instrumentations are told, in order: what the bundle
// carries (a plugin's footer, a pnpm store path, a package.json it bundled), else a package.json
// found beside it (node_modules next to the bundle or above it, as Node would find the
// package), else the documented policy: the lowest version of the newest range the
// instrumentation supports, with one warning naming what was assumed. Owns that order; must
// not patch anything.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import minVersion from 'semver/ranges/min-version.js';
import semverSatisfies from 'semver/functions/satisfies.js';

/** The version in `<dir>/node_modules/<pkg>/package.json`, for `dir` and each folder above it. */
export function versionBeside(bundlePath: string, pkg: string): string | undefined {
  for (let dir = dirname(bundlePath), up = dirname(dir); ; dir = up, up = dirname(dir)) {
    try {
      const json = JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (json.name === pkg && typeof json.version === 'string') return json.version;
    } catch {
      // not here: look further up
    }
    if (up === dir) return undefined;
  }
}

/** Whether `version` is in one of the ranges (OpenTelemetry's isSupported, same semver). */
export function supported(ranges: readonly string[], version: string, includePrerelease = false): boolean {
  return ranges.some((r) => r === '*' || semverSatisfies(version, r, { includePrerelease }));
}

/** The policy's version: the highest of the lowest versions the ranges allow ('*' allows any). */
export function assumedVersion(ranges: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const r of ranges) {
    if (r === '*') continue;
    try {
      const v = minVersion(r)?.version;
      if (v !== undefined && (best === undefined || semverSatisfies(v, `>${best}`))) best = v;
    } catch {
      // a range semver cannot read names no version
    }
  }
  return best;
}
