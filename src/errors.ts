// The one catalog of the agent's warning and error codes (fastify's FST_ERR_* pattern).
// Every failure inside the agent ends here: one process warning with a stable code and
// the app runs on. README.md documents each code; test/docs.test.mjs keeps the two in step.
// Also owns how a warning looks: one line of at most MAX_WARNING_LINE characters, control
// characters escaped, credentials in URLs hidden, whatever the message was built from.
// Owns the wording of every warning except those composed by their own module (warnComposed).
import { kBudError, kWarnings } from './symbols.ts';

/**
 * Each code with what it means (the README's table) and the templates of the messages the
 * agent writes under it, keyed by a name the call sites use: `warn(code, name, args)`. `%s`
 * takes the next argument as text; a value that came from the user is quoted by the caller
 * with quote(). The messages composed by the module that owns their wording (a configuration
 * problem in config/, the exit report, the guard's verdict) go through warnComposed().
 */
export const codes = {
  BUDOBSERVE_CONFIG_INVALID: {
    doc: 'A configuration value is invalid; the default is used instead',
    messages: {
      extraPattern: 'scrubbing.extraPatterns: %s is not a valid regular expression (%s); it is ignored',
      configureLate:
        'configure() was called but the agent is already running (preloaded or configured before); set options in budobserve.config.* or BUD_OBSERVE_* variables',
    },
  },
  BUDOBSERVE_CONFIG_UNKNOWN_KEY: { doc: 'A configuration file has a key the agent does not know', messages: {} },
  BUDOBSERVE_CONFIG_LOAD_FAILED: {
    doc: 'The configuration file could not be loaded; environment variables and defaults are used',
    messages: {},
  },
  BUDOBSERVE_UNSUPPORTED_NODE: { doc: 'This Node.js release is not supported; the agent stays off', messages: {} },
  BUDOBSERVE_BOOT_FAILED: {
    doc: 'The agent failed to start; the app runs without it',
    messages: {
      boot: 'the agent could not start (%s); the app runs without it',
      configure: 'configure() could not start the agent',
    },
  },
  BUDOBSERVE_INSTRUMENTATION_FAILED: {
    doc: 'An instrumentation failed to load or enable; its library runs untouched',
    messages: {
      enable: "instrumentation '%s' could not be enabled; %s runs uninstrumented",
      patch: '%s: %s could not be instrumented; it runs untraced',
      missing: '%s was not found; it runs untraced',
    },
  },
  BUDOBSERVE_HOOKS_FAILED: {
    doc: 'The module hooks could not be installed; libraries loaded as ES modules are not instrumented',
    messages: {
      requireHook: 'the require hook could not be installed; CommonJS libraries are not instrumented',
      iitmInstall: 'import-in-the-middle could not be installed; libraries imported as ES modules are not instrumented',
      iitmLoad: 'import-in-the-middle could not be loaded; libraries that are ES modules are not instrumented',
      prepare: "could not prepare '%s' for instrumentation; it loads uninstrumented",
    },
  },
  BUDOBSERVE_BUNDLE_FAILED: {
    doc: 'A library inside a bundle could not be routed to its instrumentation; it runs uninstrumented',
    messages: {
      rewrite: 'the bundle %s could not be prepared for instrumentation; it loads unchanged',
      shape:
        'the bundle %s shows %s, but in a shape the agent does not know; it loads unchanged and they run uninstrumented (a build plugin marks them: README, "Bundled apps")',
      patch: 'the bundled module %s could not be instrumented; it runs uninstrumented',
      runtime: 'the bundle hook failed; the bundled library runs uninstrumented',
    },
  },
  BUDOBSERVE_BUNDLE_VERSION_ASSUMED: {
    doc: 'A bundle does not say which version of a library it holds; the instrumentation assumed one',
    messages: {
      assumed:
        "bundled libraries without a version (no package.json in the bundle or beside it) assumed at the lowest of their instrumentation's newest range: %s",
    },
  },
  BUDOBSERVE_AUTOTRACE_FAILED: {
    doc: 'A module could not be rewritten for auto-tracing; it loads unchanged',
    messages: {
      rewrite: '%s could not be rewritten for auto-tracing (%s); it loads unchanged',
      load: 'could not auto-trace %s; it loads unchanged',
      node: 'auto-tracing needs Node.js 22.22.3+, 24.11.1+ or 26 (this is %s, whose synchronous load hooks are broken: nodejs/node#59929); your own functions are not traced',
    },
  },
  BUDOBSERVE_CACHE_UNTRUSTED: {
    doc: "A cache folder or entry (the auto-trace rewrite cache, Node's compile cache) could be written by another user, or is a symbolic link; it is not used: a private folder is used instead, or that cache stays off",
    messages: { untrusted: '%s %s is not used: %s; expected: private to this user; %s' },
  },
  BUDOBSERVE_EXPORT_FAILED: {
    doc: 'Telemetry could not be delivered to the collector',
    messages: {
      spans: 'could not export spans to %s: %s',
      step: '%s failed: %s',
      flush: 'flush of %s failed',
      otel: 'opentelemetry: %s',
    },
  },
  BUDOBSERVE_SPANS_DROPPED: {
    doc: 'Spans were dropped (the export queue was full or the collector did not accept them); reported at most once a minute with the count, and counted by the budobserve.spans.dropped metric',
    messages: { dropped: '%s spans were dropped%s: %s; %s since start' },
  },
  BUDOBSERVE_TAIL_DECIDED_EARLY: {
    doc: 'Tail sampling decided traces before their local root ended, because its hold budget was full or they were held the longest hold; reported at most once a minute with the counts',
    messages: { early: 'tail sampling decided %s (%s spans) early: %s; %s kept, %s dropped%s' },
  },
  BUDOBSERVE_SHUTDOWN_TIMEOUT: {
    doc: 'Flushing telemetry at exit took longer than the configured bound; the rest was dropped',
    messages: {},
  },
  BUDOBSERVE_INTERNAL: {
    doc: 'An unexpected error inside the agent was contained',
    messages: {
      processor: 'span processor %s failed in %s',
      resource: 'resource detection failed (%s); the resource carries service.name only',
      scrubSpans: 'scrubbing failed; the attribute values of the affected spans were replaced',
      scrubLogs: 'scrubbing failed; the attribute values of the affected log records were replaced',
      scrubCallback: 'scrubbing.callback threw; the values it was asked about were scrubbed',
      autotraceRecord: 'auto-trace could not record a call of %s',
      exitReport: 'the exit report failed: %s',
      llmCall: 'an LLM call could not be traced',
      enduserId: 'the enduserId hook threw; enduser.id is left out',
      serverError: 'recording a framework error on the server span failed',
      otel: 'opentelemetry: %s',
      tailDecide: 'sampling.tail.decide failed; its span counts as probability 0',
      responseHook: "the agent's http response hook failed",
      releaseHeld: 'releasing held spans failed',
    },
  },
} as const satisfies Record<string, { doc: string; messages: Readonly<Record<string, string>> }>;

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

