// Which of the app's own modules are auto-traced: autoTrace.modules (globs, or RegExps from a
// config file) matched against the path relative to the project root, minus
// autoTrace.exclude; nothing under node_modules unless a pattern names node_modules.
import { relative, sep } from 'node:path';
import { patternMatcher } from '../../config/glob.ts';

export interface Selection {
  projectRoot: string;
  modules: ReadonlyArray<string | RegExp>;
  exclude: ReadonlyArray<string | RegExp>;
}

const JS = /\.(?:[cm]?js|jsx|[cm]?ts|tsx)$/;

/** Returns the module's path relative to the project root when it is selected. */
export function createSelector(sel: Selection): (filename: string) => string | undefined {
  const include = sel.modules.map(patternMatcher);
  const exclude = sel.exclude.map(patternMatcher);
  const allowNodeModules = sel.modules.some((p) => String(p).includes('node_modules'));
  return (filename) => {
    if (!JS.test(filename)) return undefined;
    const rel = relative(sel.projectRoot, filename).split(sep).join('/');
    if (rel.startsWith('../') || rel === '') return undefined;
    if (!allowNodeModules && rel.split('/').includes('node_modules')) return undefined;
    if (!include.some((m) => m(rel)) || exclude.some((m) => m(rel))) return undefined;
    return rel;
  };
}
