// `budobserve doctor`: the resolved configuration with the source of every value, the
// instrumentations that would load (and which of their libraries this project has), the
// auto-trace patterns and the files they match, and whether each OTLP endpoint answers.
// Secrets (the token, header values) are never printed.
import { globSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { resolveConfig } from '../config/resolve.ts';
import { nearestPackageJson } from '../config/package-json.ts';
import { options } from '../config/schema.ts';
import { signalTarget } from '../export/exporters.ts';
import type { Signal } from '../export/exporters.ts';
import { catalog } from '../integrations/catalog.ts';
import { describe } from '../config/file.ts';
import { createSelector } from '../hooks/autotrace-select.ts';
import { AGENT_VERSION } from '../version.ts';
import { hideUrlSecrets } from '../processors/url-secrets.ts';
import type { Env } from '../config/env.ts';

export interface DoctorReport {
  version: string;
  node: string;
  configFile: string | null;
  values: Array<{ option: string; value: unknown; source: string }>;
  problems: Array<{ code: string; message: string }>;
  instrumentations: Array<{ name: string; modules: string[]; installed: string[] }>;
  autoTrace: { modules: string[]; exclude: string[]; minDurationMs: number; matched: string[] };
  endpoints: Array<{ signal: Signal; url: string; protocol: string; status: string }>;
}

function getPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const k of path.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[k];
  return cur;
}

function redact(option: string, value: unknown): unknown {
  const spec = options.find((o) => o.path === option);
  if (typeof value === 'string') value = hideUrlSecrets(value);
  if (spec?.secret !== true || value === undefined) return value;
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.keys(value).map((k) => [k, '[hidden]']));
  return '[hidden]';
}

function installed(projectRoot: string, modules: string[]): string[] {
  const req = createRequire(join(projectRoot, 'package.json'));
  return modules.filter((m) => {
    if (!m.startsWith('@') && !m.includes('/') && ['http', 'https', 'fs', 'dns', 'net'].includes(m)) return true;
    try {
      req.resolve(m);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The project's files the agent would auto-trace: the same selector the load hook uses, over
 * every script below the project root (node_modules only when a pattern names it).
 */
function matchFiles(root: string, modules: Array<string | RegExp>, exclude: Array<string | RegExp>): string[] {
  const select = createSelector({ projectRoot: root, modules, exclude });
  const withNodeModules = modules.some((p) => String(p).includes('node_modules'));
  const files = globSync('**/*.{js,mjs,cjs,jsx,ts,mts,cts,tsx}', { cwd: root, ...(withNodeModules ? {} : { exclude: (d: string) => d === 'node_modules' || d.endsWith('/node_modules') }) });
  return files.map((f) => select(join(root, f))).filter((f): f is string => f !== undefined).sort();
}

function probe(url: string): Promise<string> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      resolve('invalid URL');
      return;
    }
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    // An empty export request: a collector answers 200 (or 400 for the empty body), which
    // is enough to know something OTLP-shaped listens there.
    const req = send(u, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-length': '0' }, timeout: 3000 }, (res) => {
      res.resume();
      resolve(`answers (HTTP ${res.statusCode})`);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`unreachable (${e.code ?? e.message})`));
    req.end();
  });
}

export async function buildReport(opts: { cwd: string; env: Env }): Promise<DoctorReport> {
  const { config, sources, problems } = resolveConfig({ env: opts.env, cwd: opts.cwd, packageJson: nearestPackageJson(opts.cwd) });
  const values = [...sources.keys()].map((option) => ({ option, value: redact(option, getPath(config, option)), source: sources.get(option)!.origin }));
  const instrumentations = catalog.filter((e) => config.instrumentations.active.includes(e.name))
    .map((e) => ({ name: e.name, modules: e.modules, installed: installed(config.projectRoot, e.modules) }));
  const endpoints: DoctorReport['endpoints'] = [];
  for (const signal of ['traces', 'metrics', 'logs'] as const) {
    const t = signalTarget(config, signal);
    if (t === undefined) continue;
    endpoints.push({ signal, url: hideUrlSecrets(t.url), protocol: t.protocol, status: t.protocol === 'grpc' ? 'not probed (grpc)' : await probe(t.url) });
  }
  const at = config.autoTrace;
  return {
    version: AGENT_VERSION,
    node: process.versions.node,
    configFile: config.configFile === undefined ? null : relative(opts.cwd, config.configFile) || config.configFile,
    values,
    problems: problems.map((p) => ({ code: p.code, message: p.message })),
    instrumentations,
    autoTrace: { modules: at.modules.map(String), exclude: at.exclude.map(String), minDurationMs: at.minDuration, matched: at.modules.length === 0 ? [] : matchFiles(config.projectRoot, at.modules, at.exclude) },
    endpoints,
  };
}

export async function doctor(opts: { json: boolean; cwd: string; env: Env }): Promise<number> {
  const r = await buildReport(opts);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  const out: string[] = [];
  out.push(`BudObserve agent ${r.version} on Node.js ${r.node}`);
  out.push(`Config file: ${r.configFile ?? 'none found (environment variables and defaults only)'}`);
  out.push('', 'Configuration (value  <- source):');
  for (const v of r.values) out.push(`  ${v.option} = ${describe(v.value)}  <- ${v.source}`);
  if (r.problems.length > 0) {
    out.push('', 'Problems:');
    for (const p of r.problems) out.push(`  [${p.code}] ${p.message}`);
  }
  out.push('', 'Instrumentations (each loads only when its library does):');
  for (const i of r.instrumentations) out.push(`  ${i.name.padEnd(16)} ${i.installed.length > 0 ? `will load: ${i.installed.join(', ')} found` : i.modules.length === 0 ? 'starts with the agent' : `idle: ${i.modules.join(', ')} not installed`}`);
  out.push('', `Auto-trace: ${r.autoTrace.modules.length === 0 ? 'off (autoTrace.modules is empty)' : `${r.autoTrace.modules.join(', ')}${r.autoTrace.exclude.length > 0 ? ` excluding ${r.autoTrace.exclude.join(', ')}` : ''}, min duration ${r.autoTrace.minDurationMs} ms`}`);
  for (const f of r.autoTrace.matched) out.push(`  ${f}`);
  out.push('', 'Export:');
  if (r.endpoints.length === 0) out.push('  no OTLP endpoint: spans are printed to stderr');
  for (const e of r.endpoints) out.push(`  ${e.signal.padEnd(8)} ${e.protocol.padEnd(14)} ${e.url}  ${e.status}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