/**
 * What every copy of this module in the thread shares: the start bundle and each lazily
 * loaded chunk that warns hold their own copy, and a warning meant once, or the exit mark,
 * must hold for all of them.
 */
interface WarningState {
  /** Code and key pairs already warned about (WarnOptions.once). */
  readonly onceKeys: Set<string>;
  /** Set by markExiting(). */
  exiting: boolean;
  /** Warnings handed to process.emitWarning that Node has not printed yet (see markExiting). */
  readonly unprinted: Set<Error>;
}
const state = ((globalThis as Record<symbol, WarningState | undefined>)[kWarnings] ??= {
  onceKeys: new Set(),
  exiting: false,
  unprinted: new Set(),
});

/**
 * From the 'exit' event on, process.emitWarning would queue the warning for a tick that
 * never comes; warnings are then written straight to stderr, in Node's own format.
 */
export function markExiting(): void {
  state.exiting = true;
  // Node prints a warning on the next tick, which never comes when the process exits first
  // (an app's process.exit() right after the agent's flush, or in its first tick).
  for (const err of state.unprinted) writeNow(err);
  state.unprinted.clear();
}

const writeNow = (err: Error & { code?: string }): void => {
  process.stderr.write(`(node:${process.pid}) [${err.code ?? ''}] ${err.name}: ${err.message}\n`);
};

/** The names of the message templates of `code`. */
export type MessageName<C extends BudCode> = keyof (typeof codes)[C]['messages'] & string;
type Messages<C extends BudCode> = (typeof codes)[C]['messages'];
type Template<C extends BudCode, N extends MessageName<C>> = Messages<C>[N & keyof Messages<C>] & string;
/** One argument for each `%s` of the template: the compiler counts them. */
type Args<T extends string> = T extends `${string}%s${infer Rest}` ? [string | number, ...Args<Rest>] : [];

