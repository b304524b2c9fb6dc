// Finds the config file with cosmiconfig, loads it (code through load-code.ts, data through
// load-data.ts), and flattens it into raw values keyed by option path. Unknown keys are
// reported with a suggestion; nothing here throws: a file that fails to load is reported
// (load-error.ts says where and why) and the agent goes on with env and defaults.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { byPath, options } from './schema.ts';
import { isPlainObject } from './parse.ts';
import { didYouMean } from './suggest.ts';
import type { RawValue } from './env.ts';
import { catalogNames } from '../integrations/catalog.ts';
import { loadCodeFile } from './load-code.ts';
import { loadJson, yamlLoader } from './load-data.ts';
import { failureOf } from './load-error.ts';
import type { LoadFailure } from './load-error.ts';
import { quote } from '../errors.ts';
import { requireExternal } from '../lazy.ts';

export const MODULE_NAME = 'budobserve';

export const searchPlaces = [
  'package.json',
  ...['ts', 'mts', 'cts', 'js', 'mjs', 'cjs', 'json', 'yaml', 'yml'].map((ext) => `budobserve.config.${ext}`),
  '.budobserverc',
  ...['json', 'yaml', 'yml', 'js', 'cjs', 'mjs'].map((ext) => `.budobserverc.${ext}`),
];

/** Something wrong with one key of the file: `kind` decides the warning's code, `message` is its text. */
export interface FileProblem {
  kind: 'unknown-key' | 'invalid';
  message: string;
}

export interface FileLayer {
  /** Absolute path of the file that was loaded. */
  filepath?: string;
  values: Map<string, RawValue>;
  /** Options for one instrumentation, by short name. */
  instrumentationOptions: Record<string, Record<string, unknown>>;
  problems: FileProblem[];
  /** The file exists but could not be loaded. */
  loadError?: LoadFailure;
}

export const emptyFileLayer = (): FileLayer => ({ values: new Map(), instrumentationOptions: {}, problems: [] });

/**
 * @param cwd where the search starts; it walks up to the nearest folder with a package.json,
 *   and stays in cwd when there is none.
 * @param explicit BUD_OBSERVE_CONFIG: a path that is loaded instead of searching.
 */
