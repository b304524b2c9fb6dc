// Private symbols, all in one place (pino's lib/symbols.js). Those made with Symbol.for
// must stay recognisable across duplicate copies of the package in one process
// (undici's pattern): two installs of the agent must still boot once per thread.
//
// Which keys carry a version: a key whose value has a shape that a copy reads (an object
// with methods) is versioned, so that a copy never calls into a shape it does not know; a
// key whose value is only a flag (`true`) is not, because its whole point is that every
// copy, of every version, sees it: a versioned "booted" flag would let two versions start
// two SDKs in one thread.

/** Flag: an agent copy has booted in this thread. Unversioned on purpose: one agent per thread, whatever the versions. */
export const kBooted = Symbol.for('budobserve.agent.booted');
/** Flag on errors created by the agent's error catalog, whatever copy (or version) created them. */
export const kBudError = Symbol.for('budobserve.agent.error');
/** The warning state every copy of src/errors.ts in a thread shares (its WarningState): a shape, so versioned. */
export const kWarnings = Symbol.for('budobserve.agent.warnings.1');
/** The running agent, AgentGlobal in agent-global.ts: a shape other copies read, so versioned. */
export const kAgent = Symbol.for('budobserve.agent.instance.1');
/** Flag: the module hooks are installed in this thread. Unversioned: one set of hooks per thread. */
export const kHooksInstalled = Symbol.for('budobserve.agent.hooks');
/**
 * The auto-trace runtime that rewritten functions call (see src/autotrace/).
 * A shape, but not one shared between copies: only the copy that booted installs both the
 * load hook that rewrites and the runtime the rewritten code calls, and the calls' own
 * version (PROTOCOL in src/autotrace/wrap.ts, which writes this key into the rewritten code
 * and uses it as the rewritten-code marker) is part of the rewrite cache key.
 */
export const kAutoTrace = Symbol.for('budobserve.autotrace');
/**
 * On a span stand-in that records nothing (an auto-traced call not decided yet, see
 * src/autotrace/runtime/frame.ts): a method returning the context the stand-in descends from, so span
 * processors can find the span a new span really hangs under (src/processors/recorded-parent.ts).
 * Made and read by the booted copy only (its runtime, its processors): not a contract between
 * copies, so unversioned.
 */
export const kDescendsFrom = Symbol.for('budobserve.descendsFrom');
