// Loads a JavaScript or TypeScript config file synchronously, in the module format its own
// syntax needs, whatever the project's package.json "type" says. `npm init -y` writes
// "type": "commonjs", and there Node reads budobserve.config.ts (import/export, as `init`
// writes it) as CommonJS and fails; renaming the file or changing "type" would break the app.
//
// So the format is decided here: for JavaScript by V8 (the file compiled once as a CommonJS
// function body fails only on ES module syntax, or on a syntax error the ES module load then
// reports too), for TypeScript by a scan for import/export (module-syntax.ts). A load hook
// hands Node that format for this one file while require() evaluates it; Node strips the
// types itself (from the compile cache after the first start; no TypeScript install), keeping
// every line and column. require() because the agent loads its configuration synchronously
// (a --require preload cannot await); Node's require() of ES modules does the rest. The hooks
// live only for that require() call.
// Owns reading, format detection and evaluation of code config files, and where their
// errors are; must not interpret what the file exports.
// Named imports, read at each call in the bundle: registerHooks and stripTypeScriptTypes are
// missing on some releases, and a namespace import would copy the whole module at load.
import { createRequire, registerHooks as nodeRegisterHooks, stripTypeScriptTypes as nodeStrip } from 'node:module';
import { readFileSync, realpathSync } from 'node:fs';
import { compileFunction } from 'node:vm';
import { pathToFileURL } from 'node:url';
import { ConfigLoadError, locationFromCodeFrame, locationFromFrames, withLocation } from './load-error.ts';
import { hasModuleSyntax } from './module-syntax.ts';
import { resolveExternal } from '../lazy.ts';

// Made at the first config file loaded, not at every start (most have none).
let here: NodeJS.Require | undefined;
const requireHere = (): NodeJS.Require => (here ??= createRequire(import.meta.url));
const TYPESCRIPT = /\.[cm]?ts$/;
/** The agent's own package, which the config file imports defineConfig from. */
const SELF = /^@budobserve\/agent(?:\/|$)/;
const CJS_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname'];

type Format = 'module' | 'commonjs';
interface Loaded {
  real: string;
  url: string;
  text: string;
  typescript: boolean;
  format: Format;
}

/** What the file exports: its default export, or module.exports. */
export function loadCodeFile(filepath: string): unknown {
  const registerHooks = nodeRegisterHooks as typeof nodeRegisterHooks | undefined;
  if (typeof registerHooks !== 'function') {
    throw new ConfigLoadError(
      `Node.js ${process.versions.node} cannot load it (module.registerHooks needs Node.js ^22.18.0 || >=24.11.0)`,
    );
  }
  const real = realpathSync(filepath);
  const url = pathToFileURL(real).href;
  const text = readFileSync(real, 'utf8');
  const typescript = TYPESCRIPT.test(real);
  const format: Format = (typescript ? hasModuleSyntax(text) : scriptError(text, real) !== undefined)
    ? 'module'
    : 'commonjs';
  const nodeFormat = typescript ? `${format}-typescript` : format;
  const hooks = registerHooks({
    resolve(specifier, context, nextResolve) {
      if (context.parentURL !== url || !SELF.test(specifier)) return nextResolve(specifier, context);
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        // The agent was preloaded from outside the app (an injector's copy, a global
        // install): the config file gets the API of the agent that is running.
        try {
          return { url: resolveExternal(specifier), shortCircuit: true };
        } catch {
          throw error;
        }
      }
    },
    load: (u, context, nextLoad) =>
      u === url ? { format: nodeFormat, source: text, shortCircuit: true } : nextLoad(u, context),
  });
  let mod: unknown;
  try {
    delete requireHere().cache[real];
    mod = requireHere()(real);
  } catch (error) {
    throw locate(error, { real, url, text, typescript, format });
  } finally {
    hooks.deregister();
  }
  return mod !== null && typeof mod === 'object' && 'default' in mod ? mod.default : mod;
}

/** Undefined when `source` compiles as a CommonJS module body; else why not (a SyntaxError). */
function scriptError(source: string, filename: string): unknown {
  try {
    // A hashbang is valid in a module or a script, not in a function body; keep its length.
    compileFunction(source.startsWith('#!') ? `//${source.slice(2)}` : source, CJS_PARAMS, { filename });
    return undefined;
  } catch (error) {
    return error;
  }
}

/**
 * Where loading failed. A runtime error: its first frame in the user's files. A parse error
 * of an ES module has no code frame, so no line or column: the same error, met compiling the
 * code as a script, has one; failing that, the TypeScript stripper (which parses modules)
 * places it. Only on this path is the stripper called: it costs ~40 ms.
 */
function locate(error: unknown, f: Loaded): unknown {
  if (!(error instanceof Error) || locationFromCodeFrame(error.stack) !== undefined) return error;
  if (!(error instanceof SyntaxError)) {
    const at = locationFromFrames(error.stack, f.real);
    return at === undefined ? error : withLocation(error, at);
  }
  if (f.format !== 'module') return error;
  // Node stripped a TypeScript file without complaint before the error: strip it the same way.
  let js: string | undefined = f.text;
  try {
    if (f.typescript) js = stripTypes(f.text, f.url);
  } catch {
    js = undefined;
  }
  const asScript = js === undefined ? undefined : scriptError(js, f.real);
  const same =
    asScript instanceof SyntaxError && asScript.message === error.message
      ? locationFromCodeFrame(asScript.stack)
      : undefined;
  if (same !== undefined) return withLocation(error, same);
  if (f.typescript) return error;
  try {
    stripTypes(f.text, f.url);
  } catch (stripError) {
    const at = locationFromCodeFrame((stripError as Error | undefined)?.stack);
    if (at !== undefined) return withLocation(stripError, at);
  }
  return error;
}

/**
 * Node's stripper, in strip mode: types become spaces, so lines and columns stay. It
 * announces itself as experimental on the app's stderr the first time it runs; Node's own
 * type stripping of the same code is silent, so this call is too.
 */
function stripTypes(text: string, url: string): string | undefined {
  const stripTypeScriptTypes = nodeStrip as typeof nodeStrip | undefined;
  if (typeof stripTypeScriptTypes !== 'function') return undefined;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called later with its own receiver (Reflect.apply)
  const emitWarning = process.emitWarning;
  process.emitWarning = function filtered(this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const message = typeof warning === 'string' ? warning : warning?.message;
    if (typeof message === 'string' && message.startsWith('stripTypeScriptTypes is an experimental feature')) return;
    Reflect.apply(emitWarning, process, [warning, ...rest]);
  };
  try {
    return stripTypeScriptTypes(text, { mode: 'strip', sourceUrl: url });
  } finally {
    process.emitWarning = emitWarning;
  }
}
