'use strict';
// `node --require @budobserve/agent/register app.js` (Kubernetes injectors preload this
// way). require() of an ES module needs Node 22.12+; on anything older, say so in one line
// and leave the app alone instead of crashing it with ERR_REQUIRE_ESM.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major > 22 || (major === 22 && minor >= 12)) {
  require('./register.mjs');
} else {
  process.emitWarning(`budobserve: Node.js ${process.versions.node} is not supported (needs ^22.18.0 || >=24.11.0); the app runs without the agent`, { type: 'BudObserveWarning', code: 'BUDOBSERVE_UNSUPPORTED_NODE' });
}
