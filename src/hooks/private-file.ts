// One entry of a cache folder trusted-dir.ts accepted (the auto-trace rewrite cache, the
// agent's code cache): read only if it is a regular file this user alone can write, opened
// without following a link and judged by fstat on the descriptor read, so the file judged is
// the file read; written to a new 0600 temp file (O_EXCL) renamed into place, so a reader
// sees a whole entry or none. Owns those two moves; must not choose folders or names.
// Also bundled into dist/compile-cache.cjs: Node builtins, trusted-dir.ts and debug.ts only.
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { notOwnOnly, reportUntrusted } from './trusted-dir.ts';
import { debug } from '../debug.ts';

// Windows has no O_NOFOLLOW; its per-user temp folder is private by ACL.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const READ_FLAGS = constants.O_RDONLY | NOFOLLOW | (constants.O_NONBLOCK ?? 0);
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;

/**
 * The entry's bytes, or undefined when it is missing or not to be trusted (one
 * BUDOBSERVE_CACHE_UNTRUSTED warning naming `what` it is and the `outcome`).
 */
export function readEntry(file: string, what: string, outcome: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, READ_FLAGS);
    const st = fstatSync(fd);
    const why = st.isFile() ? notOwnOnly(st) : 'it is not a regular file';
    if (why !== undefined) {
      reportUntrusted(what, file, why, outcome);
      return undefined;
    }
    return readFileSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') reportUntrusted(what, file, 'it is a symbolic link', outcome);
    else if (code !== 'ENOENT') debug('%s %s unreadable: %o', what, file, error);
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes the entry whole or not at all; false when it could not (a full disk, a read-only folder). */
export function writeEntry(file: string, data: string | Uint8Array): boolean {
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(temp, WRITE_FLAGS, 0o600);
    writeFileSync(fd, data);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, file);
    return true;
  } catch (error) {
    debug('cache write of %s failed: %o', file, error);
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      /* never made, or already renamed */
    }
    return false;
  }
}
