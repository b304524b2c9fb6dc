// Credentials inside any text, found by their shape rather than by a word: a URL's userinfo
// password, secret query parameters, `Bearer`/`Basic` credentials, well-known key formats
// (AWS, GitHub, GitLab, Stripe, OpenAI/Anthropic, Slack, Google, npm), JWTs and
// `token: <value>` assignments. Only the credential is replaced, so an exception message or
// a stack trace stays readable around it.
// Speed: every string value the scrubber sees is tested once against one RegExp of the
// formats' hints, short literals with no lookaround (`://…@`, `?name=`, `AKIA`, `ghp_`,
// `eyJ`…), which V8 runs at about 1 ns per character; with the formats' lookbehinds and
// lengths it ran a third slower. Only a value that hits is scanned again with the exact
// formats, and each match is confirmed (random-looking, mixed case, a Basic credential that
// decodes to user:password) before it is replaced.
// Owns the formats and their confirmation; must not decide what replaces a match (the
// scrubber's callback and notes do).

/** Answers the replacement for one credential; `name` is shown in the marker. */
export type Redact = (name: string, secret: string) => string;

interface Format {
  name: string | ((kept: string, secret: string) => string);
  /** The cheap test: matches wherever the format can match (a superset), no lookaround. */
  hint: string;
  /** Kept as it is before the secret (`Bearer `, `?token=`); no capturing groups. */
  keep: string;
  secret: string;
  /** Lookahead after the secret. */
  after?: string;
  /** The match is a credential; false keeps it as it was. */
  confirm?: (secret: string, kept: string) => boolean;
  /** A query parameter: its name is confirmed by the caller's rules. */
  param?: true;
}

// A random credential has a digit, a lower-to-upper change or a symbol; English words
// ("Bearer authentication", "token: undefined") have none.
const looksRandom = (s: string): boolean => /[0-9]|[a-z][A-Z]|[._~+/=-]/.test(s);
const mixed = (s: string): boolean => /[0-9]/.test(s) && /[a-z]/.test(s) && /[A-Z]/.test(s);
function decodesToUserPassword(s: string): boolean {
  try {
    const text = atob(s);
    return /^[\x20-\x7e]+:[\x20-\x7e]*$/.test(text);
  } catch {
    return false;
  }
}

const NOT_ALNUM = '(?<![A-Za-z0-9])';
const TOKEN_CHARS = '[A-Za-z0-9._~+/-]{8,}=*';

/** Shapes that say "credential" wherever they are, URLs included. */
const KEY_FORMATS: Format[] = [
  {
    name: 'bearer',
    hint: String.raw`[Bb]earer\s|BEARER\s`,
    keep: `${NOT_ALNUM}(?:[Bb]earer|BEARER)\\s+`,
    secret: TOKEN_CHARS,
    confirm: looksRandom,
  },
  {
    name: 'basic',
    hint: String.raw`[Bb]asic\s|BASIC\s`,
    keep: `${NOT_ALNUM}(?:[Bb]asic|BASIC)\\s+`,
    secret: '[A-Za-z0-9+/]{6,}={0,2}',
    after: '(?![A-Za-z0-9+/=])',
    confirm: decodesToUserPassword,
  },
  {
    name: 'aws_access_key_id',
    hint: 'A[KS]IA',
    keep: NOT_ALNUM,
    secret: '(?:AKIA|ASIA)[A-Z0-9]{16}',
    after: '(?![A-Za-z0-9])',
  },
  {
    name: 'github_token',
    hint: 'gh[pousr]_|github_pat_',
    keep: '(?<![A-Za-z0-9_])',
    secret: 'gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}',
  },
  { name: 'gitlab_token', hint: 'glpat-', keep: '(?<![A-Za-z0-9_-])', secret: 'glpat-[A-Za-z0-9_-]{20,}' },
  {
    name: 'stripe_key',
    hint: '[sr]k_(?:live|test)_|whsec_',
    keep: NOT_ALNUM,
    secret: '(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,}',
  },
  {
    name: (_kept, secret) => (secret.startsWith('sk-ant-') ? 'anthropic_key' : 'openai_key'),
    hint: 'sk-',
    keep: '(?<![A-Za-z0-9_-])',
    secret: 'sk-[A-Za-z0-9_-]{20,}',
    confirm: mixed, // `sk-learn-...` is a package name
  },
  {
    name: 'jwt',
    hint: 'eyJ',
    keep: '(?<![A-Za-z0-9_-])',
    secret: 'eyJ[A-Za-z0-9_-]{5,}\\.eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]*',
  },
  { name: 'slack_token', hint: 'xox[abposr]-', keep: NOT_ALNUM, secret: 'xox[abposr]-[A-Za-z0-9-]{10,}' },
  { name: 'google_api_key', hint: 'AIza', keep: '(?<![A-Za-z0-9_-])', secret: 'AIza[0-9A-Za-z_-]{35}' },
  { name: 'npm_token', hint: 'npm_', keep: '(?<![A-Za-z0-9_])', secret: 'npm_[A-Za-z0-9]{36}' },
  {
    // `refresh_token: abc…`, `"accessToken":"abc…"`: the word, then the value.
    name: 'token',
    hint: String.raw`[Tt]oken["']?\s*[:=]|TOKEN["']?\s*[:=]`,
    keep: `(?:(?<![A-Za-z0-9])t|(?<![A-Z])T)oken["']?\\s*[:=]\\s*["']?|(?<![A-Z])TOKEN["']?\\s*[:=]\\s*["']?`,
    secret: TOKEN_CHARS,
    confirm: looksRandom,
  },
];

