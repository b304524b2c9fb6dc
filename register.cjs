'use strict';
// `node --require @budobserve/agent/register app.js` (Kubernetes injectors preload this
// way). Same as register.mjs; see there.
if (process.env.BUD_OBSERVE_COMPILE_CACHE !== 'false') require('./dist/compile-cache.cjs').enableCompileCache();
require('./dist/boot.cjs').start();
