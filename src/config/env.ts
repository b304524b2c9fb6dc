// Reads the BUD_OBSERVE_* and standard OTEL_* variables into raw layer values. This is the
// edge where environment variables enter the agent: nothing below config/ reads process.env.
import { options } from './schema.ts';
import { keyValues } from './parse.ts';
import { didYouMean } from './suggest.ts';

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

/** Variables read outside the option table (by the boot guard, the config loader). */
const EXTRA_BUD_VARS = new Set(['BUD_OBSERVE_CONFIG', 'BUD_OBSERVE_SKIP_COMMANDS']);

export function readEnv(env: Env): EnvLayers {
  const otel = new Map<string, RawValue>();
  const bud = new Map<string, RawValue>();
  const known = new Set(EXTRA_BUD_VARS);
  for (const opt of options) {
    if (opt.env !== undefined) {
      known.add(opt.env);
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
  for (const name of Object.keys(env)) {
    if (name.startsWith('BUD_OBSERVE_') && !known.has(name)) unknown.push(`${name}${didYouMean(name, known)}`);
  }
  return { otel, bud, unknown };
}
