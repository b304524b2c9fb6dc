// Merges the layers: built-in defaults < config file < OTEL_* < BUD_OBSERVE_*. Each value
// keeps its source so `budobserve doctor` can say where it came from. Bad values are
// reported (source, value, expectation, and what is used instead) and fall back to the next
// lower layer; so does a list or header map that its parser left empty by dropping parts.
// Every problem's text is bounded and escaped here already, as the warning will print it.
import { options, byPath } from './schema.ts';
import type { SourceKind } from './schema.ts';
import { readEnv } from './env.ts';
import type { Env, RawValue } from './env.ts';
import { loadConfigFile, describe, configDir, flatten } from './file.ts';
import type { FileLayer } from './file.ts';
import { loadFailureText } from './load-error.ts';
import { catalogNames, disabledByDefault } from '../integrations/catalog.ts';
import { cut, warningText } from '../errors.ts';
import type { ResolvedConfig } from './types.ts';

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
const unknownKey = (message: string): Problem => problem('BUDOBSERVE_CONFIG_UNKNOWN_KEY', message);

export interface ResolveInput {
  env: Env;
  cwd: string;
  /** package.json of cwd, for the service name and version defaults. */
  packageJson?: { name?: unknown; version?: unknown } | undefined;
  /** Skip the file search (tests, the API's configure()). */
  noFile?: boolean;
  /** Options given in code, treated as a config file layer. */
  inline?: Record<string, unknown>;
}

export interface Resolution {
  config: ResolvedConfig;
  sources: Map<string, Source>;
  /** One each: what was wrong, where, and what is used instead. */
  problems: Problem[];
  file: FileLayer;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  ensureParents(target, path);
  let obj = target;
  const parts = path.split('.');
  for (const k of parts.slice(0, -1)) obj = obj[k] as Record<string, unknown>;
  obj[parts.at(-1)!] = value;
}

/** Groups exist even when none of their options is set: `config.bud.projectId` never throws. */
function ensureParents(target: Record<string, unknown>, path: string): void {
  let obj = target;
  for (const k of path.split('.').slice(0, -1)) obj = (obj[k] ??= {}) as Record<string, unknown>;
}

function shown(path: string, raw: unknown): string {
  return byPath.get(path)?.secret === true ? '[hidden]' : describe(raw);
}

export function resolveConfig(input: ResolveInput): Resolution {
  const problems: Problem[] = [];
  const envLayers = readEnv(input.env);
  for (const u of envLayers.unknown) problems.push(unknownKey(`unknown environment variable ${u}`));

  const file: FileLayer = input.noFile === true
    ? { values: new Map(), instrumentationOptions: {}, problems: [] }
    : loadConfigFile(input.cwd, input.env['BUD_OBSERVE_CONFIG']);
  if (file.loadError !== undefined) {
    problems.push(problem('BUDOBSERVE_CONFIG_LOAD_FAILED', `could not load ${loadFailureText(file.loadError)}; going on with environment variables and defaults`));
  }
  for (const m of file.problems) problems.push(m.includes('unknown key') ? unknownKey(m) : invalid(m));
  if (input.inline !== undefined) {
    // configure({...}) in code is a file layer too: same keys, same checks.
    const inlineLayer: FileLayer = { values: new Map(), instrumentationOptions: {}, problems: [] };
    flatten(input.inline, '', 'configure()', inlineLayer);
    for (const [k, v] of inlineLayer.values) file.values.set(k, v);
    Object.assign(file.instrumentationOptions, inlineLayer.instrumentationOptions);
    for (const m of inlineLayer.problems) problems.push(m.includes('unknown key') ? unknownKey(m) : invalid(m));
  }

  const config: Record<string, unknown> = {};
  const sources = new Map<string, Source>();
  const layers: Array<[SourceKind, Map<string, RawValue>]> = [['env', envLayers.bud], ['otel-env', envLayers.otel], ['file', file.values]];
  // Rejected values, reported once the computed defaults say what is used instead.
  const rejected: Array<{ path: string; text: string }> = [];
  for (const opt of options) {
    const chosen = pick(opt.path, layers, problems, rejected);
    const final = chosen ?? (opt.default !== undefined ? { value: structuredCloneSafe(opt.default), source: { kind: 'default' as const, origin: 'default' } } : undefined);
    if (final !== undefined) {
      setPath(config, opt.path, final.value);
      sources.set(opt.path, final.source);
    } else {
      ensureParents(config, opt.path);
    }
  }

  applyComputedDefaults(config, sources, input, file);
  for (const r of rejected) problems.push(invalid(`${r.text}; ${usedInstead(config, sources, r.path)}`));
  return { config: config as unknown as ResolvedConfig, sources, problems, file };
}

