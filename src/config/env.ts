// Reads the BUD_OBSERVE_* and standard OTEL_* variables into raw layer values. This is the
// edge where environment variables enter the agent: nothing below config/ reads process.env.
import { options } from './schema.ts';
import { keyValues } from './parse.ts';
import { didYouMean } from './suggest.ts';
import { cut } from '../errors.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface RawValue {
  raw: unknown;
  /** The variable, or "file key", shown to the user. */
  origin: string;
}

export interface EnvLayers {
  otel: Map<string, RawValue>;
  bud: Map<string, RawValue>;
  /** BUD_OBSERVE_* names that no option reads, with a suggestion. */
  unknown: string[];
}

/**
 * Variables read outside the option table: by the config loader, the boot guard, and
 * register.mjs / register.cjs (the compile cache, decided before anything else loads).
 */
const EXTRA_BUD_VARS = ['BUD_OBSERVE_CONFIG', 'BUD_OBSERVE_SKIP_COMMANDS', 'BUD_OBSERVE_COMPILE_CACHE'];

let known: ReadonlySet<string> | undefined;
/** Every variable the agent reads, BUD_OBSERVE_* and OTEL_*: what the README may document. */
export function knownVariables(): ReadonlySet<string> {
  return (known ??= new Set([
    ...EXTRA_BUD_VARS,
    ...options.flatMap((o) => [...(o.env === undefined ? [] : [o.env]), ...(o.otelEnv ?? []).map((r) => r.name)]),
  ]));
}

export function readEnv(env: Env): EnvLayers {
  const otel = new Map<string, RawValue>();
  const bud = new Map<string, RawValue>();
  for (const opt of options) {
    if (opt.env !== undefined) {
      const v = env[opt.env];
      if (v !== undefined && v !== '') bud.set(opt.path, { raw: v, origin: opt.env });
    }
    for (const ref of opt.otelEnv ?? []) {
      const v = env[ref.name];
      if (v === undefined || v.trim() === '') continue;
      let raw: unknown = v;
      let origin = ref.name;
      if (ref.key !== undefined) {
        const kv = keyValues(v, true);
        raw = kv.ok ? kv.value[ref.key] : undefined;
        origin = `${ref.name} (${ref.key})`;
      }
      if (raw !== undefined && ref.map !== undefined) raw = ref.map(String(raw), env);
      if (raw === undefined) continue;
      otel.set(opt.path, { raw, origin });
      break;
    }
  }
  const unknown: string[] = [];
  const names = knownVariables();
  for (const name of Object.keys(env)) {
    // A name is user input too: a 20 KB one is cut, and gets no did-you-mean (its cost grows with its length).
    if (!name.startsWith('BUD_OBSERVE_') || names.has(name)) continue;
    unknown.push(
      name.length > 80
        ? cut(name, 80)
        : `${name}${didYouMean(
            name,
            [...names].filter((n) => n.startsWith('BUD_OBSERVE_')),
          )}`,
    );
  }
  return { otel, bud, unknown };
}
