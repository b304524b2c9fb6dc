// What an option is: its declaration (OptionSpec), declared through option() so that the
// table in schema.ts keeps each option's path and value type for the derived types
// (types.ts). Owns the shape of an option; must not list options (schema.ts does).
import type { Parser } from './parse.ts';

/** Where a value came from, lowest to highest precedence. */
export type SourceKind = 'default' | 'file' | 'otel-env' | 'env';

/** A standard OTel variable, or one key inside OTEL_RESOURCE_ATTRIBUTES. */
export interface OtelEnvRef {
  name: string;
  /** Reads one key of a key=value list variable. */
  key?: string;
  /** Maps the variable's value before parsing; undefined means "does not apply". */
  map?: (raw: string, env: Readonly<Record<string, string | undefined>>) => unknown;
}

/** One option: `P` its path, `T` the type of its value once parsed. */
export interface OptionSpec<P extends string = string, T = unknown> {
  path: P;
  parse: Parser<T>;
  /** The BUD_OBSERVE_* variable, highest precedence. */
  env?: string;
  /** Standard OTEL_* variables, first set wins; below BUD_OBSERVE_*, above the file. */
  otelEnv?: OtelEnvRef[];
  /** The value when no layer sets one (never an inference site: the parser says what T is). */
  default?: NoInfer<T>;
  /** The default in words, when it is computed (and for the docs). */
  defaultText?: string;
  /** resolve.ts always computes a value when no layer sets one (`defaultText` says how). */
  computed?: true;
  doc: string;
  secret?: boolean;
}

/**
 * Declares an option and keeps its path and value type for the derived types (types.ts):
 * with a default or computed, the option always has a value once resolved; without, it may
 * be unset. The default is checked against the parser's type.
 */
export function option<const P extends string, T>(
  spec: OptionSpec<P, T> & { default: NoInfer<T> },
): OptionSpec<P, T> & { default: T };
export function option<const P extends string, T>(
  spec: OptionSpec<P, T> & { computed: true; defaultText: string },
): OptionSpec<P, T> & { computed: true };
export function option<const P extends string, T>(spec: OptionSpec<P, T>): OptionSpec<P, T>;
export function option(spec: OptionSpec): OptionSpec {
  return spec;
}

/**
 * A function from a config file. Only that it is a function can be checked; its signature is
 * the one BudObserveConfig gives the option (the file's author was typed by defineConfig).
 */
export const isFunction = <F extends (...args: never[]) => unknown>(v: unknown): v is F => typeof v === 'function';