/** Text only: a URL inside a message, not a URL value (url-secrets.ts and the scrubber parse those). */
const URL_FORMATS: Format[] = [
  // Up to the last '@' before the path: an unencoded '@' in the password must not leave its tail.
  {
    name: 'password',
    hint: String.raw`:\/\/[^\s/?#]*@`,
    keep: String.raw`:\/\/[^\s/?#@:'"<>]*:`,
    secret: String.raw`[^\s/?#'"<>]+`,
    after: '(?=@)',
  },
  // The name is confirmed by the scrubber's own rules (its patterns and secret parameter names).
  {
    name: '',
    hint: String.raw`[?&;][\w.\-\[\]%]{1,64}=`,
    keep: String.raw`[?&;][\w.\-\[\]%]{1,64}=`,
    secret: String.raw`[^&#\s'"<>]+`,
    param: true,
  },
];

// The secret key of an AWS key id written next to it (a credentials file, an env dump).
const AWS_SECRET = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

export class CredentialScanner {
  readonly #formats: Format[];
  readonly #test: RegExp;
  readonly #replace: RegExp;

  /** `text`: also URLs written inside text (userinfo, query parameters). */
  constructor(text: boolean) {
    this.#formats = text ? [...KEY_FORMATS, ...URL_FORMATS] : KEY_FORMATS;
    this.#test = new RegExp(this.#formats.map((f) => f.hint).join('|'));
    this.#replace = new RegExp(this.#formats.map((f) => `(${f.keep})(${f.secret})${f.after ?? ''}`).join('|'), 'g');
  }

  /** The one cheap test: false means nothing here can be a credential. */
  mayHold(s: string): boolean {
    return this.#test.test(s);
  }

  /**
   * `s` with each confirmed credential replaced by `redact`'s answer; `secretParam` says
   * whether a query parameter name is secret. The same string when nothing was replaced.
   */
  replace(s: string, redact: Redact, secretParam: (name: string) => string | null): string {
    let aws = false;
    const n = this.#formats.length;
    const out = s.replace(this.#replace, (match: string, ...groups: unknown[]) => {
      // Two groups per format, kept and secret: the first secret group set says which matched.
      let j = 0;
      while (j < n && groups[2 * j + 1] === undefined) j++;
      if (j === n) return match;
      const kept = groups[2 * j] as string;
      const secret = groups[2 * j + 1] as string;
      const f = this.#formats[j]!;
      if (f.confirm !== undefined && !f.confirm(secret, kept)) return match;
      let name = typeof f.name === 'string' ? f.name : f.name(kept, secret);
      if (f.param === true) {
        const param = secretParam(kept.slice(1, -1));
        if (param === null || secret === 'REDACTED') return match; // REDACTED: done by the instrumentation
        name = param;
      }
      if (name === 'aws_access_key_id') aws = true;
      return kept + redact(name, secret);
    });
    if (!aws) return out;
    // Base64 of random bytes: both cases and a digit or symbol; a hex digest has no capitals.
    return out.replace(AWS_SECRET, (m) =>
      /[a-z]/.test(m) && /[A-Z]/.test(m) && /[0-9/+]/.test(m) ? redact('aws_secret_access_key', m) : m,
    );
  }
}

/**
 * The scanners the scrubber uses, made at the first scrub, not at load (two large regular
 * expressions a process exporting nothing never needs): in text, URLs written inside it
 * included; and in a URL value, whose userinfo and query the URL code parses itself.
 */
let scanners: { text: CredentialScanner; url: CredentialScanner } | undefined;
export const credentialScanners = (): { text: CredentialScanner; url: CredentialScanner } =>
  (scanners ??= { text: new CredentialScanner(true), url: new CredentialScanner(false) });
