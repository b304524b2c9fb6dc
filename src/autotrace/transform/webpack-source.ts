// webpack names a module's source in its map by a URL of its own, not a file:
// `webpack://<namespace>/./src/services/users.ts` (devtoolModuleFilenameTemplate's default,
// the path relative to the build's context, which is the project's folder unless configured
// otherwise), and its runtime `webpack://<namespace>/webpack/bootstrap`. Read as a path under
// the project root, the first can be selected (src/services/**) and named as unbundled.
// Shared by the load hook (hook/map-sources.ts, in the boot bundle: nothing else imported) and
// the rewrite. Owns reading that URL; must not guess at any other scheme.

/** The project-relative path a webpack:// source names ('src/services/users.ts'), if it is one. */
export function webpackSourcePath(source: string): string | undefined {
  const m = /^webpack:\/\/[^/]*\/(?:\.\/)?([^?#]*)/.exec(source);
  if (m === null || m[1] === undefined || m[1] === '' || m[1].startsWith('webpack/')) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}
