// Build-time core of the bundler plugins (esbuild.ts, webpack.ts, rollup.ts): which packages the
// agent instruments (the catalog's `modules`), where a bundled file sits in its package (name,
// version, path inside it, whether it is the package's entry), whether Node would load the file
// as CommonJS, and the footer (src/bundle/contract.ts) that hands its exports to the agent's hook.
// Also where an `import` of an instrumented package resolves to instead: its CommonJS build,
// whose exports can be patched, as an ES-module namespace cannot.
// Runs in the user's build, never in the app: imports the catalog's data and the contract only,
// never the agent's runtime (boot, SDK, config), and holds no state beyond its caches.
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, extname, join, sep } from 'node:path';
import { compileFunction } from 'node:vm';
import { catalog } from '../integrations/catalog.ts';
import { commonJsFooter } from '../bundle/contract.ts';

/**
 * Packages a bundle must require from node_modules, never hold: they hook Node's own loaders
 * (a bundled require-in-the-middle would patch the bundle's copy of nothing), and
 * import-in-the-middle's generated wrappers import the copy on disk.
 */
export const KEPT_EXTERNAL: readonly string[] = ['import-in-the-middle', 'require-in-the-middle'];

/** The package a bare specifier names ('pg/lib/x.js' is 'pg'); undefined for a path, URL or `#import`. */
export function packageOfSpecifier(spec: string): string | undefined {
  if (spec === '' || /^[./#\\\0]/.test(spec) || spec.includes(':')) return undefined;
  const parts = spec.split('/');
  if (spec.startsWith('@')) return parts.length < 2 || parts[1] === '' ? undefined : `${parts[0]}/${parts[1]}`;
  return parts[0];
}

/**
 * The packages the catalog instruments, builtins left out (a bundle requires those from Node,
 * through the hooks the agent already has). Every entry counts, also those off by default:
 * the configuration that decides is read when the app runs, not when it is built.
 */
export const instrumentedPackages: ReadonlySet<string> = new Set(
  catalog
    .flatMap((e) => e.modules)
    .map(packageOfSpecifier)
    .filter((n): n is string => n !== undefined && !isBuiltin(n)),
);

export function isKeptExternal(spec: string): boolean {
  const name = packageOfSpecifier(spec);
  return name !== undefined && KEPT_EXTERNAL.includes(name);
}

/** A regular expression source matching any of `names` (for esbuild's Go-side filters too). */
export function alternation(names: Iterable<string>): string {
  return [...names].map((n) => n.replace(/[.+*?^$()[\]{}|\\]/g, '\\$&')).join('|');
}

/**
 * Where a file sits in its package, read from its path as require-in-the-middle reads it: the
 * package is the folder after the last `node_modules` (two for a scope), the file is the rest.
 * A file outside node_modules belongs to no package, for require-in-the-middle as here.
 */
export function packageLocation(file: string): { name: string; root: string; inner: string } | undefined {
  const parts = file.split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return undefined;
  const width = parts[at + 1]?.startsWith('@') === true ? 2 : 1;
  const inner = parts.slice(at + 1 + width);
  if (inner.length === 0) return undefined;
  return {
    name: parts.slice(at + 1, at + 1 + width).join('/'),
    root: parts.slice(0, at + 1 + width).join(sep),
    inner: inner.join('/'),
  };
}

/** Where an import of an instrumented package goes instead, or why it cannot. */
export type Redirect = { kind: 'commonjs'; path: string } | { kind: 'no-commonjs'; pkg: string };

/** The arguments of commonJsFooter() for one file. */
export interface FooterArgs {
  pkg: string;
  version: string | undefined;
  file: string;
  isMain: boolean;
}

export function footerOf({ pkg, version, file, isMain }: FooterArgs): string {
  return commonJsFooter(pkg, version, file, isMain);
}

type PackageJson = Record<string, unknown>;

const CJS_WRAPPER_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname'];

/** A plugin's caches for one build: package.json files, module formats, package entries. */
export class BundleCore {
  readonly #packageJson = new Map<string, PackageJson | null>();
  readonly #commonJs = new Map<string, boolean>();
  readonly #entry = new Map<string, string | null>();

  /**
   * Where `spec`, imported from a file in `fromDir`, resolves with the require condition, as
   * Node's require() resolves it: undefined when `spec` is not of an instrumented package or
   * Node finds nothing (the bundler resolves it then, as it would without the plugin).
   */
  resolveCommonJs(spec: string, fromDir: string): Redirect | undefined {
    const pkg = packageOfSpecifier(spec);
    if (pkg === undefined || !instrumentedPackages.has(pkg)) return undefined;
    let path: string;
    try {
      path = createRequire(join(fromDir, '[budobserve-resolve].js')).resolve(spec);
    } catch (error) {
      // Exports without a "require" (or "default") condition: an ES-module-only package.
      const code = (error as { code?: unknown }).code;
      return code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' ? { kind: 'no-commonjs', pkg } : undefined;
    }
    const ext = extname(path);
    if (ext === '.mjs') return { kind: 'no-commonjs', pkg };
    if (ext !== '.js' && ext !== '.cjs') return undefined;
    return this.isCommonJs(path) ? { kind: 'commonjs', path } : { kind: 'no-commonjs', pkg };
  }

  /** What the footer of `file` says, when it is a CommonJS file of an instrumented package. */
  describe(file: string): FooterArgs | undefined {
    const at = packageLocation(file);
    if (at === undefined || !instrumentedPackages.has(at.name) || !this.isCommonJs(file)) return undefined;
    const version = this.#readPackageJson(at.root)?.['version'];
    return {
      pkg: at.name,
      version: typeof version === 'string' ? version : undefined,
      file: at.inner,
      isMain: this.#entryOf(at.name, at.root) === realpath(file),
    };
  }

  /** The footer for `file`, when it is a CommonJS file of an instrumented package. */
  footer(file: string): string | undefined {
    const args = this.describe(file);
    return args === undefined ? undefined : footerOf(args);
  }

  /**
   * Whether Node loads `file` as CommonJS: `.cjs`; `.js` under a package.json whose "type" is
   * "commonjs"; `.js` with no "type" that parses as a CommonJS function body (Node's syntax
   * detection: a file with import/export statements, import.meta or top-level await is an ES
   * module). Only such a file has a `module` for the footer to assign.
   */
  isCommonJs(file: string): boolean {
    let known = this.#commonJs.get(file);
    if (known !== undefined) return known;
    const ext = extname(file);
    if (ext === '.cjs') known = true;
    else if (ext !== '.js') known = false;
    else {
      const type = this.#packageType(dirname(file));
      known = type === 'commonjs' || (type !== 'module' && parsesAsCommonJs(file));
    }
    this.#commonJs.set(file, known);
    return known;
  }

  /** The nearest package.json's "type", as Node looks for it (not past a node_modules folder). */
  #packageType(dir: string): unknown {
    for (let d = dir; ; d = dirname(d)) {
      const json = this.#readPackageJson(d);
      if (json !== null) return json['type'];
      if (d.endsWith(`${sep}node_modules`) || dirname(d) === d) return undefined;
    }
  }

  /** The real path of the file `name` resolves to (require condition) from its own root. */
  #entryOf(name: string, root: string): string | undefined {
    let entry = this.#entry.get(root);
    if (entry === undefined) {
      const req = createRequire(join(root, 'package.json'));
      entry = null;
      for (const spec of [name, root]) {
        try {
          const found = realpath(req.resolve(spec));
          if (found.startsWith(realpath(root) + sep)) {
            entry = found;
            break;
          }
        } catch {
          /* not resolvable this way: try the next */
        }
      }
      this.#entry.set(root, entry);
    }
    return entry ?? undefined;
  }

  #readPackageJson(dir: string): PackageJson | null {
    let json = this.#packageJson.get(dir);
    if (json === undefined) {
      try {
        const parsed: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
        json = typeof parsed === 'object' && parsed !== null ? (parsed as PackageJson) : null;
      } catch {
        json = null;
      }
      this.#packageJson.set(dir, json);
    }
    return json;
  }
}

function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Compiles without running: V8 rejects ES-module syntax in a function body. */
function parsesAsCommonJs(file: string): boolean {
  try {
    const text = readFileSync(file, 'utf8').replace(/^#!.*/, '');
    compileFunction(text, CJS_WRAPPER_PARAMS, { filename: file });
    return true;
  } catch {
    return false;
  }
}

/** The build warning for an instrumented package that is only an ES module. */
export function noCommonJsWarning(pkg: string): string {
  return (
    `@budobserve/agent: "${pkg}" has no CommonJS build, so its ES-module build is bundled as it is and ` +
    'the agent cannot instrument it inside the bundle; mark it external (installed beside the bundle) to have it traced'
  );
}
