// The agent's start-up sequence, run once per thread by register.mjs:
// guard → configuration → SDK → instrumentation activation → module hooks → exit handling.
// Every step is contained: a failure is one BUDOBSERVE_* warning and the app runs on.
// This is the edge: process.env, argv and the TTY are read here and passed down.
import { checkGuard } from './guard.ts';
import { isInternalThread, isMainThread } from '../thread.ts';
import { resolveConfig } from '../config/resolve.ts';
import { nearestPackageJson } from '../config/package-json.ts';
import type { Resolution } from '../config/resolve.ts';
import type { ResolvedConfig } from '../config/types.ts';
import type { BudObserveConfig } from '../config/public-types.ts';
import { createSdk, registerGlobals } from './sdk.ts';
import type { Sdk } from './sdk.ts';
import { installLifecycle } from './shutdown.ts';
import type { Lifecycle } from './shutdown.ts';
import { Integrations } from '../integrations/activate.ts';
import { catalog } from '../integrations/catalog.ts';
import { enrichOptions } from '../integrations/enrich/enrich.ts';
import { packageName, withoutNodePrefix } from '../integrations/specifier.ts';
import { installModuleHooks } from '../hooks/module-hooks.ts';
import { hookRequire, installRequireGate } from '../hooks/require-gate.ts';
import { supportsSyncHooks } from '../hooks/sync-hooks.ts';
import type { SourceTransform } from '../hooks/module-hooks.ts';
import { wantColors } from '../console/format.ts';
import { loadChunk, loadChunksWith } from '../lazy.ts';
import { errorText, warn, warnComposed } from '../errors.ts';
import { debug, uptimeMs } from '../debug.ts';
import { kAutoTrace, kBooted } from '../symbols.ts';
import { publishAgent } from '../agent-global.ts';
import type { AgentGlobal } from '../agent-global.ts';
import { createAutoTraceTransform } from '../autotrace/hook/load-hook.ts';
import { bundleTransform, publishBundleHook } from '../bundle/hook.ts';
import type { BundleSupportOptions } from '../bundle/hook.ts';

/** The agent this copy started: the global contract (AgentGlobal) and the handles only the boot uses. */
export interface Agent extends AgentGlobal {
  config: ResolvedConfig;
  resolution: Resolution;
  sdk: Sdk;
  integrations: Integrations;
  lifecycle: Lifecycle;
}

const DEFAULT_SKIP = ['npm', 'npx', 'yarn', 'pnpm', 'pnpx', 'corepack', 'node-gyp', 'tsc', 'tsserver'];

const truthy = (v: string | undefined): boolean => v !== undefined && /^(true|1|yes|on)$/i.test(v.trim());

/**
 * Starts the agent in this thread. Returns undefined when it stays off; never throws.
 * @param input.inline options given in code (configure()), a layer above the config file.
 * @param input.load how register loads the lazy chunks (through its code cache).
 */
export function start(input: { inline?: BudObserveConfig; load?: (file: string) => unknown } = {}): Agent | undefined {
  const g = globalThis as Record<symbol, unknown>;
  debug('start at %s ms', uptimeMs());
  try {
    if (input.load !== undefined) loadChunksWith(input.load);
    const env = process.env;
    const skipEnv = env['BUD_OBSERVE_SKIP_COMMANDS'];
    const skip =
      skipEnv === undefined
        ? DEFAULT_SKIP
        : skipEnv
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
    const verdict = checkGuard({
      version: process.versions.node,
      argv1: process.argv[1],
      skipCommands: skip,
      global: g,
      internalThread: isInternalThread(),
    });
    if (!verdict.boot) {
      if (verdict.warnCode !== undefined) warnComposed(verdict.warnCode, verdict.reason);
      debug('not starting: %s', verdict.reason);
      return undefined;
    }
    g[kBooted] = true;
    // Cheap exit before any file is read: a disabled agent must cost nothing.
    if (
      truthy(env['BUD_OBSERVE_DISABLED']) ||
      (env['BUD_OBSERVE_DISABLED'] === undefined && truthy(env['OTEL_SDK_DISABLED']))
    )
      return undefined;

    const cwd = process.cwd();
    const resolution = resolveConfig({
      env,
      cwd,
      packageJson: nearestPackageJson(cwd),
      ...(input.inline === undefined ? {} : { inline: input.inline }),
    });
    debug('config resolved at %s ms', uptimeMs());
    for (const p of resolution.problems) warnComposed(p.code, p.message);
    const config = resolution.config;
    if (config.disabled) return undefined;
    return boot(resolution, {
      // process.stderr is made on first use (a few ms for a TTY or pipe): asked when the
      // console first prints, not at start.
      consoleColors: () => wantColors(config.console.colors, env, process.stderr.isTTY === true),
      inLambda: env['AWS_LAMBDA_FUNCTION_NAME'] !== undefined,
    });
  } catch (error) {
    warn('BUDOBSERVE_BOOT_FAILED', 'boot', [errorText(error)], { cause: error });
    return undefined;
  }
}

