// `node --import @budobserve/agent/register app.js`: starts the agent before the app's
// first line. (`--require` resolves to register.cjs, which does the same.)
//
// The agent is one CommonJS bundle loaded with require(): no ES-module linking, and a
// compile cache covers it (a static import would compile it before this file's first line
// ran). dist/compile-cache.cjs (compiled without a cache) switches Node's compile cache on
// and loads the bundle through the agent's own code cache, only in a folder no other user
// can write (SECURITY.md). BUD_OBSERVE_COMPILE_CACHE=false leaves both off.
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./dist/compile-cache.cjs').startAgent({
  cache: process.env.BUD_OBSERVE_COMPILE_CACHE !== 'false',
  flags: `${process.execArgv.join(' ')}|${process.env.NODE_OPTIONS ?? ''}`,
});