export interface WarnOptions {
  cause?: unknown;
  /** With a key, a repeated (code, key) pair stays silent: a failing collector yields one line, not one per batch. */
  once?: string;
}

/** The catalog's message `name` of `code` with `args` in place of its `%s`. */
export function messageOf<C extends BudCode, N extends MessageName<C>>(
  code: C,
  name: N,
  args: Args<Template<C, N>>,
): string {
  const template = (codes[code].messages as Readonly<Record<string, string>>)[name] ?? name;
  let i = 0;
  return template.replace(/%s/g, () => String(args[i++]));
}

/** Emits one process warning, worded by the catalog. Never throws. */
export function warn<C extends BudCode, N extends MessageName<C>>(
  code: C,
  name: N,
  args: Args<Template<C, N>>,
  options: WarnOptions = {},
): void {
  try {
    warnComposed(code, messageOf(code, name, args), options);
  } catch {
    // nothing sensible left to do
  }
}

/**
 * Emits one process warning whose message its own module composed (a configuration problem,
 * the exit report, the guard's verdict). Never throws: a warning that cannot be emitted is
 * not worth hurting the app for.
 */
export function warnComposed(code: BudCode, message: string, options: WarnOptions = {}): void {
  try {
    if (options.once !== undefined) {
      const key = `${code}\0${options.once}`;
      if (state.onceKeys.has(key)) return;
      state.onceKeys.add(key);
    }
    const err = budError(code, `budobserve: ${warningText(code, message)}`, options.cause);
    if (state.exiting) {
      writeNow(err);
      return;
    }
    state.unprinted.add(err);
    process.emitWarning(err);
    // Queued after Node's own tick for this warning: by the time it runs, the line is out.
    process.nextTick(() => state.unprinted.delete(err));
  } catch {
    // nothing sensible left to do
  }
}

/**
 * What a thrown value says, for a message: an Error's message (its name when the message is
 * empty), anything else as text. The one way the agent words a failure it did not make.
 */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return error === undefined ? 'unknown error' : String(error);
}

/** user:password in a URL (an endpoint written http://user:pass@host) is a secret too. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi, '$1[hidden]@');
}

/**
 * The longest line a warning prints, Node's `(node:PID) [CODE] BudObserveWarning: ` prefix
 * included: a value from the environment or a config file (a 20 KB variable, a pasted
 * file) must not become a 40,000-character line in the app's logs.
 */
export const MAX_WARNING_LINE = 300;

// Room for Node's prefix with the longest code and a 7-digit pid (Linux's pid_max is
// 4,194,304), so that a message reads the same in every process and in `budobserve doctor`.
const LONGEST_CODE = Math.max(...Object.keys(codes).map((c) => c.length));
const PREFIX = '(node:1234567) [] BudObserveWarning: budobserve: '.length + LONGEST_CODE;

/**
 * C0 and C1 controls, DEL, and the characters that move or reorder text on a terminal
 * (line and paragraph separators, bidi overrides): an ANSI escape or a CR/LF in a value
 * would otherwise repaint the terminal or forge a log line.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every unsafe character written as a JSON-style escape. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * `text` cut to `max` characters in the middle, so that both ends stay: a warning says what
 * was wrong at its start and what is used instead at its end.
 */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const tail = Math.min(80, Math.floor(max / 3));
  return `${text.slice(0, max - tail - 1)}…${text.slice(text.length - tail)}`;
}

/**
 * What a warning with this code prints after `budobserve: `: credentials hidden first (a cut
 * must not split a URL the redaction would then miss), then escaped, then bounded.
 */
export function warningText(code: BudCode, message: string): string {
  return cut(escapeControls(redactUrlCredentials(message)), MAX_WARNING_LINE - PREFIX + (LONGEST_CODE - code.length));
}

/**
 * A value as warnings show it: quoted (`"` or `'`), escaped as JSON escapes it, and cut
 * to about `max` characters. The one quote-and-cut for values in the agent's messages.
 */
export function quote(value: string, mark: '"' | "'" = '"', max = 80): string {
  const inner = JSON.stringify(value.length > max ? `${value.slice(0, max - 3)}...` : value).slice(1, -1);
  return mark === '"' ? `"${inner}"` : `'${inner.replaceAll("'", "\\'")}'`;
}
