// `node --import @budobserve/agent/register app.js`: starts the agent before the app's
// first line. (`--require` resolves to register.cjs, which does the same.)
//
// The agent is one CommonJS bundle loaded with require(): no ES-module linking, and Node's
// compile cache, switched on first, covers it (a static import would compile it before
// this file's first line ran). BUD_OBSERVE_COMPILE_CACHE=false leaves the cache off.
import * as nodeModule from 'node:module';

if (process.env.BUD_OBSERVE_COMPILE_CACHE !== 'false') nodeModule.enableCompileCache?.();
nodeModule.createRequire(import.meta.url)('./dist/boot.cjs').start();
