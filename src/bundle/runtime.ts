// The agent's side of the bundle contract (contract.ts): the object published at
// globalThis[Symbol.for('budobserve.bundle.1')] once the first bundle needs it. A bundled
// library module reports its exports here, by package, file and (when known) version; the
// runtime enables the package's instrumentation as the module hooks would on its first
// require, decides the version (versions.ts) and routes the exports through the module
// definitions (dispatch.ts).
//
// Which file is a package's entry: the plugins say so; inside an unminified bundle the
// runtime tells it the way require-in-the-middle does not need to, by who asks first: a
// wrapper called from outside its own package (the app, another package, a top-level
// ES-module region) is that package's entry; one called from inside it is an internal file.
// Owns the wrappers the contract asks for; must not read or rewrite bundles.
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { BundleHook } from './contract.ts';
import { parseModulePath } from './module-path.ts';
import type { ModulePath } from './module-path.ts';
import { applyPatches, definitionsOf } from './dispatch.ts';
import { assumedVersion } from './versions.ts';
import { warn } from '../errors.ts';

export interface BundleRuntimeOptions {
  /** Whether an active integration instruments this module name. */
  isInstrumented(pkg: string): boolean;
  /** Enables the instrumentations of a package, as its first require would. */
  activate(pkg: string): void;
  /** The enabled instrumentations. */
  instrumentations(): Iterable<Instrumentation>;
}

type Factory = (this: unknown, ...args: unknown[]) => unknown;

/** The hook, for the first bundle that needs it. */
export function createBundleRuntime(opts: BundleRuntimeOptions): BundleHook {
  const runtime = new BundleRuntime(opts);
  return {
    module: (exports, pkg, version, file, isMain) => runtime.report(exports, pkg, version, file, isMain),
    commonJS(helper, versions) {
      const getName = Object.getOwnPropertyNames;
      const wrapped = (cb: object, mod: unknown): unknown => {
        const inner = (helper as unknown as (cb: object, mod: unknown) => () => unknown)(cb, mod);
        const path = parseModulePath(getName(cb)[0] ?? '');
        if (path === undefined || !opts.isInstrumented(path.pkg)) return inner;
        const wrapper = runtime.wrap(path, path.version ?? versions[path.pkg], inner);
        // The name esbuild's wrappers have, for stack traces.
        return function __require(): unknown {
          return wrapper();
        };
      };
      return wrapped as unknown as typeof helper;
    },
    webpack(modules, versions) {
      for (const id of Object.keys(modules)) {
        const path = parseModulePath(id);
        const factory = modules[id];
        if (path === undefined || typeof factory !== 'function' || !opts.isInstrumented(path.pkg)) continue;
        const version = path.version ?? versions[path.pkg];
        modules[id] = webpackFactory(factory as Factory, (evaluate) => runtime.wrap(path, version, evaluate));
      }
    },
    esm(bindings, pkg, version, file) {
      runtime.report(bindings, pkg, version, file, true);
    },
  };
}

class BundleRuntime {
  readonly #opts: BundleRuntimeOptions;
  // The packages whose wrappers are evaluating now, innermost last: who asks for a module.
  readonly #evaluating: string[] = [];
  readonly #assumed = new Map<string, string | undefined>();
  // Assumed versions are told in one warning: the packages a bundle loads together, together.
  #untold: string[] = [];

  constructor(opts: BundleRuntimeOptions) {
    this.#opts = opts;
  }

  /** The exports through the package's instrumentations; the same exports on any failure. */
  report(exports: unknown, pkg: string, version: string | undefined, file: string, isMain: boolean): unknown {
    try {
      if (!this.#opts.isInstrumented(pkg)) return exports;
      this.#opts.activate(pkg);
      const defs = definitionsOf(this.#opts.instrumentations(), pkg);
      if (defs.length === 0) return exports;
      const v = this.#versionOf(pkg, version);
      return v === undefined ? exports : applyPatches(exports, { defs, pkg, version: v, file, isMain });
    } catch (error) {
      warn('BUDOBSERVE_BUNDLE_FAILED', 'patch', [`${pkg}/${file}`], { cause: error, once: `${pkg}/${file}` });
      return exports;
    }
  }

  /** Wraps one module's evaluation: reports it once it has finished, as entry or as internal file. */
  wrap(path: ModulePath, version: string | undefined, evaluate: () => unknown): () => unknown {
    const evaluating = this.#evaluating;
    let state: 'fresh' | 'running' | 'done' = 'fresh';
    let asEntry = false;
    let result: unknown;
    return () => {
      const fromOutside = evaluating[evaluating.length - 1] !== path.pkg;
      // A circular require() gets the partial exports, as without the agent.
      if (state === 'running') return evaluate();
      if (state === 'fresh') {
        state = 'running';
        evaluating.push(path.pkg);
        try {
          result = evaluate();
        } catch (error) {
          state = 'fresh';
          throw error;
        } finally {
          evaluating.pop();
        }
        state = 'done';
        asEntry = fromOutside;
        result = this.report(result, path.pkg, version, path.file, fromOutside);
      } else if (fromOutside && !asEntry) {
        // First evaluated by its own package, now asked for from outside: it is the entry too.
        asEntry = true;
        result = this.report(result, path.pkg, version, path.file, true);
      }
      return result;
    };
  }

  #versionOf(pkg: string, version: string | undefined): string | undefined {
    if (version !== undefined) return version;
    if (this.#assumed.has(pkg)) return this.#assumed.get(pkg);
    const ranges = definitionsOf(this.#opts.instrumentations(), pkg).flatMap((d) => d.supportedVersions);
    const v = assumedVersion(ranges);
    this.#assumed.set(pkg, v);
    if (this.#untold.push(v === undefined ? `${pkg} none (left uninstrumented)` : `${pkg} ${v}`) === 1) {
      process.nextTick(() => {
        warn('BUDOBSERVE_BUNDLE_VERSION_ASSUMED', 'assumed', [this.#untold.join(', ')]);
        this.#untold = [];
      });
    }
    return v;
  }
}

/** A webpack module factory that evaluates the original one through `wrapOnce`'s wrapper. */
function webpackFactory(factory: Factory, wrapOnce: (evaluate: () => unknown) => () => unknown): Factory {
  return function (this: unknown, ...args: unknown[]): void {
    const module = args[0] as { exports: unknown };
    const run = wrapOnce(() => {
      Reflect.apply(factory, this, args);
      return module.exports;
    });
    module.exports = run();
  };
}
