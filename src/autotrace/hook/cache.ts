// The on-disk cache of rewritten modules: Babel runs at 1–3 MB/s, too slow to pay at every
// start. An entry is keyed by the source's hash, the rewrite options and the agent version.
// What the cache returns is executed, so the folder and each entry must be ones no other
// user could have written (src/hooks/trusted-dir.ts): an entry is opened without following
// links and judged by fstat on that same descriptor, and written atomically (a 0600 temp
// file made with O_EXCL, then renamed). The content hash inside an entry only catches
// damage; it is no defence, since anyone can compute it. Owns the folder choice and the
// entry format; must not create a node_modules/ folder in a project that has none.
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkTrustedDir,
  currentUid,
  ensureTrustedDir,
  privateTempDir,
  reportUntrusted,
} from '../../hooks/trusted-dir.ts';
import { readEntry, writeEntry } from '../../hooks/private-file.ts';
import type { Verdict } from '../../hooks/trusted-dir.ts';
import { debug } from '../../debug.ts';

// node:crypto is loaded on the first lookup, not with the agent (src/primordials.ts says why).
const sha256 = (s: string): string =>
  process.getBuiltinModule('node:crypto').createHash('sha256').update(s).digest('hex');

export class RewriteCache {
  readonly dir: string | undefined;

  constructor(projectRoot: string, explicitDir?: string) {
    this.dir = pickDir(projectRoot, explicitDir);
    debug('auto-trace cache folder: %s', this.dir ?? 'none');
  }

  key(parts: readonly string[]): string {
    return sha256(parts.join('\0'));
  }

  get(key: string): string | undefined {
    if (this.dir === undefined) return undefined;
    const bytes = readEntry(join(this.dir, `${key}.json`), 'auto-trace cache entry', 'the module is rewritten again');
    if (bytes === undefined) return undefined;
    try {
      const entry = JSON.parse(bytes.toString('utf8')) as { key?: string; hash?: string; code?: string };
      if (entry.key === key && typeof entry.code === 'string' && entry.hash === sha256(entry.code)) {
        debug('auto-trace cache hit %s', key);
        return entry.code;
      }
    } catch {
      // damaged: rebuilt below
    }
    debug('auto-trace cache entry %s failed its check; rebuilding', key);
    return undefined;
  }

  set(key: string, code: string): void {
    if (this.dir === undefined) return;
    writeEntry(join(this.dir, `${key}.json`), JSON.stringify({ key, hash: sha256(code), code }));
  }
}

/**
 * The first trusted folder of: the explicit one; node_modules/.cache/budobserve/autotrace,
 * only if the project already has node_modules/; <temp>/budobserve-autotrace-<uid>; else a
 * private <temp>/budobserve-autotrace-<uid>-XXXXXX. None (a read-only disk): no cache.
 * Each folder rejected as untrusted is reported once it is known what happens instead.
 */
function pickDir(projectRoot: string, explicitDir: string | undefined): string | undefined {
  const rejected: Array<[string, string]> = [];
  let found: string | undefined;
  try {
    const uid = currentUid() ?? 'user';
    const use = (dir: string, verdict: Verdict): string | undefined => {
      if (verdict.ok) return verdict.dir;
      if (verdict.benign === true) debug('auto-trace cache folder %s not used: %s', dir, verdict.reason);
      else rejected.push([dir, verdict.reason]);
      return undefined;
    };
    const nodeModules = join(projectRoot, 'node_modules');
    const inProject = isFolder(nodeModules) ? join(nodeModules, '.cache', 'budobserve', 'autotrace') : undefined;
    const shared = join(tmpdir(), `budobserve-autotrace-${uid}`);
    found =
      (explicitDir === undefined ? undefined : use(explicitDir, checkTrustedDir(explicitDir))) ??
      (inProject === undefined ? undefined : use(inProject, ensureTrustedDir(inProject, true))) ??
      use(shared, ensureTrustedDir(shared));
    if (found === undefined) {
      const fresh = privateTempDir(tmpdir(), `budobserve-autotrace-${uid}-`);
      if (fresh.ok) found = fresh.dir;
      else debug('auto-trace cache off: %s', fresh.reason);
    }
  } catch (error) {
    debug('auto-trace cache off: %o', error);
  }
  const outcome = found === undefined ? 'no rewrite cache' : 'a private one is used';
  for (const [dir, reason] of rejected) reportUntrusted('auto-trace cache folder', dir, reason, outcome);
  return found;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    return false; // not searchable: not ours to cache in
  }
}
