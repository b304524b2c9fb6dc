// Merges the layers: built-in defaults < config file < OTEL_* < BUD_OBSERVE_*. Each value
// keeps its source so `budobserve doctor` can say where it came from. Bad values are
// reported (source, value, expectation, and what is used instead) and fall back to the next
// lower layer; so does a list or header map that its parser left empty by dropping parts.
// Every problem's text is bounded and escaped here already, as the warning will print it.
import { options, byPath } from './schema.ts';
import type { OptionSpec, SourceKind } from './option.ts';
import { readEnv } from './env.ts';
import type { Env, RawValue } from './env.ts';
import { loadConfigFile, describe, configDir, emptyFileLayer, flatten } from './file.ts';
import type { FileLayer, FileProblem } from './file.ts';
import { loadFailureText } from './load-error.ts';
import { catalogNames, disabledByDefault } from '../integrations/catalog.ts';
import { warningText } from '../errors.ts';
import type { LayeredValues, ResolvedConfig } from './types.ts';
import type { BudObserveConfig } from './public-types.ts';

export interface Source {
  kind: SourceKind;
  /** The variable name, or 'file (key)', or 'default'. */
  origin: string;
}

export interface Problem {
  code: 'BUDOBSERVE_CONFIG_INVALID' | 'BUDOBSERVE_CONFIG_UNKNOWN_KEY' | 'BUDOBSERVE_CONFIG_LOAD_FAILED';
  message: string;
}

const problem = (code: Problem['code'], message: string): Problem => ({ code, message: warningText(code, message) });
const invalid = (message: string): Problem => problem('BUDOBSERVE_CONFIG_INVALID', message);

/** A file's problems are warned about by kind, never by what their text says. */
const CODE_OF: Record<FileProblem['kind'], Problem['code']> = {
  'unknown-key': 'BUDOBSERVE_CONFIG_UNKNOWN_KEY',
  invalid: 'BUDOBSERVE_CONFIG_INVALID',
};
const fromFile = (p: FileProblem): Problem => problem(CODE_OF[p.kind], p.message);

export interface ResolveInput {
  env: Env;
  cwd: string;
  /** package.json of cwd, for the service name and version defaults. */
  packageJson?: { name?: unknown; version?: unknown } | undefined;
  /** Skip the file search (tests, the API's configure()). */
  noFile?: boolean;
  /** Options given in code (configure()), treated as a config file layer: checked like one, as code may not be typed. */
  inline?: BudObserveConfig;
}

export interface Resolution {
  config: ResolvedConfig;
  sources: Map<string, Source>;
  /** One each: what was wrong, where, and what is used instead. */
  problems: Problem[];
  file: FileLayer;
}

type Chosen = { value: unknown; source: Source };
type Layers = Array<[SourceKind, Map<string, RawValue>]>;
/** A value no layer could give, reported once the computed defaults say what is used instead. */
type Rejected = { path: string; text: string };

export function resolveConfig(input: ResolveInput): Resolution {
  const problems: Problem[] = [];
  const envLayers = readEnv(input.env);
  for (const u of envLayers.unknown)
    problems.push(problem('BUDOBSERVE_CONFIG_UNKNOWN_KEY', `unknown environment variable ${u}`));
  const file = fileLayer(input, problems);

  const values = new Map<string, unknown>();
  const sources = new Map<string, Source>();
  const layers: Layers = [
    ['env', envLayers.bud],
    ['otel-env', envLayers.otel],
    ['file', file.values],
  ];
  const rejected: Rejected[] = [];
  for (const opt of options) {
    const final = pick(opt, layers, problems, rejected) ?? defaultOf(opt);
    if (final === undefined) continue;
    values.set(opt.path, final.value);
    sources.set(opt.path, final.source);
  }

  const config = withComputedDefaults(toTree(values), sources, input, file);
  for (const r of rejected) problems.push(invalid(`${r.text}; ${usedInstead(config, sources, r.path)}`));
  return { config, sources, problems, file };
}

/** The config file's layer, with configure()'s options over it; their problems, warned by kind. */
function fileLayer(input: ResolveInput, problems: Problem[]): FileLayer {
  const file = input.noFile === true ? emptyFileLayer() : loadConfigFile(input.cwd, input.env['BUD_OBSERVE_CONFIG']);
  if (file.loadError !== undefined) {
    problems.push(
      problem(
        'BUDOBSERVE_CONFIG_LOAD_FAILED',
        `could not load ${loadFailureText(file.loadError)}; going on with environment variables and defaults`,
      ),
    );
  }
  for (const p of file.problems) problems.push(fromFile(p));
  if (input.inline !== undefined) {
    // configure({...}) in code is a file layer too: same keys, same checks.
    const inlineLayer = emptyFileLayer();
    flatten(input.inline, '', 'configure()', inlineLayer);
    for (const [k, v] of inlineLayer.values) file.values.set(k, v);
    Object.assign(file.instrumentationOptions, inlineLayer.instrumentationOptions);
    for (const p of inlineLayer.problems) problems.push(fromFile(p));
  }
  return file;
}