/** The value of the highest layer that has a usable one; the others' problems on the way. */
function pick(path: string, layers: Array<[SourceKind, Map<string, RawValue>]>, problems: Problem[], rejected: Array<{ path: string; text: string }>): { value: unknown; source: Source } | undefined {
  const opt = byPath.get(path)!;
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

const isEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && v !== null && Object.keys(v).length === 0);

/** What a rejected value gives way to, as the end of its warning: never just "no value". */
function usedInstead(config: Record<string, unknown>, sources: Map<string, Source>, path: string): string {
  const opt = byPath.get(path)!;
  let value: unknown = config;
  for (const k of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[k];
  const source = sources.get(path);
  if (value === undefined || source === undefined) return opt.defaultText !== undefined ? `using the default (${opt.defaultText})` : `${path} is left unset`;
  if (opt.secret === true) return source.kind === 'default' ? 'using the default' : `using the value of ${source.origin}`;
  return `using ${shown(path, value)} from ${source.origin}`;
}

function structuredCloneSafe(v: unknown): unknown {
  return Array.isArray(v) ? [...v] : typeof v === 'object' && v !== null ? { ...v } : v;
}

function applyComputedDefaults(config: Record<string, unknown>, sources: Map<string, Source>, input: ResolveInput, file: FileLayer): void {
  const c = config as unknown as ResolvedConfig;
  const pkg = input.packageJson;
  if (c.serviceName === undefined) {
    const fromPkg = typeof pkg?.name === 'string' && pkg.name !== '' ? pkg.name : undefined;
    c.serviceName = fromPkg ?? 'unknown_service:node';
    sources.set('serviceName', { kind: 'default', origin: fromPkg === undefined ? 'default' : 'package.json name' });
  }
  if (c.serviceVersion === undefined && typeof pkg?.version === 'string') {
    c.serviceVersion = pkg.version;
    sources.set('serviceVersion', { kind: 'default', origin: 'package.json version' });
  }
  const hasEndpoint = c.export.endpoint !== undefined || c.export.traces?.endpoint !== undefined;
  if (c.console.enabled === undefined) {
    const asked = c.export.traces?.exporter?.includes('console') === true;
    c.console.enabled = asked || !hasEndpoint;
    sources.set('console.enabled', { kind: 'default', origin: asked ? `${sources.get('export.traces.exporter')?.origin ?? 'traces exporter'} includes console` : hasEndpoint ? 'default (an endpoint is set)' : 'default (no endpoint is set)' });
  }
  c.instrumentations.options = file.instrumentationOptions;
  // Unknown names were dropped (and reported) by the list parser, with the source at hand.
  const known = catalogNames();
  c.instrumentations.active = known.filter((n) => {
    if (c.instrumentations.options[n]?.['enabled'] === false) return false;
    if (c.instrumentations.disabled.includes(n)) return false;
    if (c.instrumentations.enabled !== undefined) return c.instrumentations.enabled.includes(n);
    return !disabledByDefault.has(n) || c.instrumentations.options[n]?.['enabled'] === true;
  });
  c.projectRoot = configDir(file) ?? input.cwd;
  if (file.filepath !== undefined) c.configFile = file.filepath;
}
