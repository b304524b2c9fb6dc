// Loads a JavaScript or TypeScript config file synchronously, in the module format its own
// syntax needs, whatever the project's package.json "type" says. `npm init -y` writes
// "type": "commonjs", and there Node reads budobserve.config.ts (import/export, as `init`
// writes it) as CommonJS and fails; renaming the file or changing "type" would break the app.
//
// So: the types are stripped here (module.stripTypeScriptTypes, whitespace in their place,
// so every line and column stays where it was), the result is compiled once as a CommonJS
// function body to decide the format (it fails only on ES module syntax, or a syntax error
// that the ES module load then reports too), and a load hook hands Node that source and
// format for this one file while require() evaluates it. require() because the agent loads
// its configuration synchronously (a --require preload cannot await); Node's require() of ES
// modules does the rest. The hooks live only for that require() call.
// Owns reading, type stripping, format detection and evaluation of code config files;
// must not interpret what the file exports.
import * as nodeModule from 'node:module';
import { readFileSync, realpathSync } from 'node:fs';
import { compileFunction } from 'node:vm';
import { pathToFileURL } from 'node:url';
import { ConfigLoadError, locationFromCodeFrame, withLocation } from './load-error.ts';

const requireHere = nodeModule.createRequire(import.meta.url);
const TYPESCRIPT = /\.[cm]?ts$/;
/** The agent's own package, which the config file imports defineConfig from. */
const SELF = /^@budobserve\/agent(?:\/|$)/;
const CJS_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname'];

type Format = 'module' | 'commonjs';

/** What the file exports: its default export, or module.exports. */
export function loadCodeFile(filepath: string): unknown {
  const { registerHooks } = nodeModule as Partial<typeof nodeModule>;
  if (typeof registerHooks !== 'function') {
    throw new ConfigLoadError(`Node.js ${process.versions.node} cannot load it (module.registerHooks needs Node.js ^22.18.0 || >=24.11.0)`);
  }
  const real = realpathSync(filepath);
  const url = pathToFileURL(real).href;
  const text = readFileSync(real, 'utf8');
  const source = TYPESCRIPT.test(real) ? stripTypes(text, url) : text;
  const asScript = scriptError(source, real);
  const format: Format = asScript === undefined ? 'commonjs' : 'module';
  const hooks = registerHooks({
    resolve(specifier, context, nextResolve) {
      if (context.parentURL !== url || !SELF.test(specifier)) return nextResolve(specifier, context);
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        // The agent was preloaded from outside the app (an injector's copy, a global
        // install): the config file gets the API of the agent that is running.
        try {
          return { url: pathToFileURL(requireHere.resolve(specifier)).href, shortCircuit: true };
        } catch {
          throw error;
        }
      }
    },
    load: (u, context, nextLoad) => (u === url ? { format, source, shortCircuit: true } : nextLoad(u, context)),
  });
  let mod: unknown;
  try {
    delete requireHere.cache[real];
    mod = requireHere(real);
  } catch (error) {
    throw locate(error, { url, source, format, asScript, typescript: TYPESCRIPT.test(real) });
  } finally {
    hooks.deregister();
  }
  return mod !== null && typeof mod === 'object' && 'default' in mod ? mod.default : mod;
}

/**
 * Node's stripper, in strip mode: types become spaces. It announces itself as experimental
 * on the app's stderr the first time it runs; Node's own type stripping of the same code
 * (what loading a .ts file does) is silent, so this call is too.
 */
function stripTypes(text: string, url: string): string {
  const { stripTypeScriptTypes } = nodeModule as Partial<typeof nodeModule>;
  if (typeof stripTypeScriptTypes !== 'function') throw new ConfigLoadError('this Node.js cannot strip TypeScript types; write the config file in JavaScript');
  const emitWarning = process.emitWarning;
  process.emitWarning = function filtered(this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const text = typeof warning === 'string' ? warning : warning?.message;
    if (typeof text === 'string' && text.startsWith('stripTypeScriptTypes is an experimental feature')) return;
    Reflect.apply(emitWarning, process, [warning, ...rest]);
  } as typeof process.emitWarning;
  try {
    return stripTypeScriptTypes(text, { mode: 'strip', sourceUrl: url });
  } finally {
    process.emitWarning = emitWarning;
  }
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
 * An ES module's parse error has no code frame, so no line or column. The same error read
 * as a script has one; failing that, the TypeScript stripper (which parses modules) places
 * a syntax error of a JavaScript file.
 */
function locate(error: unknown, ctx: { url: string; source: string; format: Format; asScript: unknown; typescript: boolean }): unknown {
  if (!(error instanceof SyntaxError) || ctx.format !== 'module' || locationFromCodeFrame(error.stack) !== undefined) return error;
  if (ctx.asScript instanceof SyntaxError && ctx.asScript.message === error.message) {
    const at = locationFromCodeFrame(ctx.asScript.stack);
    if (at !== undefined) return withLocation(error, at);
  }
  if (ctx.typescript) return error; // already stripped without complaint: the error is elsewhere
  try {
    stripTypes(ctx.source, ctx.url);
  } catch (stripError) {
    const at = locationFromCodeFrame((stripError as Error | undefined)?.stack);
    if (at !== undefined) return withLocation(stripError, at);
  }
  return error;
}
