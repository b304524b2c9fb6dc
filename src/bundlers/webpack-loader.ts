// The webpack loader of `@budobserve/agent/webpack` (dist/webpack-loader.cjs), which webpack.ts
// applies by a rule to each CommonJS file of an instrumented package: appends the hook footer
// (src/bundle/contract.ts) that its options describe, and nothing else. Appending moves no code,
// so an incoming source map stays valid. Must not import the agent's runtime or core.ts's catalog.
import type { LoaderContext } from 'webpack';
import { commonJsFooter } from '../bundle/contract.ts';

interface Options {
  pkg: string;
  version?: string;
  file: string;
  isMain: boolean;
}

export default function budobserveFooterLoader(
  this: LoaderContext<Options>,
  source: string | Buffer,
  map?: string | Record<string, unknown>,
): void {
  const { pkg, version, file, isMain } = this.getOptions();
  this.callback(null, `${source.toString()}${commonJsFooter(pkg, version, file, isMain)}`, map as never);
}
