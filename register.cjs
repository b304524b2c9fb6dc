'use strict';
// `node --require @budobserve/agent/register app.js` (Kubernetes injectors preload this
// way). Same as register.mjs; see there.
require('./dist/compile-cache.cjs').startAgent({
  cache: process.env.BUD_OBSERVE_COMPILE_CACHE !== 'false',
  flags: `${process.execArgv.join(' ')}|${process.env.NODE_OPTIONS ?? ''}`,
});
