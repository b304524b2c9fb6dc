// What a bundler's module id says about the library file it holds: 'node_modules/pg/lib/index.js'
// (esbuild), './node_modules/pg/lib/index.js' (webpack's named ids), nested installs
// ('node_modules/a/node_modules/pg/...') and pnpm's store ('node_modules/.pnpm/pg@8.16.3/
// node_modules/pg/...', which also carries the version). Shared by the load-time scan, the
// runtime and `budobserve doctor`. Owns the parsing; must not read files.

export interface ModulePath {
  /** The package: 'pg', '@redis/client'. */
  pkg: string;
  /** The file inside the package, '/'-separated: 'lib/index.js'. */
  file: string;
  /** The version, when the path carries it (pnpm). */
  version?: string | undefined;
}

const NM = 'node_modules/';
const PNPM = /\.pnpm\/((?:@[^/+]+\+)?[^/@]+)@([0-9][^/_(]*)/;

/** The package and file a module id names, or undefined when it is not a library file. */
export function parseModulePath(id: string): ModulePath | undefined {
  const at = id.lastIndexOf(NM);
  if (at === -1) return undefined;
  const rest = id.slice(at + NM.length);
  const parts = rest.split('/');
  const scoped = parts[0]?.startsWith('@') === true;
  const nameParts = scoped ? 2 : 1;
  if (parts.length <= nameParts || parts[0] === '' || parts[0] === '.pnpm') return undefined;
  const pkg = parts.slice(0, nameParts).join('/');
  const file = parts.slice(nameParts).join('/');
  const pnpm = PNPM.exec(id.slice(0, at));
  const version = pnpm !== null && pnpm[1]?.replace('+', '/') === pkg ? pnpm[2] : undefined;
  return { pkg, file, version };
}