/** The value of the highest layer that has a usable one; the others' problems on the way. */
function pick(opt: OptionSpec, layers: Layers, problems: Problem[], rejected: Rejected[]): Chosen | undefined {
  const path = opt.path;
  for (const [kind, values] of layers) {
    const rv = values.get(path);
    if (rv === undefined) continue;
    const parsed = opt.parse(rv.raw, kind !== 'file');
    if (!parsed.ok) {
      rejected.push({ path, text: `${rv.origin} = ${shown(path, rv.raw)} is invalid: expected ${parsed.expected}` });
      continue;
    }
    const dropped = parsed.dropped ?? [];
    // Everything dropped: as if this layer had no value (BUD_OBSERVE_INSTRUMENTATIONS=-1
    // must not turn every instrumentation off).
    if (dropped.length > 0 && isEmpty(parsed.value)) {
      rejected.push({ path, text: `${rv.origin}: ${dropped.join('; ')}` });
      continue;
    }
    for (const d of dropped) problems.push(invalid(`${rv.origin}: ${d}`));
    return { value: parsed.value, source: { kind, origin: rv.origin } };
  }
  return undefined;
}

function defaultOf(opt: OptionSpec): Chosen | undefined {
  return opt.default === undefined
    ? undefined
    : { value: copyOf(opt.default), source: { kind: 'default', origin: 'default' } };
}

/** A default's own copy: the table's arrays and objects are shared by every resolution. */
function copyOf(v: unknown): unknown {
  return Array.isArray(v) ? [...(v as unknown[])] : typeof v === 'object' && v !== null ? { ...v } : v;
}

const isEmpty = (v: unknown): boolean =>
  Array.isArray(v) ? v.length === 0 : typeof v === 'object' && v !== null && Object.keys(v).length === 0;

function shown(path: string, raw: unknown): string {
  return byPath.get(path)?.secret === true ? '[hidden]' : describe(raw);
}

/**
 * The values as the nested object their paths describe, every group present even when none
 * of its options is set (`config.bud.projectId` never throws). The one place the table
 * becomes its type: TypeScript cannot follow an object built path by path, and LayeredValues
 * is derived from this same table (types.ts), each value typed by the parser that made it.
 */
function toTree(values: ReadonlyMap<string, unknown>): LayeredValues {
  const root: Record<string, unknown> = {};
  for (const opt of options) {
    const parts = opt.path.split('.');
    let group = root;
    for (const k of parts.slice(0, -1)) group = (group[k] ??= {}) as Record<string, unknown>;
    if (values.has(opt.path)) group[parts.at(-1)!] = values.get(opt.path);
  }
  return root as LayeredValues;
}

/** The value at an option's path ('export.traces.endpoint') of a configuration. */
export function valueAt(config: object, path: string): unknown {
  let value: unknown = config;
  for (const k of path.split('.'))
    value = typeof value === 'object' && value !== null ? Reflect.get(value, k) : undefined;
  return value;
}

/** What a rejected value gives way to, as the end of its warning: never just "no value". */
function usedInstead(config: ResolvedConfig, sources: Map<string, Source>, path: string): string {
  const opt = byPath.get(path)!;
  const value = valueAt(config, path);
  const source = sources.get(path);
  if (value === undefined || source === undefined)
    return opt.defaultText !== undefined ? `using the default (${opt.defaultText})` : `${path} is left unset`;
  if (opt.secret === true)
    return source.kind === 'default' ? 'using the default' : `using the value of ${source.origin}`;
  return `using ${shown(path, value)} from ${source.origin}`;
}

/** The options schema.ts marks `computed`, and what resolution adds: the instrumentations that will load, the project root. */
function withComputedDefaults(
  v: LayeredValues,
  sources: Map<string, Source>,
  input: ResolveInput,
  file: FileLayer,
): ResolvedConfig {
  const pkg = input.packageJson;
  let serviceName = v.serviceName;
  if (serviceName === undefined) {
    const fromPkg = typeof pkg?.name === 'string' && pkg.name !== '' ? pkg.name : undefined;
    serviceName = fromPkg ?? 'unknown_service:node';
    sources.set('serviceName', { kind: 'default', origin: fromPkg === undefined ? 'default' : 'package.json name' });
  }
  let serviceVersion = v.serviceVersion;
  if (serviceVersion === undefined && typeof pkg?.version === 'string') {
    serviceVersion = pkg.version;
    sources.set('serviceVersion', { kind: 'default', origin: 'package.json version' });
  }
  let consoleEnabled = v.console.enabled;
  if (consoleEnabled === undefined) {
    const hasEndpoint = v.export.endpoint !== undefined || v.export.traces.endpoint !== undefined;
    const asked = v.export.traces.exporter?.includes('console') === true;
    consoleEnabled = asked || !hasEndpoint;
    sources.set('console.enabled', {
      kind: 'default',
      origin: asked
        ? `${sources.get('export.traces.exporter')?.origin ?? 'traces exporter'} includes console`
        : hasEndpoint
          ? 'default (an endpoint is set)'
          : 'default (no endpoint is set)',
    });
  }
  const projectRoot = configDir(file) ?? input.cwd;
  return {
    ...v,
    serviceName,
    ...(serviceVersion === undefined ? {} : { serviceVersion }),
    console: { ...v.console, enabled: consoleEnabled },
    instrumentations: {
      ...v.instrumentations,
      options: file.instrumentationOptions,
      active: activeInstrumentations(v.instrumentations, file.instrumentationOptions),
    },
    projectRoot,
    ...(file.filepath === undefined ? {} : { configFile: file.filepath }),
  };
}

/** The instrumentations that will load when their library does. */
function activeInstrumentations(
  chosen: LayeredValues['instrumentations'],
  options: FileLayer['instrumentationOptions'],
): string[] {
  // Unknown names were dropped (and reported) by the list parser, with the source at hand.
  return catalogNames().filter((n) => {
    if (options[n]?.['enabled'] === false) return false;
    if (chosen.disabled.includes(n)) return false;
    if (chosen.enabled !== undefined) return chosen.enabled.includes(n);
    return !disabledByDefault.has(n) || options[n]?.['enabled'] === true;
  });
}
