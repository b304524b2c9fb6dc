// Auto-tracing lives in src/autotrace/, in three parts that load at different times:
// - hook/ (this folder, in the boot bundle): which of the app's modules are rewritten
//   (select.ts), the on-disk cache of rewrites (cache.ts), and this file;
// - transform/ (dist/lazy/autotrace-rewrite.cjs, with Babel's parser, loaded on the first
//   module the cache does not hold): the rewrite of one module (rewrite.ts);
// - runtime/ (dist/lazy/autotrace-runtime.cjs, loaded when autoTrace.modules is set): what
//   the rewritten functions call (runtime.ts).
//
// This file is the auto-trace half of the load hook (src/hooks/module-hooks.ts calls it):
// decides whether a module is the app's own and selected, and serves its rewritten source
// (from the cache, or rewritten now by the transform). A module that cannot be rewritten
// loads exactly as it was, with one warning naming it. Owns selection and caching; must not
// rewrite anything itself (transform/) nor import the runtime (which would pull it into the
// boot bundle).
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSelector } from './select.ts';
import { mapSources } from './map-sources.ts';
import type { Selection } from './select.ts';
import { RewriteCache } from './cache.ts';
import { loadChunk } from '../../lazy.ts';
import { warn } from '../../errors.ts';
import { debug } from '../../debug.ts';
import { AGENT_VERSION } from '../../version.ts';
import { PROTOCOL } from '../transform/wrap.ts';

interface Rewriter {
  rewriteModule(
    source: string,
    options: {
      filename: string;
      relPath: string;
      format: 'module' | 'commonjs';
      typescript?: boolean;
      projectRoot?: string;
      sources?: readonly string[];
    },
  ): { code: string; map: object } | undefined;
}

export interface AutoTraceTransformOptions extends Selection {
  cacheDir?: string;
}

export function createAutoTraceTransform(
  opts: AutoTraceTransformOptions,
): (url: string, source: string, format: string) => string | undefined {
  const select = createSelector(opts);
  const cache = new RewriteCache(opts.projectRoot, opts.cacheDir);
  const optionsKey = JSON.stringify({ modules: opts.modules.map(String), exclude: opts.exclude.map(String) });
  let rewriter: Rewriter | undefined;
  let mapsOn = false;
  return (url, source, format) => {
    if (!url.startsWith('file:') || url.includes('?')) return undefined;
    const filename = fileURLToPath(url);
    // A compiled file (dist/) or a bundle is selected by the sources its map names
    // (src/services/**): only their functions are rewritten, their positions reported in
    // those sources through the map. Decided from the map alone: a bundle that holds no
    // selected source is not parsed.
    const sources =
      select(filename) === undefined
        ? mapSources(filename, source, opts.projectRoot).filter((s) => select(s) !== undefined)
        : undefined;
    if (sources?.length === 0) return undefined;
    const rel = relative(opts.projectRoot, filename).split(sep).join('/');
    const moduleFormat = format === 'module' || format === 'module-typescript' ? 'module' : 'commonjs';
    const key = cache.key([AGENT_VERSION, String(PROTOCOL), optionsKey, rel, format, source, ...(sources ?? [])]);
    let code = cache.get(key);
    if (code === undefined) {
      try {
        if (rewriter === undefined) {
          debug('auto-trace rewrite (Babel) loaded, for %s', rel);
          rewriter = loadChunk<Rewriter>('autotrace-rewrite');
        }
        const out = rewriter.rewriteModule(source, {
          filename,
          relPath: rel,
          format: moduleFormat,
          typescript: format.endsWith('-typescript'),
          projectRoot: opts.projectRoot,
          ...(sources === undefined ? {} : { sources }),
        });
        code =
          out === undefined
            ? source
            : `${out.code}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(out.map)).toString('base64')}\n`;
      } catch (error) {
        warn(
          'BUDOBSERVE_AUTOTRACE_FAILED',
          'rewrite',
          [rel, error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)],
          { cause: error, once: rel },
        );
        return undefined;
      }
      cache.set(key, code);
    }
    if (code === source) return undefined;
    if (!mapsOn) {
      // Stack traces and error positions point at the original file, line and column
      // without the user passing --enable-source-maps.
      process.setSourceMapsEnabled(true);
      mapsOn = true;
    }
    if (sources === undefined) debug('auto-traced %s', rel);
    else debug('auto-traced %s: %d of its sources selected', rel, sources.length);
    return code;
  };
}
