// `node --import @budobserve/agent/register app.js`: starts the agent before the app's
// first line. (`--require` resolves to register.cjs, which does the same.)
//
// The agent is one CommonJS bundle loaded with require(): no ES-module linking, and Node's
// compile cache, switched on first, covers it (a static import would compile it before
// this file's first line ran). dist/compile-cache.cjs (6 KB, compiled without the cache)
// switches it on only in a folder no other user can write (SECURITY.md).
// BUD_OBSERVE_COMPILE_CACHE=false leaves the cache off.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
if (process.env.BUD_OBSERVE_COMPILE_CACHE !== 'false') require('./dist/compile-cache.cjs').enableCompileCache();
require('./dist/boot.cjs').start();
