// Whether a folder may hold code this process will later run: the trust rule of the
// auto-trace rewrite cache and of Node's compile cache, modelled on ssh's StrictModes. A
// folder is trusted when this user owns it, it is a real folder (not a symbolic link), and
// neither its group nor others can write it or any folder above it, up to the root or to a
// root-owned sticky folder such as /tmp (whose sticky bit stops others renaming our entries).
// Owns the check, making a private folder, and the one warning for a rejected one; must not
// read the environment or decide which folders to try (the callers do).
// Also built on its own into dist/compile-cache.cjs (through compile-cache.ts), which
// register runs before the agent's bundle: keep the imports to Node builtins and errors.ts.
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { cut, warn } from '../errors.ts';
import { isMainThread } from '../thread.ts';

export type Verdict =
  | { ok: true; dir: string }
  /** benign: owned by root and closed to others; not ours to use, but nothing to warn about. */
  | { ok: false; reason: string; benign?: boolean };

const S_ISVTX = 0o1000;
const octal = (mode: number): string => `0${(mode & 0o7777).toString(8)}`;

/** This process's user id; undefined on Windows, whose per-user temp folder is private by ACL. */
export function currentUid(): number | undefined {
  return process.getuid?.();
}

/** Why group or others can write a folder with this mode, or undefined when they cannot. */
function writableBy(mode: number): string | undefined {
  if ((mode & 0o022) === 0) return undefined;
  return `${mode & 0o002 ? 'others' : 'its group'} can write it (mode ${octal(mode)})`;
}

/**
 * Why a file or folder is not this user's alone (another owner, or group or others may write
 * it), or undefined when it is. Judges a Stats the caller took: fstat of an open entry.
 */
export function notOwnOnly(st: Stats, uid: number | undefined = currentUid()): string | undefined {
  if (uid === undefined) return undefined;
  if (st.uid !== uid) return `it belongs to uid ${st.uid}, not ${uid}`;
  return writableBy(st.mode);
}

/**
 * Checks `dir` (which must exist) and every folder above it. On success the folder's real
 * path is returned: use it from then on, so a symbolic link higher up that is swapped later
 * cannot redirect reads and writes.
 */
export function checkTrustedDir(dir: string): Verdict {
  const uid = currentUid();
  if (uid === undefined) return { ok: true, dir };
  let parent: string;
  let st: Stats | undefined;
  try {
    parent = realpathSync.native(dirname(dir));
    st = lstatSync(join(parent, basename(dir)), { throwIfNoEntry: false });
  } catch (error) {
    return { ok: false, reason: `it cannot be inspected (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  if (st === undefined) return { ok: false, reason: 'it does not exist' };
  if (st.isSymbolicLink()) return { ok: false, reason: 'it is a symbolic link' };
  if (!st.isDirectory()) return { ok: false, reason: 'it is not a folder' };
  const problem = notOwnOnly(st, uid);
  if (problem !== undefined)
    return {
      ok: false,
      reason: problem,
      ...(st.uid === 0 && writableBy(st.mode) === undefined ? { benign: true } : {}),
    };
  const above = checkAncestors(parent, uid);
  return above === undefined ? { ok: true, dir: join(parent, basename(dir)) } : { ok: false, reason: above };
}

/** ssh's rule for the folders above: owned by root or this user, closed to others' writes. */
function checkAncestors(start: string, uid: number): string | undefined {
  for (let p = start; ;) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (st === undefined) return `its parent ${shownPath(p, 40)} cannot be inspected`;
    if (st.uid !== 0 && st.uid !== uid) return `its parent ${shownPath(p, 40)} belongs to uid ${st.uid}`;
    if (st.uid === 0 && (st.mode & S_ISVTX) !== 0) return undefined;
    const open = writableBy(st.mode);
    if (open !== undefined) return `its parent ${shownPath(p, 40)}: ${open}`;
    const up = dirname(p);
    if (up === p) return undefined;
    p = up;
  }
}

/**
 * `dir` made if missing (0700; with `recursive`, missing parents too), then checked. The
 * mode applies only to what is created here: an existing folder is judged as it is.
 */
export function ensureTrustedDir(dir: string, recursive = false): Verdict {
  try {
    if (lstatSync(dir, { throwIfNoEntry: false }) === undefined) mkdirSync(dir, { recursive, mode: 0o700 });
  } catch (error) {
    // EEXIST: another process of ours made it meanwhile; the check below judges it. Anything
    // else (EACCES, EROFS) means a folder nobody planted: skipped without a warning.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
      return {
        ok: false,
        reason: `it cannot be created (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        benign: true,
      };
  }
  return checkTrustedDir(dir);
}

/**
 * A private folder `<parent>/<prefix>XXXXXX` of this user's: an earlier one when one passes
 * the check (so the cache survives the process), else a fresh one from mkdtemp, which
 * creates it 0700 under a name nobody could have guessed in advance.
 */
export function privateTempDir(parent: string, prefix: string): Verdict {
  const uid = currentUid();
  try {
    // An untrusted temp folder fails every folder made in it: make none there.
    const above = uid === undefined ? undefined : checkAncestors(realpathSync.native(parent), uid);
    if (above !== undefined) return { ok: false, reason: above };
    // Bounded: someone else's folders of the same name prefix must not make start-up slow.
    const earlier = readdirSync(parent)
      .filter((name) => name.startsWith(prefix) && name.length === prefix.length + 6)
      .slice(0, 8);
    for (const name of earlier) {
      const verdict = checkTrustedDir(join(parent, name));
      if (verdict.ok) return verdict;
    }
    return checkTrustedDir(mkdtempSync(join(parent, prefix)));
  } catch (error) {
    return {
      ok: false,
      reason: `no private folder can be made in ${shownPath(parent)} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    };
  }
}

/**
 * One BUDOBSERVE_CACHE_UNTRUSTED line per folder or entry and process, naming it, why, what
 * was expected and what happens instead. Worker threads stay silent: they see the same
 * folders as the main thread, which has already said it.
 */
export function reportUntrusted(what: string, path: string, reason: string, outcome: string): void {
  if (!isMainThread()) return;
  // Kept short: the line has room for a path cut to shownPath's length and the reason.
  warn('BUDOBSERVE_CACHE_UNTRUSTED', 'untrusted', [what, shownPath(path), reason, outcome], { once: path });
}

// A path in a warning: quoted, and cut in its middle so that both its start and its last
// folders show and the reason after it still fits the warning's bound.
const shownPath = (path: string, max = 48): string => JSON.stringify(cut(path, max));