export function loadConfigFile(cwd: string, explicit: string | undefined): FileLayer {
  const layer = emptyFileLayer();
  let filepath: string | undefined;
  const search = explicit === undefined || explicit === '' ? searchScope(cwd) : undefined;
  if (search?.mayHaveConfig === false) return layer;
  try {
    // cosmiconfig is required here, not imported at the top, so a process whose config
    // comes from the environment alone (Kubernetes) never pays for loading it.
    const { cosmiconfigSync, defaultLoadersSync } = requireExternal<typeof import('cosmiconfig')>('cosmiconfig');
    // Every loader notes its file first: a search that throws does not say which file did.
    const noting =
      (load: (p: string, c: string) => unknown) =>
      (p: string, c: string): unknown => {
        filepath = p;
        return load(p, c);
      };
    const loaders: Record<string, (p: string, c: string) => unknown> = {};
    for (const ext of ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']) loaders[ext] = noting(loadCodeFile);
    loaders['.json'] = noting(loadJson);
    for (const ext of ['.yaml', '.yml', 'noExt'] as const)
      loaders[ext] = noting(yamlLoader(defaultLoadersSync[ext] as (p: string, c: string) => unknown));
    // Config files are code: outside a project (no package.json above cwd) only cwd is
    // searched, never its parents, which may be shared folders such as /tmp.
    const explorer = cosmiconfigSync(MODULE_NAME, {
      searchPlaces,
      searchStrategy: search?.inProject === false ? 'none' : 'project',
      loaders,
      cache: false,
    });
    let result;
    if (explicit !== undefined && explicit !== '') {
      filepath = isAbsolute(explicit) ? explicit : resolvePath(cwd, explicit);
      // A device or FIFO (BUD_OBSERVE_CONFIG=/dev/zero) would be read for ever at start-up.
      if (!statSync(filepath).isFile()) throw new Error('not a regular file');
      result = explorer.load(filepath);
    } else {
      result = explorer.search(cwd);
    }
    if (result === null || result === undefined) return layer;
    filepath = result.filepath;
    layer.filepath = filepath;
    if (result.isEmpty === true || result.config === undefined || result.config === null) return layer;
    flatten(
      result.config,
      '',
      basename(filepath) === 'package.json' ? 'package.json#budobserve' : basename(filepath),
      layer,
    );
  } catch (error) {
    layer.loadError = failureOf(error, filepath ?? explicit ?? cwd);
  }
  return layer;
}

const candidates = new Set(searchPlaces.filter((p) => p !== 'package.json'));

/**
 * Whether cosmiconfig's search could find anything, answered with one readdir per folder up
 * to the project root (the first folder with a package.json, as searchStrategy 'project'),
 * and whether there is a project root at all. Loading cosmiconfig costs ~13 ms, and most
 * processes (every one configured by environment variables alone) have no file to find.
 */
function searchScope(cwd: string): { mayHaveConfig: boolean; inProject: boolean } {
  let dir = cwd;
  let inCwd = false;
  let above = false;
  for (;;) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      names = [];
    }
    if (names.some((n) => candidates.has(n))) {
      if (dir === cwd) inCwd = true;
      else above = true;
    }
    if (names.includes('package.json')) {
      if (inCwd || above) return { mayHaveConfig: true, inProject: true };
      try {
        return {
          mayHaveConfig: Object.hasOwn(
            JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as object,
            MODULE_NAME,
          ),
          inProject: true,
        };
      } catch {
        return { mayHaveConfig: true, inProject: true }; // let cosmiconfig report the broken package.json
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return { mayHaveConfig: inCwd, inProject: false };
    dir = parent;
  }
}

const groups = new Set(
  options.flatMap((o) =>
    o.path
      .split('.')
      .slice(0, -1)
      .map((_, i, parts) => parts.slice(0, i + 1).join('.')),
  ),
);

function childrenOf(prefix: string): string[] {
  const out = new Set<string>();
  const depth = prefix === '' ? 0 : prefix.split('.').length;
  for (const o of options) {
    if (prefix !== '' && !o.path.startsWith(`${prefix}.`)) continue;
    const seg = o.path.split('.')[depth];
    if (seg !== undefined) out.add(seg);
  }
  if (prefix === 'instrumentations') for (const n of catalogNames()) out.add(n);
  return [...out];
}

export function flatten(obj: unknown, prefix: string, fileLabel: string, layer: FileLayer): void {
  if (!isPlainObject(obj)) {
    layer.problems.push({
      kind: 'invalid',
      message: `${fileLabel}: ${prefix === '' ? 'the file' : `'${prefix}'`} should export an object, got ${describe(obj)}`,
    });
    return;
  }
  for (const [key, value] of Object.entries(obj)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (value === undefined) continue;
    if (byPath.has(path)) {
      layer.values.set(path, { raw: value, origin: `${fileLabel} (${path})` });
    } else if (groups.has(path)) {
      flatten(value, path, fileLabel, layer);
    } else if (prefix === 'instrumentations' && catalogNames().includes(key)) {
      if (isPlainObject(value)) layer.instrumentationOptions[key] = value;
      else
        layer.problems.push({
          kind: 'invalid',
          message: `${fileLabel}: '${path}' = ${describe(value)} is invalid: expected an object of options for the '${key}' instrumentation`,
        });
    } else {
      layer.problems.push({
        kind: 'unknown-key',
        message: `${fileLabel}: unknown key '${path}'${didYouMean(key, childrenOf(prefix))}`,
      });
    }
  }
}

/** A value as messages and `budobserve doctor` show it: strings quoted and cut, the rest in words. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (value instanceof RegExp) return String(value);
  if (Array.isArray(value)) return `[${value.slice(0, 5).map(describe).join(', ')}${value.length > 5 ? ', …' : ''}]`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

export const configDir = (layer: FileLayer): string | undefined =>
  layer.filepath === undefined ? undefined : dirname(layer.filepath);
