// `budobserve doctor <bundle>…`: the lines about each bundle named on the command line (see
// src/bundle/describe.ts for what is found). Owns presentation only.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeBundle } from '../bundle/describe.ts';
import type { BundleDescription } from '../bundle/describe.ts';

export function describeBundles(
  files: readonly string[],
  cwd: string,
  isInstrumented: (pkg: string) => boolean,
): Array<BundleDescription | { file: string; error: string }> {
  return files.map((file) => {
    try {
      return describeBundle(resolve(cwd, file), readFileSync(resolve(cwd, file), 'utf8'), isInstrumented);
    } catch (error) {
      return { file, error: error instanceof Error ? error.message : String(error) };
    }
  });
}

export function bundleLines(bundles: ReturnType<typeof describeBundles>): string[] {
  const out: string[] = [];
  for (const b of bundles) {
    out.push('', `Bundle ${b.file}:`);
    if ('error' in b) {
      out.push(`  could not be read: ${b.error}`);
      continue;
    }
    if (b.opaque) {
      out.push(
        '  shows no module boundaries (minified, or a bundler whose ids are numbers) and carries no build-plugin marks:',
        '  its libraries are not instrumented; build it with @budobserve/agent/esbuild, /webpack or /rollup',
      );
      continue;
    }
    if (b.recognised.length === 0 && b.unreachable.length === 0) out.push('  holds no library the agent instruments');
    for (const l of b.recognised)
      out.push(`  ${l.pkg.padEnd(16)} ${(l.version ?? '?').padEnd(10)} ${l.via}; version: ${l.versionFrom}`);
    for (const u of b.unreachable) out.push(`  ${u.pkg.padEnd(16)} not instrumented: ${u.why}`);
  }
  return out;
}
