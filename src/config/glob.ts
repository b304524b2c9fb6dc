// Glob matching for auto-trace selection and `doctor`: `*` within a path segment, `**`
// across segments, `?` one character, `{a,b}` alternatives. Node's path.matchesGlob is still
// experimental on Node 22 (it prints a warning), so this small matcher stands in.
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const close = glob.indexOf('}', i);
      if (close < 0) re += '\\{';
      else {
        re += `(?:${glob
          .slice(i + 1, close)
          .split(',')
          .map((alt) => globToRegExp(alt).source.slice(1, -1))
          .join('|')})`;
        i = close;
      }
    } else re += /[.+^$()|[\]\\]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${re}$`);
}

/** A directory pattern (`src/services`) also selects what is below it. */
export function patternMatcher(pattern: string | RegExp): (relPath: string) => boolean {
  if (pattern instanceof RegExp) return (p) => pattern.test(p);
  const clean = pattern.replace(/^\.\//, '').replace(/\/$/, '');
  const exact = globToRegExp(clean);
  const below = /[*?{]/.test(clean) ? undefined : globToRegExp(`${clean}/**`);
  return (p) => exact.test(p) || (below?.test(p) ?? false);
}
