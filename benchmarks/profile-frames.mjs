// What a CPU profile's frame is, for the profile benchmarks (throughput-profile.mjs,
// processors-profile.mjs): the original source of a frame in the agent's bundles (through the
// external source maps of `BUILD_SOURCEMAP=1 node scripts/build.mjs`), else its URL.
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const maps = new Map();
/** The source map of one of the agent's built files, or undefined when the build wrote none. */
export function mapOf(url) {
  if (!maps.has(url)) {
    let map;
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${new URL(url).pathname}.map`, 'utf8')));
    } catch {
      map = undefined;
    }
    maps.set(url, map);
  }
  return maps.get(url);
}

/** `{ fn, src, bundle }`: the function, its original source, and whether it is in the agent's dist/. */
export function frameOf(callFrame) {
  const { url, lineNumber, columnNumber, functionName } = callFrame;
  const bundle = url.startsWith(`file://${root}dist/`);
  let src = url;
  // The vendor-*.cjs shims the build writes (a line handing out boot.cjs's copy) have no map.
  if (bundle) src = mapOf(url)?.findEntry(lineNumber, columnNumber).originalSource ?? url;
  return { fn: functionName, src, bundle };
}
