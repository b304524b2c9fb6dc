'use strict';
// `node --require @budobserve/agent/register app.js` (Kubernetes injectors preload this
// way). Same as register.mjs; see there.
const nodeModule = require('node:module');

if (process.env.BUD_OBSERVE_COMPILE_CACHE !== 'false') nodeModule.enableCompileCache?.();
require('./dist/boot.cjs').start();
