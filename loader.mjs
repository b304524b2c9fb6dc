// The module hooks (ES modules and CommonJS, in-thread through module.registerHooks).
// register.mjs installs them as part of start-up; they are exported here for tools that
// compose their own start-up.
export { installModuleHooks } from './dist/hooks.mjs';
