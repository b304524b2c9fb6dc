// Turns instrumentations on when, and only when, their library is first resolved. The
// module hooks call onSpecifier() for every import and require; the first time a specifier
// names a library in the catalog, its instrumentation (a bundled chunk) is loaded, given
// the SDK's providers and enabled, before the library itself loads.
// Owns which instrumentations run; must not patch anything itself.
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { catalog } from './catalog.ts';
import type { CatalogEntry } from './catalog-entry.ts';
import { packageName, withoutNodePrefix } from './specifier.ts';
import { loadChunk } from '../lazy.ts';
import { warn } from '../errors.ts';
import { debug, uptimeMs } from '../debug.ts';

export interface IntegrationsOptions {
  active: readonly string[];
  /** The options an instrumentation is constructed with, by short name. */
  options: (name: string) => Record<string, unknown>;
  tracerProvider: TracerProvider;
  meterProvider?: MeterProvider | undefined;
  /** Whether this process runs in AWS Lambda (decided at the edge). */
  inLambda: boolean;
  /** Silences a library's own tracer scope that an enabled integration replaces. */
  supersede?: ((scope: string) => void) | undefined;
  /** Called before an instrumentation of a module is made: puts the require hook in. */
  beforeEnable?: (() => void) | undefined;
}

export class Integrations {
  readonly #opts: IntegrationsOptions;
  /** Module name → instrumentations still waiting for it. */
  readonly #waiting = new Map<string, CatalogEntry[]>();
  /** Module names whose instrumentation is enabled: the ESM wrapper includes only these. */
  readonly hookedModules = new Set<string>();
  readonly enabled = new Map<string, Instrumentation>();

  constructor(opts: IntegrationsOptions) {
    this.#opts = opts;
    for (const entry of catalog) {
      if (!opts.active.includes(entry.name)) continue;
      for (const m of entry.modules) {
        let list = this.#waiting.get(m);
        if (list === undefined) this.#waiting.set(m, (list = []));
        list.push(entry);
      }
    }
  }

  get hasWork(): boolean {
    return this.#waiting.size > 0;
  }

  /** Instrumentations that hook no module (fetch's undici, Lambda, runtime metrics). */
  startModuleless(): void {
    for (const entry of catalog) {
      if (entry.modules.length > 0 || !this.#opts.active.includes(entry.name)) continue;
      if (entry.name === 'aws-lambda' && !this.#opts.inLambda) continue;
      if (entry.name === 'undici') this.#onFirstFetch(entry);
      else this.#activate(entry);
    }
  }

  /**
   * The undici instrumentation listens on diagnostics channels that Node's fetch and the
   * undici package publish to; it starts on the first fetch() call or the first resolution of
   * 'undici', whichever comes first, instead of at every start-up. The wrapper stays
   * transparent: same name and length, and it forwards to Node's own fetch from then on.
   */
  #onFirstFetch(entry: CatalogEntry): void {
    this.#waiting.set('undici', [entry]);
    type Fetch = typeof globalThis.fetch;
    const g = globalThis as { fetch?: Fetch };
    const original = g.fetch;
    const desc = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
    if (typeof original !== 'function' || desc === undefined || !('value' in desc) || desc.configurable !== true) {
      this.#activate(entry);
      return;
    }
    const activate = (): void => this.#activate(entry);
    const wrapper = function fetch(this: unknown, ...args: Parameters<Fetch>): ReturnType<Fetch> {
      activate();
      if (g.fetch === wrapper) Object.defineProperty(globalThis, 'fetch', desc);
      return Reflect.apply(original, this, args) as ReturnType<Fetch>;
    };
    Object.defineProperty(wrapper, 'length', { value: original.length });
    Object.defineProperty(globalThis, 'fetch', { ...desc, value: wrapper });
  }

  /** Called for every specifier the app resolves; must stay cheap for the common miss. */
  onSpecifier(specifier: string): void {
    const c = specifier.charCodeAt(0);
    if (c === 46 /* . */ || c === 47 /* / */ || this.#waiting.size === 0) return;
    const name = withoutNodePrefix(specifier);
    const entries = this.#waiting.get(name) ?? this.#waiting.get(packageName(name));
    if (entries === undefined) return;
    for (const entry of entries) this.#activate(entry);
  }

  #activate(entry: CatalogEntry): void {
    for (const m of entry.modules) {
      const list = this.#waiting.get(m)?.filter((e) => e !== entry);
      if (list === undefined || list.length === 0) this.#waiting.delete(m);
      else this.#waiting.set(m, list);
    }
    if (this.enabled.has(entry.name)) return;
    try {
      if (entry.modules.length > 0) this.#opts.beforeEnable?.();
      // The chunk the build made of entry.source; the entry types it and names the class.
      const Ctor = entry.load(<Module>() => loadChunk<Module>(`instrumentation-${entry.name}`));
      if (typeof Ctor !== 'function')
        throw new Error(`the chunk built from ${entry.source} has no instrumentation class`);
      // Constructed enabled, as registerInstrumentations() does: some instrumentations (undici)
      // read config.enabled on every call, so enabling later with enable() would leave them
      // silent. The global providers are already set, so nothing is created too early.
      const instrumentation = new Ctor(this.#opts.options(entry.name));
      instrumentation.setTracerProvider(this.#opts.tracerProvider);
      if (this.#opts.meterProvider !== undefined) instrumentation.setMeterProvider(this.#opts.meterProvider);
      this.enabled.set(entry.name, instrumentation);
      for (const m of entry.modules) this.hookedModules.add(m);
      for (const scope of entry.supersedes ?? []) this.#opts.supersede?.(scope);
      debug('instrumentation %s enabled at %s ms', entry.name, uptimeMs());
    } catch (error) {
      warn('BUDOBSERVE_INSTRUMENTATION_FAILED', 'enable', [entry.name, entry.modules.join(', ') || 'its target'], {
        cause: error,
        once: entry.name,
      });
    }
  }
}
