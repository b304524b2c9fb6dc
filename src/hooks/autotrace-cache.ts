// The on-disk cache of rewritten modules: Babel runs at 1–3 MB/s, too slow to pay at every
// start. An entry is keyed by the source's hash, the rewrite options and the agent version,
// written atomically (temp file + rename) into a folder only the user can read, and checked
// against its own content hash before use: a damaged or altered entry is ignored and rebuilt,
// never executed as it is.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, accessSync, constants } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { debug } from '../debug.ts';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export class RewriteCache {
  readonly dir: string | undefined;

  constructor(projectRoot: string, explicitDir?: string) {
    this.dir = explicitDir ?? pickDir(projectRoot);
  }

  key(parts: readonly string[]): string {
    return sha256(parts.join('\0'));
  }

  get(key: string): string | undefined {
    if (this.dir === undefined) return undefined;
    try {
      const entry = JSON.parse(readFileSync(join(this.dir, `${key}.json`), 'utf8')) as { key?: string; hash?: string; code?: string };
      if (entry.key !== key || typeof entry.code !== 'string' || entry.hash !== sha256(entry.code)) {
        debug('auto-trace cache entry %s failed its check; rebuilding', key);
        return undefined;
      }
      return entry.code;
    } catch {
      return undefined;
    }
  }

  set(key: string, code: string): void {
    if (this.dir === undefined) return;
    const file = join(this.dir, `${key}.json`);
    const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      writeFileSync(temp, JSON.stringify({ key, hash: sha256(code), code }), { mode: 0o600 });
      renameSync(temp, file);
    } catch (error) {
      debug('auto-trace cache write failed: %o', error);
    }
  }
}

/** node_modules/.cache/budobserve in the project when writable, else a per-user temp folder. */
function pickDir(projectRoot: string): string | undefined {
  const candidates = [join(projectRoot, 'node_modules', '.cache', 'budobserve', 'autotrace'), join(tmpdir(), `budobserve-autotrace-${safeUser()}`)];
  for (const dir of candidates) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      accessSync(dir, constants.W_OK);
      return dir;
    } catch {
      // next candidate
    }
  }
  return undefined;
}

function safeUser(): string {
  try {
    return String(userInfo().uid);
  } catch {
    return 'user';
  }
}
