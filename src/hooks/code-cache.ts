// The agent's own V8 code cache of its bundles (dist/boot.cjs and the lazy chunks), in the
// folder compile-cache.ts checked. Node's compile cache serializes a module right after
// compiling it, so it holds only the top level: every function the start and the first
// requests run (some hundreds) was compiled again in each process and worker, about half of
// what the start cost. This cache is made once they have run (vm.Script#createCachedData),
// so it holds them too.
// An entry is keyed by its file's identity (inode, size, modification and change times) and
// by the Node, architecture and flags: V8 itself checks only the source's length, so the
// cache of an edited bundle of the same length would run the old code. A change time cannot
// be set back without root, so an edited or reinstalled bundle never matches an old entry.
// Owns loading the agent's bundles through the cache and writing it; must not decide the
// folder (compile-cache.ts) nor read the environment. Bundled into dist/compile-cache.cjs:
// Node builtins and debug.ts only.
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Script } from 'node:vm';
import { debug } from '../debug.ts';
import { readEntry, writeEntry } from './private-file.ts';

interface NodeModuleInternals {
  new (id: string, parent: unknown): { filename: string; paths: string[]; loaded: boolean; exports: unknown };
  _cache: Record<string, { exports: unknown } | undefined>;
  _nodeModulePaths(dir: string): string[];
  createRequire(file: string): NodeJS.Require;
}

/**
 * When the entries made in this process are written: at exit, or this long after the start
 * if the process lives on (a server the platform kills without an exit, a long-lived worker)
 * and before V8 drops the bytecode of the functions the start ran and never ran again.
 */
const SAVE_AFTER_MS = 3000;
/**
 * Entries older than this are deleted when a new one is written: each build of the agent,
 * Node version and set of flags has its own, and nothing else ever removes them. One in use
 * that goes is written again by the next process that misses it.
 */
const STALE_AFTER_MS = 7 * 24 * 3600 * 1000;
const PREFIX = 'budobserve-code-';

/** FNV-1a, twice with two offsets: 64 bits of a short key, with no node:crypto to load. */
function hash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x9dc5811c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** The cache entry's name for `file` as it is now on disk, under this Node and these flags. */
export function cacheName(file: string, flags: string): string {
  const st = statSync(file, { bigint: true });
  const identity = [process.version, process.arch, flags, file, st.ino, st.size, st.mtimeNs, st.ctimeNs];
  return `${PREFIX}${process.version}-${hash(identity.join('|'))}.cache`;
}

export class CodeCache {
  readonly #dir: string;
  readonly #flags: string;
  /** Scripts compiled without a usable entry, with the entry each is to be written to. */
  readonly #stale: Array<{ entry: string; script: Script }> = [];
  #armed = false;

  /**
   * @param dir a folder only this user can write (trusted-dir.ts).
   * @param flags the process's Node flags: a cache made under other V8 flags is rejected.
   */
  constructor(dir: string, flags: string) {
    this.#dir = dir;
    this.#flags = flags;
  }

  /**
   * Loads `file` (CommonJS) as require() would, registered in require.cache under its own
   * name (lazy chunks require the start bundle back for the copies they share), compiled
   * from the cache when it holds a matching entry; require()d when it cannot be compiled
   * this way.
   */
  load(file: string): unknown {
    const Module = process.getBuiltinModule('node:module') as unknown as NodeModuleInternals;
    const known = Module._cache[file];
    if (known !== undefined) return known.exports;
    const compiled = this.#compile(file);
    if (compiled === undefined) return Module.createRequire(file)(file);
    const fn = compiled.script.runInThisContext() as (...args: unknown[]) => void;
    const mod = new Module(file, null);
    mod.filename = file;
    mod.paths = Module._nodeModulePaths(dirname(file));
    Module._cache[file] = mod;
    try {
      fn.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dirname(file));
    } catch (error) {
      // As require() does: a module that threw is not left in the cache half made.
      delete Module._cache[file];
      throw error;
    }
    mod.loaded = true;
    const used = compiled.cached !== undefined && compiled.script.cachedDataRejected !== true;
    debug(
      'code cache %s for %s: %s',
      used ? 'used' : compiled.cached === undefined ? 'missing' : 'rejected',
      file,
      compiled.entry,
    );
    if (!used) this.#remember(compiled.entry, compiled.script);
    return mod.exports;
  }

  #compile(file: string): { script: Script; entry: string; cached: Buffer | undefined } | undefined {
    const vm = process.getBuiltinModule('node:vm');
    try {
      const entry = join(this.#dir, cacheName(file, this.#flags));
      const cached = readEntry(entry, "the agent's code cache entry", 'the bundle is compiled afresh');
      const source = readFileSync(file, 'utf8');
      // Node's own CommonJS wrapper, on the first line: the bundle's line numbers stay true.
      const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, {
        filename: file,
        ...(cached === undefined ? {} : { cachedData: cached }),
        importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
      });
      return { script, entry, cached };
    } catch {
      return undefined;
    }
  }

  #remember(entry: string, script: Script): void {
    this.#stale.push({ entry, script });
    if (this.#armed) return;
    this.#armed = true;
    const save = (): void => {
      clearTimeout(timer);
      process.removeListener('exit', save);
      this.save();
    };
    const timer = setTimeout(save, SAVE_AFTER_MS);
    timer.unref();
    process.on('exit', save);
  }

  /** Writes the entries this process could not use, with every function compiled so far. */
  save(): void {
    // A chunk loaded later arms the next save.
    this.#armed = false;
    const stale = this.#stale.splice(0);
    for (const { entry, script } of stale) write(entry, script);
    if (stale.length > 0) removeOld(this.#dir, Date.now() - STALE_AFTER_MS);
  }
}

/** The agent's entries last written before `before` (bounded: the folder is this user's own). */
function removeOld(dir: string, before: number): void {
  let names: string[];
  try {
    names = readdirSync(dir).slice(0, 1000);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue;
    try {
      const path = join(dir, name);
      if (statSync(path).mtimeMs < before) unlinkSync(path);
    } catch {
      // Another process removed it first: nothing to tidy.
    }
  }
}

/** With every function compiled so far: the entry the next process loads. */
function write(entry: string, script: Script): void {
  if (writeEntry(entry, script.createCachedData())) debug('code cache written: %s', entry);
}
