// Merges the layers: built-in defaults < config file < OTEL_* < BUD_OBSERVE_*. Each value
// keeps its source so `budobserve doctor` can say where it came from. Bad values are
// reported (source, value, expectation) and fall back to the next lower layer.
import { options, byPath } from './schema.ts';
import type { SourceKind } from './schema.ts';
import { readEnv } from './env.ts';
import type { Env, RawValue } from './env.ts';
import { loadConfigFile, describe, configDir, flatten } from './file.ts';
import type { FileLayer } from './file.ts';
import { loadFailureText } from './load-error.ts';
import { catalogNames, disabledByDefault } from '../integrations/catalog.ts';
import { didYouMean } from './suggest.ts';
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

const invalid = (message: string): Problem => ({ code: 'BUDOBSERVE_CONFIG_INVALID', message });
const unknownKey = (message: string): Problem => ({ code: 'BUDOBSERVE_CONFIG_UNKNOWN_KEY', message });

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
    problems.push({ code: 'BUDOBSERVE_CONFIG_LOAD_FAILED', message: `could not load ${loadFailureText(file.loadError)}; going on with environment variables and defaults` });
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
  for (const opt of options) {
    let chosen: { value: unknown; source: Source } | undefined;
    const rejected: string[] = [];
    for (const [kind, values] of layers) {
      const rv = values.get(opt.path);
      if (rv === undefined) continue;
      const parsed = opt.parse(rv.raw, kind !== 'file');
      if (parsed.ok) {
        chosen = { value: parsed.value, source: { kind, origin: rv.origin } };
        break;
      }
      rejected.push(`${rv.origin} = ${shown(opt.path, rv.raw)} is invalid: expected ${parsed.expected}`);
    }
    const fallback = opt.default !== undefined ? { value: structuredCloneSafe(opt.default), source: { kind: 'default' as const, origin: 'default' } } : undefined;
    const final = chosen ?? fallback;
    for (const r of rejected) problems.push(invalid(`${r}; using ${final === undefined ? 'no value' : `${shown(opt.path, final.value)} from ${final.source.origin}`}`));
    if (final !== undefined) {
      setPath(config, opt.path, final.value);
      sources.set(opt.path, final.source);
    } else {
      ensureParents(config, opt.path);
    }
  }

  applyComputedDefaults(config, sources, input, file, problems);
  return { config: config as unknown as ResolvedConfig, sources, problems, file };
}

function structuredCloneSafe(v: unknown): unknown {
  return Array.isArray(v) ? [...v] : typeof v === 'object' && v !== null ? { ...v } : v;
}

function applyComputedDefaults(config: Record<string, unknown>, sources: Map<string, Source>, input: ResolveInput, file: FileLayer, problems: Problem[]): void {
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
  const known = catalogNames();
  for (const key of ['enabled', 'disabled'] as const) {
    const list = c.instrumentations[key];
    if (list === undefined) continue;
    const good = list.filter((n) => known.includes(n));
    // One message per list, names cut short: a 10,000-item list must not become 10,000 warnings.
    const unknown = list.filter((n) => !known.includes(n));
    const named = unknown.slice(0, 5).map((n) => `${describe(n).replace(/^"|"$/g, "'")}${n.length > 80 ? '' : didYouMean(n, known)}`).join(', ');
    if (unknown.length > 0) problems.push(invalid(`${sources.get(`instrumentations.${key}`)?.origin ?? key}: unknown instrumentation${unknown.length > 1 ? 's' : ''} ${named}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}; ignored`));
    c.instrumentations[key] = good;
  }
  c.instrumentations.active = known.filter((n) => {
    if (c.instrumentations.options[n]?.['enabled'] === false) return false;
    if (c.instrumentations.disabled.includes(n)) return false;
    if (c.instrumentations.enabled !== undefined) return c.instrumentations.enabled.includes(n);
    return !disabledByDefault.has(n) || c.instrumentations.options[n]?.['enabled'] === true;
  });
  c.projectRoot = configDir(file) ?? input.cwd;
  if (file.filepath !== undefined) c.configFile = file.filepath;
}
