// `budobserve doctor`: whether the agent runs here, the resolved configuration with the
// source of every value (and the config file it found, loaded or not, and why not), the
// instrumentations that would load (and which of their libraries the app itself has), the
// auto-trace patterns and the files they match, the libraries found inside the bundles it is given, the resource attributes and which detector
// (or the configuration) set each, and whether each OTLP endpoint answers.
// Secrets (the token, header values) are never printed.
import * as fs from 'node:fs';
import { join, relative } from 'node:path';
import { resolveConfig, valueAt } from '../config/resolve.ts';
import { nearestPackageJson } from '../config/package-json.ts';
import { options } from '../config/schema.ts';
import { signalTarget } from '../export/exporters.ts';
import type { Signal } from '../export/exporters.ts';
import { catalog } from '../integrations/catalog.ts';
import type { CatalogEntry } from '../integrations/catalog-entry.ts';
import { describe } from '../config/file.ts';
import { loadFailureText } from '../config/load-error.ts';
import { createSelector } from '../autotrace/hook/select.ts';
import { checkGuard } from '../boot/guard.ts';
import { AGENT_VERSION } from '../version.ts';
import { hideUrlSecrets } from '../processors/url-secrets.ts';
import type { Env } from '../config/env.ts';
import { appLibraries } from './app-packages.ts';
import { probe } from './probe.ts';
import { describeResource } from '../resource/resource.ts';
import { selectDetectors } from '../resource/names.ts';
import { CLOUD_DETECTION_BOUND_MS } from '../resource/cloud.ts';
import { tailSummary } from '../sampling/tail/settings.ts';
import { bundleLines, describeBundles } from './doctor-bundle.ts';

export interface DoctorReport {
  version: string;
  node: string;
  /** Why the agent would stay off here (an unsupported Node.js, disabled), or null. */
  notRunning: string | null;
  /** The config file found, relative to cwd, whether or not it loaded. */
  configFile: string | null;
  /** Why the config file did not load (`file:line:column: reason`), or null. */
  configError: string | null;
  values: Array<{ option: string; value: unknown; source: string }>;
  problems: Array<{ code: string; message: string }>;
  instrumentations: Array<{ name: string; modules: string[]; installed: string[]; status: string }>;
  autoTrace: { modules: string[]; exclude: string[]; minDurationMs: number; matched: string[] };
  /** What tail sampling keeps, or that it is off. */
  tailSampling: string;
  endpoints: Array<{ signal: Signal; url: string; protocol: string; status: string }>;
  /** Every resource attribute and what set it: a detector's name, 'sdk' or 'config'. */
  resource: Array<{ attribute: string; value: unknown; source: string }>;
  /** The cloud detectors named: they ask their metadata service when the agent starts; doctor does not. */
  cloudDetectors: string[];
  /** The bundles named on the command line: the libraries recognised inside each. */
  bundles: ReturnType<typeof describeBundles>;
}

function redact(option: string, value: unknown): unknown {
  const spec = options.find((o) => o.path === option);
  if (typeof value === 'string') value = hideUrlSecrets(value);
  if (spec?.secret !== true || value === undefined) return value;
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.keys(value).map((k) => [k, '[hidden]']));
  return '[hidden]';
}

/**
 * The project's files the agent would auto-trace: the same selector the load hook uses, over
 * every script below the project root (node_modules only when a pattern names it).
 */
function matchFiles(root: string, modules: Array<string | RegExp>, exclude: Array<string | RegExp>): string[] {
  // fs.globSync is Node 22's; doctor also runs on older Nodes to say the agent will not.
  if (typeof fs.globSync !== 'function') return [];
  const select = createSelector({ projectRoot: root, modules, exclude });
  const withNodeModules = modules.some((p) => String(p).includes('node_modules'));
  const files = fs.globSync('**/*.{js,mjs,cjs,jsx,ts,mts,cts,tsx}', {
    cwd: root,
    ...(withNodeModules ? {} : { exclude: (d: string) => d === 'node_modules' || d.endsWith('/node_modules') }),
  });
  return files
    .map((f) => select(join(root, f)))
    .filter((f): f is string => f !== undefined)
    .sort();
}

/** When an instrumentation starts, in the words of activate.ts. */
function instrumentationStatus(
  e: CatalogEntry,
  installed: string[],
  ctx: { runs: boolean; inLambda: boolean },
): string {
  const will = ctx.runs ? 'will' : 'would';
  if (e.name === 'aws-lambda')
    return ctx.inLambda
      ? `${will} start with the agent (AWS_LAMBDA_FUNCTION_NAME is set)`
      : 'idle: not in AWS Lambda (AWS_LAMBDA_FUNCTION_NAME is unset)';
  if (e.name === 'undici') return `${will} start on the first fetch() or the first load of undici`;
  if (e.modules.length === 0) return `${will} start with the agent`;
  return installed.length > 0
    ? `${will} load: ${installed.join(', ')} found`
    : `idle: ${e.modules.join(', ')} not installed`;
}

