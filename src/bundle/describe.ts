// What `budobserve doctor <bundle>` says about one bundle: the instrumented libraries it
// recognises inside it (shown module boundaries, or a build plugin's marks) with their versions
// and where each version comes from, and those it cannot route to an instrumentation, with why.
// The same scan, rewrite and version order the agent uses at load time (scan.ts, rewrite.ts,
// versions.ts), so what doctor says is what the agent does. Owns the summary; must not print.
import { pluginMarks, scanBundle } from './scan.ts';
import { rewriteBundle } from './rewrite.ts';
import { versionBeside } from './versions.ts';

export interface BundleLibrary {
  pkg: string;
  /** How the agent reaches it: 'zero-code (esbuild CommonJS)', 'build plugin', … */
  via: string;
  version: string | undefined;
  /** Where the version comes from: 'plugin', 'pnpm path', 'bundled package.json', 'package.json beside', 'assumed'. */
  versionFrom: string;
}

export interface BundleDescription {
  file: string;
  /** The instrumented libraries the agent reaches inside the bundle. */
  recognised: BundleLibrary[];
  /** Instrumented libraries it shows but the agent cannot reach, with why. */
  unreachable: Array<{ pkg: string; why: string }>;
  /** Set when the bundle shows no module boundaries and carries no plugin marks. */
  opaque: boolean;
}

const FORMS: Record<string, string> = {
  commonjs: 'zero-code (esbuild CommonJS wrapper)',
  webpack: 'zero-code (webpack named id)',
  'esm-region': 'zero-code (esbuild ES-module region; prototypes only)',
};

export function describeBundle(
  file: string,
  source: string,
  isInstrumented: (pkg: string) => boolean,
): BundleDescription {
  const recognised = new Map<string, BundleLibrary>();
  for (const [pkg, version] of pluginMarks(source)) {
    if (isInstrumented(pkg))
      recognised.set(pkg, { pkg, via: 'build plugin', version, versionFrom: version ? 'plugin' : 'assumed' });
  }
  const unreachable: BundleDescription['unreachable'] = [];
  const scan = scanBundle(source);
  if (scan !== undefined) {
    const unmarked = (pkg: string): boolean => isInstrumented(pkg) && !recognised.has(pkg);
    const rewritten = rewriteBundle(source, scan, { isInstrumented: unmarked, versionOf: () => undefined });
    for (const h of rewritten?.hooked ?? []) {
      if (recognised.has(h.pkg)) continue;
      const pnpm = scan.modules.find((m) => m.pkg === h.pkg && m.version !== undefined)?.version;
      const bundled = scan.bundledVersions.get(h.pkg);
      const beside = (pnpm ?? bundled) ? undefined : versionBeside(file, h.pkg);
      const version = pnpm ?? bundled ?? beside;
      const versionFrom =
        pnpm !== undefined
          ? 'pnpm path'
          : bundled !== undefined
            ? 'bundled package.json'
            : beside !== undefined
              ? 'package.json beside the bundle'
              : 'assumed (the lowest of the newest supported range)';
      recognised.set(h.pkg, { pkg: h.pkg, via: FORMS[h.form] ?? h.form, version, versionFrom });
    }
    const shown = new Set(scan.modules.filter((m) => isInstrumented(m.pkg)).map((m) => m.pkg));
    for (const pkg of shown) {
      if (recognised.has(pkg)) continue;
      const forms = new Set(scan.modules.filter((m) => m.pkg === pkg).map((m) => m.form));
      unreachable.push({ pkg, why: whyUnreachable(forms) });
    }
  }
  return {
    file,
    recognised: [...recognised.values()].sort((a, b) => a.pkg.localeCompare(b.pkg)),
    unreachable: unreachable.sort((a, b) => a.pkg.localeCompare(b.pkg)),
    opaque: scan === undefined && recognised.size === 0,
  };
}

function whyUnreachable(forms: Set<string>): string {
  if (forms.has('esm-lazy')) return 'an ES module esbuild evaluates lazily (__esm): use the build plugin';
  if (forms.has('esm-region'))
    return 'an ES-module region with no class to patch or no safe place after it: use the build plugin';
  return 'the bundle runtime has a shape the agent does not know: use the build plugin';
}
