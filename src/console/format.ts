// Colour and attribute formatting for the console view. Colour decisions are made once at
// boot (TTY, NO_COLOR, FORCE_COLOR); here a Painter either wraps text in ANSI codes or not.
import type { Attributes } from '@opentelemetry/api';
import { ATTR_MSG_TEMPLATE, ATTR_MSG } from '../attributes.ts';

export interface Painter {
  dim: (s: string) => string;
  red: (s: string) => string;
  cyan: (s: string) => string;
  yellow: (s: string) => string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const identity = (s: string): string => s;

export function paint(colors: boolean): Painter {
  return colors
    ? { dim: wrap(2, 22), red: wrap(31, 39), cyan: wrap(36, 39), yellow: wrap(33, 39) }
    : { dim: identity, red: identity, cyan: identity, yellow: identity };
}

/** 'auto' follows NO_COLOR, FORCE_COLOR and whether stderr is a terminal. */
export function wantColors(
  setting: 'auto' | 'always' | 'never',
  env: Readonly<Record<string, string | undefined>>,
  isTTY: boolean,
): boolean {
  if (setting !== 'auto') return setting === 'always';
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force !== 'false';
  return isTTY;
}

export function formatAttributes(attrs: Attributes, prefix: string, p: Painter): string {
  let out = '';
  for (const [k, v] of Object.entries(attrs)) {
    if (k === ATTR_MSG || k === ATTR_MSG_TEMPLATE) continue;
    out += `${prefix}${p.cyan(k)}=${JSON.stringify(v)}\n`;
  }
  return out;
}
