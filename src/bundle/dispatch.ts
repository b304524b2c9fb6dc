// Routes a bundled library module's exports through the enabled instrumentations, as
// @opentelemetry/instrumentation's require hook does for a module required from node_modules
// (InstrumentationBase._onRequire): a package's entry goes to each module definition of that
// name whose supported versions include the package's version, an internal file to the file
// definitions of its path. Only the public shape of module definitions is used
// (getModuleDefinitions(), patch, files, supportedVersions). A patch that throws is skipped
// with one warning, and the bundle gets the exports as the patches before it left them. Owns that routing; must not decide versions.
import type { Instrumentation, InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { supported } from './versions.ts';
import { warn } from '../errors.ts';
import { debug } from '../debug.ts';

interface WithDefinitions {
  getModuleDefinitions?: () => InstrumentationModuleDefinition[];
  isEnabled?: () => boolean;
}

/** The module definitions of `pkg` among the enabled instrumentations. */
export function definitionsOf(
  instrumentations: Iterable<Instrumentation>,
  pkg: string,
): InstrumentationModuleDefinition[] {
  const out: InstrumentationModuleDefinition[] = [];
  for (const i of instrumentations) {
    const withDefs = i as unknown as WithDefinitions;
    if (withDefs.isEnabled?.() === false) continue;
    for (const def of withDefs.getModuleDefinitions?.() ?? []) if (def.name === pkg) out.push(def);
  }
  return out;
}

export interface Dispatch {
  defs: readonly InstrumentationModuleDefinition[];
  pkg: string;
  version: string;
  file: string;
  isMain: boolean;
}

/** The exports after every patch that applies (the same object when none does). */
export function applyPatches(exports: unknown, d: Dispatch): unknown {
  let out = exports;
  const name = `${d.pkg}/${d.file}`;
  for (const def of d.defs) {
    try {
      if (d.isMain) {
        if (typeof def.patch !== 'function' || !supported(def.supportedVersions, d.version, def.includePrerelease))
          continue;
        def.moduleVersion = d.version;
        def.moduleExports = out;
        out = def.patch(out, d.version);
        debug('bundled %s@%s patched', d.pkg, d.version);
        continue;
      }
      for (const file of def.files) {
        if (file.name !== name || !supported(file.supportedVersions, d.version, def.includePrerelease)) continue;
        def.moduleVersion = d.version;
        file.moduleExports = out;
        out = file.patch(out, d.version);
        debug('bundled %s patched', name);
      }
    } catch (error) {
      warn('BUDOBSERVE_BUNDLE_FAILED', 'patch', [name], { cause: error, once: name });
    }
  }
  return out;
}
