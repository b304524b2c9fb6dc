// The configuration as the agent uses it, every default applied: ResolvedConfig, derived from
// the option table (schema.ts), so the table is the one source of each option's type. Also
// the compile-time check that the published BudObserveConfig (public-types.ts) documents
// exactly the table's options, each with a type its resolved value fits: an option added to
// one and not the other, or typed apart, fails `npm run typecheck` and names the option.
// Types only; must not be imported by public-types.ts (the table would become published).
import type { options, OptionPath } from './schema.ts';
import type { Parser } from './parse.ts';
import type {
  BudObserveConfig,
  ExporterName,
  Level,
  LogLevel,
  Protocol,
  ResourceDetectorName,
  SamplerName,
} from './public-types.ts';
import type { LevelName } from '../levels.ts';

export type { ScrubMatch, Protocol, Level, LogLevel, ExporterName, SamplerName } from './public-types.ts';

type Spec = (typeof options)[number];
type SpecAt<P extends OptionPath> = Extract<Spec, { path: P }>;
/** The type of an option's value, as its parser returns it. */
type ValueOf<S> = S extends { parse: Parser<infer T> } ? T : never;
export type OptionValue<P extends OptionPath> = ValueOf<SpecAt<P>>;
/**
 * Whether an option always has a value: with a default, yes; one resolve.ts computes, once it
 * has (`Computed`); else only when some layer sets it.
 */
type AlwaysSet<S, Computed extends boolean> = S extends { default: unknown }
  ? true
  : S extends { computed: true }
    ? Computed
    : false;

// From the flat table (path -> spec) to the nested object the paths describe: the options
// without a dot at this level (present or optional), and one nested object per group.
type Leaf<K> = K extends `${string}.${string}` ? never : K;
type GroupOf<K> = K extends `${infer G}.${string}` ? G : never;
type Under<F, G extends string> = { [K in keyof F as K extends `${G}.${infer Rest}` ? Rest : never]: F[K] };
type Tree<F, Computed extends boolean> = {
  [K in keyof F as AlwaysSet<F[K], Computed> extends true ? Leaf<K> : never]: ValueOf<F[K]>;
} & { [K in keyof F as AlwaysSet<F[K], Computed> extends true ? never : Leaf<K>]?: ValueOf<F[K]> } & {
  [G in GroupOf<keyof F>]: Tree<Under<F, G>, Computed>;
};
type ByPath = { [S in Spec as S['path']]: S };

/** Every option's value by its place in a config file; groups always exist, even empty. */
export type OptionValues = Tree<ByPath, true>;
/** The values the layers and defaults give, before resolve.ts computes the rest. */
export type LayeredValues = Tree<ByPath, false>;

/** The resolved configuration: the options, and what resolve.ts adds to them. */
export type ResolvedConfig = OptionValues & {
  instrumentations: {
    /** Options for one instrumentation, by short name (`instrumentations.pg` in a file). */
    options: Record<string, Record<string, unknown>>;
    /** Names that will load when their library does. */
    active: string[];
  };
  /** The config file's folder, else the working directory. */
  projectRoot: string;
  configFile?: string;
};

// ---- The check of BudObserveConfig against the table ----

/** Groups of the table: 'export', 'export.traces', … */
type GroupsOf<P> = P extends `${infer G}.${infer Rest}` ? G | `${G}.${GroupsOf<Rest>}` : never;
type Group = GroupsOf<OptionPath>;
/** Named keys only: `instrumentations` also takes any instrumentation's name. */
type NamedKeys<T> = keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] } & string;
/** The leaf paths of a config type, recursing where the table has a group. */
type ConfigPaths<T, Prefix extends string = ''> = {
  [K in NamedKeys<T>]-?: `${Prefix}${K}` extends Group
    ? ConfigPaths<NonNullable<T[K]>, `${Prefix}${K}.`>
    : `${Prefix}${K}`;
}[NamedKeys<T>];
type At<T, P extends string> = P extends `${infer H}.${infer Rest}`
  ? H extends keyof T
    ? At<NonNullable<T[H]>, Rest>
    : never
  : P extends keyof T
    ? NonNullable<T[P]>
    : never;

type MustBeNone<T extends never> = T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? never : [A, B]) : [A, B];

/** Options of the table that BudObserveConfig does not document. */
export type UndocumentedOptions = MustBeNone<Exclude<OptionPath, ConfigPaths<BudObserveConfig>>>;
/** Keys BudObserveConfig documents that no option reads. */
export type UnknownOptions = MustBeNone<Exclude<ConfigPaths<BudObserveConfig>, OptionPath>>;
/** Options whose resolved value would not be a valid BudObserveConfig value. */
export type MistypedOptions = MustBeNone<
  { [P in OptionPath]: OptionValue<P> extends At<BudObserveConfig, P> ? never : P }[OptionPath]
>;
/** The named unions of the public types are exactly what the parsers accept. */
// Each member is `never` while its check holds, so the union is the check: lint's union rules do not apply.
/* eslint-disable @typescript-eslint/no-duplicate-type-constituents */
export type MistypedNames = MustBeNone<
  | Same<Protocol, OptionValue<'export.protocol'>>
  | Same<Level, LevelName>
  | Same<Level, OptionValue<'minLevel'>>
  | Same<LogLevel, OptionValue<'logLevel'>>
  | Same<ExporterName, OptionValue<'export.traces.exporter'>[number]>
  | Same<SamplerName, OptionValue<'sampling.sampler'>>
  | Same<ResourceDetectorName, OptionValue<'resourceDetectors'>[number]>
  | Same<NonNullable<At<BudObserveConfig, 'export.compression'>>, OptionValue<'export.compression'>>
  | Same<NonNullable<At<BudObserveConfig, 'console.colors'>>, OptionValue<'console.colors'>>
>;
/* eslint-enable @typescript-eslint/no-duplicate-type-constituents */
