'use strict';
// Stands in for the `debug` package inside every bundle (scripts/build.mjs aliases `debug`
// to this file; not an entry of its own). require-in-the-middle logs through
// it, and loading it (with supports-color and tty) cost ~9 ms of every start; the agent's own
// diagnostics go through NODE_DEBUG=budobserve instead. CommonJS because its users call
// require('debug')(namespace).
const noop = Object.assign(() => {}, { enabled: false, extend: () => noop, log: () => {} });
module.exports = Object.assign(() => noop, { enable() {}, disable: () => '', enabled: () => false });
