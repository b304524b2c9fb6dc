// The one catalog of the agent's warning and error codes (fastify's FST_ERR_* pattern).
// Every failure inside the agent ends here: one process warning with a stable code and
// the app runs on. README.md documents each code; test/errors.test.mjs keeps the two in step.
import { kBudError } from './symbols.ts';

export const codes = {
  BUDOBSERVE_CONFIG_INVALID: 'A configuration value is invalid; the default is used instead',
  BUDOBSERVE_CONFIG_UNKNOWN_KEY: 'A configuration file has a key the agent does not know',
  BUDOBSERVE_CONFIG_LOAD_FAILED: 'The configuration file could not be loaded; environment variables and defaults are used',
  BUDOBSERVE_UNSUPPORTED_NODE: 'This Node.js release is not supported; the agent stays off',
  BUDOBSERVE_BOOT_FAILED: 'The agent failed to start; the app runs without it',
  BUDOBSERVE_INSTRUMENTATION_FAILED: 'An instrumentation failed to load or enable; its library runs untouched',
  BUDOBSERVE_HOOKS_FAILED: 'The module hooks could not be installed; libraries loaded as ES modules are not instrumented',
  BUDOBSERVE_AUTOTRACE_FAILED: 'A module could not be rewritten for auto-tracing; it loads unchanged',
  BUDOBSERVE_CACHE_UNTRUSTED: 'A cache folder or entry (the auto-trace rewrite cache, Node\'s compile cache) could be written by another user, or is a symbolic link; it is not used: a private folder is used instead, or that cache stays off',
  BUDOBSERVE_EXPORT_FAILED: 'Telemetry could not be delivered to the collector',
  BUDOBSERVE_SPANS_DROPPED: 'Spans were dropped (the export queue was full or the collector did not accept them); reported at most once a minute with the count, and counted by the budobserve.spans.dropped metric',
  BUDOBSERVE_SHUTDOWN_TIMEOUT: 'Flushing telemetry at exit took longer than the configured bound; the rest was dropped',
  BUDOBSERVE_INTERNAL: 'An unexpected error inside the agent was contained',
} as const;

export type BudCode = keyof typeof codes;

export interface BudError extends Error {
  code: BudCode;
  [kBudError]: true;
}

export function budError(code: BudCode, message: string, cause?: unknown): BudError {
  const err = new Error(message, cause === undefined ? undefined : { cause }) as BudError;
  err.name = 'BudObserveWarning';
  err.code = code;
  err[kBudError] = true;
  return err;
}

/** True for errors made by any copy of the agent. */
export function isBudError(value: unknown): value is BudError {
  return typeof value === 'object' && value !== null && (value as { [kBudError]?: unknown })[kBudError] === true;
}

const onceKeys = new Set<string>();
let exiting = false;

/**
 * From the 'exit' event on, process.emitWarning would queue the warning for a tick that
 * never comes; warnings are then written straight to stderr, in Node's own format.
 */
export function markExiting(): void {
  exiting = true;
}

/**
 * Emits one process warning. With `once`, a repeated (code, key) pair stays silent, so a
 * failing collector yields one line, not one per batch. Never throws: a warning that
 * cannot be emitted is not worth hurting the app for.
 */
export function warn(code: BudCode, message: string, options: { cause?: unknown; once?: string } = {}): void {
  try {
    if (options.once !== undefined) {
      const key = `${code}\0${options.once}`;
      if (onceKeys.has(key)) return;
      onceKeys.add(key);
    }
    const err = budError(code, `budobserve: ${redactUrlCredentials(message)}`, options.cause);
    if (exiting) process.stderr.write(`(node:${process.pid}) [${code}] ${err.name}: ${err.message}\n`);
    else process.emitWarning(err);
  } catch {
    // nothing sensible left to do
  }
}

/** user:password in a URL (an endpoint written http://user:pass@host) is a secret too. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi, '$1[hidden]@');
}
