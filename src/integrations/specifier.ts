// The names under which the catalog knows a module, from the specifier an app imports or
// requires: Node's `node:` prefix dropped ('node:fs/promises' is the catalog's 'fs/promises'),
// and the bare package of a deep import ('pg/lib/client' → 'pg', '@scope/pkg/sub' →
// '@scope/pkg'). Shared by activation (activate.ts) and the module hooks' isHooked
// (src/boot/boot.ts). Owns that normalisation; must stay cheap: it runs for every specifier
// that can name a library.

/** The specifier without Node's `node:` prefix. */
export function withoutNodePrefix(specifier: string): string {
  return specifier.startsWith('node:') ? specifier.slice(5) : specifier;
}

/** The package a bare specifier names: its first path segment, or its first two when scoped. */
export function packageName(specifier: string): string {
  const name = withoutNodePrefix(specifier);
  const slash = name.indexOf('/');
  if (slash < 0) return name;
  if (name.charCodeAt(0) !== 64 /* @ */) return name.slice(0, slash);
  const end = name.indexOf('/', slash + 1);
  return end < 0 ? name : name.slice(0, end);
}