function boot(resolution: Resolution, edge: { consoleColors: () => boolean; inLambda: boolean }): Agent {
  const config = resolution.config;
  const sdk = createSdk(config, { consoleColors: edge.consoleColors });
  registerGlobals(sdk, config);
  debug('sdk ready at %s ms', uptimeMs());
  const integrations = new Integrations({
    active: config.instrumentations.active,
    options: (name) => enrichOptions(name, config.instrumentations.options[name], config),
    tracerProvider: sdk.tracerProvider,
    meterProvider: sdk.meterProvider,
    inLambda: edge.inLambda,
    supersede: (scope) => sdk.globalTracerProvider.supersede(scope),
    beforeEnable: () => hookRequire(primeRequireHook),
  });
  const autoTrace =
    sdk.autoTrace === undefined || !syncLoadHooks()
      ? undefined
      : {
          wants: () => true,
          apply: createAutoTraceTransform({
            projectRoot: config.projectRoot,
            modules: config.autoTrace.modules,
            exclude: config.autoTrace.exclude,
          }),
        };
  // Every module name an active instrumentation hooks: the off-thread fallback's list, and what bundles are searched for.
  const allModules = catalog.filter((e) => config.instrumentations.active.includes(e.name)).flatMap((e) => e.modules);
  const bundles = integrations.hasWork ? bundleSupport(integrations, allModules) : undefined;
  if (bundles !== undefined) publishBundleHook(bundles);
  const transform = composeTransforms(
    bundles !== undefined && supportsSyncHooks() ? bundleTransform(bundles) : undefined,
    autoTrace,
  );
  if (sdk.autoTrace !== undefined) (globalThis as Record<symbol, unknown>)[kAutoTrace] = sdk.autoTrace;
  if (integrations.hasWork || transform !== undefined) {
    if (integrations.hasWork) installRequireGate();
    installModuleHooks({
      onSpecifier: (s) => integrations.onSpecifier(s),
      isHooked: (specifier) => {
        const name = withoutNodePrefix(specifier);
        return integrations.hookedModules.has(name) || integrations.hookedModules.has(packageName(name));
      },
      allModules,
      transform,
    });
  }
  debug('module hooks at %s ms', uptimeMs());
  integrations.startModuleless();
  const lifecycle = installLifecycle(sdk, config.shutdownTimeoutMs, {
    signals: isMainThread(),
  });
  const agent: Agent = { config, resolution, sdk, integrations, lifecycle };
  publishAgent(agent);
  debug('started at %s ms: service=%s', uptimeMs(), config.serviceName);
  return agent;
}

/**
 * Whether this Node can run a synchronous load hook. Before 22.22.3 and 24.11.1 Node's own
 * loader hands the hook chain a null source for some modules and then rejects it
 * (nodejs/node#59929), so the rewrite cannot be installed there: one warning, no auto-trace.
 */
function syncLoadHooks(): boolean {
  if (supportsSyncHooks()) return true;
  warn('BUDOBSERVE_AUTOTRACE_FAILED', 'node', [process.versions.node], { once: 'autotrace-node' });
  return false;
}

/** The bundle rewrite, then auto-tracing on what it gave (it keeps lines, so maps stay true). */
function composeTransforms(
  first: SourceTransform | undefined,
  second: SourceTransform | undefined,
): SourceTransform | undefined {
  if (first === undefined || second === undefined) return first ?? second;
  return {
    wants: (url) => first.wants(url) || second.wants(url),
    apply(url, source, format) {
      const once = first.wants(url) ? first.apply(url, source, format) : undefined;
      return (second.wants(url) ? second.apply(url, once ?? source, format) : undefined) ?? once;
    },
  };
}

/** What bundle support needs of the integrations: which packages they instrument, and enabling them. */
function bundleSupport(integrations: Integrations, modules: readonly string[]): BundleSupportOptions {
  const instrumented = new Set(modules);
  return {
    isInstrumented: (pkg) => instrumented.has(pkg),
    activate: (pkg) => integrations.onSpecifier(pkg),
    instrumentations: () => integrations.enabled.values(),
  };
}

// The lazily loaded bundles (dist/lazy/*.cjs) use these copies instead of carrying their
// own: dist/lazy/vendor-api.cjs and vendor-core.cjs re-export them, so each is parsed once
// per process.
export * as vendorApi from '@opentelemetry/api';
export * as vendorCore from '@opentelemetry/core';

/** Installs @opentelemetry/instrumentation's require hook (require-gate.ts says when). */
function primeRequireHook(): void {
  try {
    loadChunk<typeof import('../chunks/instrumentation-base.ts')>('instrumentation-base').primeRequireHook();
    debug('require hook installed at %s ms', uptimeMs());
  } catch (error) {
    warn('BUDOBSERVE_HOOKS_FAILED', 'requireHook', [], { cause: error });
  }
}
