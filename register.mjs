// `node --import @budobserve/agent/register app.js`: starts the agent before the app's
// first line. (`--require` resolves to register.cjs, which loads this file.)
//
// The agent is loaded with require(), not a static import, so that Node's compile cache can
// be switched on first: V8 then reuses the agent's compiled code from the second start on.
// A static import would compile the whole graph before this file's first line ran.
import * as nodeModule from 'node:module';

if (process.env.BUD_OBSERVE_COMPILE_CACHE !== 'false' && typeof nodeModule.enableCompileCache === 'function') {
  try {
    nodeModule.enableCompileCache();
  } catch {
    // a read-only tmpdir only costs speed
  }
}
nodeModule.createRequire(import.meta.url)('./dist/boot.mjs').start();
