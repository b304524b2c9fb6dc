// Which parts of a URL are credentials: a userinfo password and the values of query
// parameters with secret-looking names. Shared by the scrubber (scrubbing.ts, which decides
// per match with its patterns and callback) and by `budobserve doctor` (hideUrlSecrets).
// Owns the URL grammar and the secret parameter names; must not walk spans.
import { compilePatterns, secretName } from './scrub-rules.ts';
import type { Pattern } from './scrub-rules.ts';

/** A secret parameter name or a userinfo password may be in this URL (the cheap test first). */
export const URL_HINT = /(?:token|key|sig|signature|code|pass|pwd|otp|sid)=|:\/\/[^/?#@]*@/i;
/** The whole value is one URL: it keeps its shape when scrubbed, whatever its key. */
export const WHOLE_URL = /^[a-z][a-z0-9+.-]{1,30}:\/\/\S*$/i;
// The password runs to the last '@' before the path: an unencoded '@' in it must not leave
// its tail behind.
export const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):([^/?#]*)@/i;
export const USERINFO_PASSWORD: Pattern = { name: 'password', value: USERINFO, key: USERINFO };
export const QUERY_PARAM = /([?#&;]|^)([^=&#;]*)=([^&#;]*)/g;

export function decodeUriPart(s: string): string {
  if (!s.includes('%') && !s.includes('+')) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/**
 * `url` with its userinfo password and the values of its secret query parameters replaced
 * by `redact(part, value, name)` (part: 'password' or the parameter's name); `secret` gives
 * a parameter's marker name, or null. `queryOnly`: `url` is a bare query string.
 */
export function replaceUrlSecrets(
  url: string,
  queryOnly: boolean,
  secret: (name: string, value: string) => string | null,
  redact: (part: string, value: string, name: string) => string,
): string {
  const out = !url.includes('@')
    ? url
    : url.replace(USERINFO, (m, user: string, pass: string) => {
        const value = decodeUriPart(pass);
        const r = redact('password', value, 'password');
        return r === value ? m : `${user}:${r}@`;
      });
  const q = queryOnly ? 0 : out.search(/[?#]/);
  if (q < 0) return out;
  return (
    out.slice(0, q) +
    out.slice(q).replace(QUERY_PARAM, (m, sep: string, rawName: string, raw: string) => {
      if (raw === '' || raw === 'REDACTED') return m; // REDACTED: already done by the instrumentation
      const name = decodeUriPart(rawName);
      const value = decodeUriPart(raw);
      const p = secret(name, value);
      if (p === null) return m;
      const r = redact(name, value, p);
      return r === value ? m : `${sep}${rawName}=${r}`;
    })
  );
}

let builtIns: Pattern[] | undefined;

/** A parameter name the built-in patterns or the secret parameter names call secret. */
function secretParam(name: string): string | null {
  builtIns ??= compilePatterns([], undefined);
  return (builtIns.find((p) => p.key.test(name)) ?? secretName(name))?.name ?? null;
}

// Every URL in a text: scheme, then the userinfo (up to the last '@' before the path) and the rest.
const URLS = /\b([a-z][a-z0-9+.-]*:\/\/)(?:([^\s/?#]*)@)?(\S*)/gi;

/**
 * For text shown to people (doctor): in every URL, the userinfo and the values of
 * secret-looking query parameters become `mask`.
 */
export function hideUrlSecrets(text: string, mask = '[hidden]'): string {
  if (!text.includes('://')) return text;
  return text.replace(
    URLS,
    (_m, scheme: string, userinfo: string | undefined, rest: string) =>
      `${scheme}${userinfo === undefined ? '' : `${mask}@`}${replaceUrlSecrets(rest, false, secretParam, () => mask)}`,
  );
}
