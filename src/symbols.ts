// Private symbols, all in one place (pino's lib/symbols.js). Those made with Symbol.for
// must stay recognisable across duplicate copies of the package in one process
// (undici's pattern): two installs of the agent must still boot once per thread.

/** Set on globalThis once an agent copy has booted in this thread. */
export const kBooted = Symbol.for('budobserve.agent.booted');
/** Marks errors created by the agent's error catalog, whatever copy created them. */
export const kBudError = Symbol.for('budobserve.agent.error');
/** Holds the running agent (SDK handles) on globalThis, for the API and the CLI. */
export const kAgent = Symbol.for('budobserve.agent.instance');
/** Set on globalThis once the module hooks are installed in this thread. */
export const kHooksInstalled = Symbol.for('budobserve.agent.hooks');
/** The auto-trace runtime that rewritten functions call (see src/autotrace/). */
export const kAutoTrace = Symbol.for('budobserve.autotrace');
/**
 * On a span stand-in that records nothing (an auto-traced call not decided yet, see
 * src/autotrace/runtime/frame.ts): a method returning the context the stand-in descends from, so span
 * processors can find the span a new span really hangs under (src/processors/recorded-parent.ts).
 */
export const kDescendsFrom = Symbol.for('budobserve.descendsFrom');
