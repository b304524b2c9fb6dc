// `node --import @budobserve/agent/register app.js`: starts the agent before the app's
// first line. (`--require` resolves to register.cjs, which loads this file.)
import { start } from './dist/boot.mjs';

start();