export async function buildReport(opts: { cwd: string; env: Env; bundles?: string[] }): Promise<DoctorReport> {
  const { config, sources, problems, file } = resolveConfig({
    env: opts.env,
    cwd: opts.cwd,
    packageJson: nearestPackageJson(opts.cwd),
  });
  const show = (p: string): string => relative(opts.cwd, p) || p;
  const guard = checkGuard({
    version: process.versions.node,
    argv1: undefined,
    skipCommands: [],
    global: {},
    internalThread: false,
  });
  const notRunning = !guard.boot
    ? guard.reason
    : config.disabled
      ? `it is disabled (${sources.get('disabled')?.origin ?? 'disabled'})`
      : null;
  const values = [...sources.keys()].map((option) => ({
    option,
    value: redact(option, valueAt(config, option)),
    source: sources.get(option)!.origin,
  }));
  const libraries = appLibraries(config.projectRoot);
  const ctx = { runs: notRunning === null, inLambda: opts.env['AWS_LAMBDA_FUNCTION_NAME'] !== undefined };
  const instrumentations = catalog
    .filter((e) => config.instrumentations.active.includes(e.name))
    .map((e) => {
      const installed = libraries(e.modules);
      return { name: e.name, modules: e.modules, installed, status: instrumentationStatus(e, installed, ctx) };
    });
  const endpoints: DoctorReport['endpoints'] = [];
  for (const signal of ['traces', 'metrics', 'logs'] as const) {
    const t = signalTarget(config, signal);
    if (t === undefined) continue;
    endpoints.push({
      signal,
      url: hideUrlSecrets(t.url),
      protocol: t.protocol,
      status: t.protocol === 'grpc' ? 'not probed (grpc)' : await probe(t),
    });
  }
  const at = config.autoTrace;
  const detectors = selectDetectors(config.resourceDetectors);
  const described = describeResource(config, detectors.local);
  const resource = Object.entries(described.attributes).map(([attribute, value]) => ({
    attribute,
    value: typeof value === 'string' ? hideUrlSecrets(value) : value,
    source: described.sources[attribute] ?? 'config',
  }));
  const found = config.configFile ?? file.loadError?.filepath;
  return {
    version: AGENT_VERSION,
    node: process.versions.node,
    notRunning,
    configFile: found === undefined ? null : show(found),
    configError: file.loadError === undefined ? null : loadFailureText(file.loadError, show),
    values,
    problems: problems.map((p) => ({ code: p.code, message: p.message })),
    instrumentations,
    autoTrace: {
      modules: at.modules.map(String),
      exclude: at.exclude.map(String),
      minDurationMs: at.minDuration,
      matched: at.modules.length === 0 ? [] : matchFiles(config.projectRoot, at.modules, at.exclude),
    },
    endpoints,
    resource,
    cloudDetectors: detectors.cloud,
    tailSampling: tailSummary(config),
    bundles: describeBundles(opts.bundles ?? [], opts.cwd, (pkg) =>
      instrumentations.some((i) => i.modules.includes(pkg)),
    ),
  };
}

function configFileLines(r: DoctorReport): string[] {
  if (r.configFile === null) return ['Config file: none found (environment variables and defaults only)'];
  if (r.configError === null) return [`Config file: ${r.configFile}`];
  return [
    `Config file: ${r.configFile}, found but not loaded (environment variables and defaults are used):`,
    `  ${r.configError}`,
  ];
}

function resourceLines(r: DoctorReport): string[] {
  const out = ['', 'Resource (value  <- detector, or the configuration):'];
  for (const a of r.resource)
    out.push(`  ${a.attribute} = ${describe(a.value)}  <- ${a.source === 'config' ? 'configuration' : a.source}`);
  // Over the network, so only the agent asks them, once it has started.
  if (r.cloudDetectors.length > 0)
    out.push(
      `  + what ${r.cloudDetectors.join(', ')} ${r.cloudDetectors.length > 1 ? 'find' : 'finds'}: asked over the network when the agent starts (the first export waits at most ${CLOUD_DETECTION_BOUND_MS} ms); doctor does not ask`,
    );
  return out;
}

export async function doctor(opts: { json: boolean; cwd: string; env: Env; bundles?: string[] }): Promise<number> {
  const r = await buildReport(opts);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  const out: string[] = [];
  // First, before any "will load": nothing below happens when the agent stays off.
  if (r.notRunning !== null)
    out.push(`The agent will not run here: ${r.notRunning}.`, 'What follows is what it would do where it runs.', '');
  out.push(`BudObserve agent ${r.version} on Node.js ${r.node}`);
  out.push(...configFileLines(r));
  out.push('', 'Configuration (value  <- source):');
  for (const v of r.values) out.push(`  ${v.option} = ${describe(v.value)}  <- ${v.source}`);
  if (r.problems.length > 0) {
    out.push('', 'Problems:');
    for (const p of r.problems) out.push(`  [${p.code}] ${p.message}`);
  }
  out.push('', 'Instrumentations (each loads only when its library does):');
  for (const i of r.instrumentations) out.push(`  ${i.name.padEnd(16)} ${i.status}`);
  out.push(
    '',
    `Auto-trace: ${r.autoTrace.modules.length === 0 ? 'off (autoTrace.modules is empty)' : `${r.autoTrace.modules.join(', ')}${r.autoTrace.exclude.length > 0 ? ` excluding ${r.autoTrace.exclude.join(', ')}` : ''}, min duration ${r.autoTrace.minDurationMs} ms`}`,
  );
  for (const f of r.autoTrace.matched) out.push(`  ${f}`);
  out.push(...resourceLines(r));
  out.push('', `Tail sampling: ${r.tailSampling}`);
  out.push(...bundleLines(r.bundles));
  out.push('', 'Export:');
  if (r.endpoints.length === 0)
    out.push(`  no OTLP endpoint: spans ${r.notRunning === null ? 'are' : 'would be'} printed to stderr`);
  for (const e of r.endpoints) out.push(`  ${e.signal.padEnd(8)} ${e.protocol.padEnd(14)} ${e.url}  ${e.status}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
