// What a config file that failed to load is reported as: one bounded line saying where
// (file:line:column, when known) and why, in Node's or the parser's own words, without the
// file's content. Parsers quote the source (V8's JSON snippet, js-yaml's code frame, the
// TypeScript stripper's tokens, V8's unexpected identifiers), and a config file holds
// tokens, so quoted source is cut out.
// Owns the wording, the locations and the scrubbing of load errors; loads nothing itself.
import { realpathSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SourceLocation {
  /** Absolute path of the file the error is in: the config file or a file it imports. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based; unknown for some runtime errors. */
  column?: number | undefined;
}

/** A config file that exists but could not be loaded. */
export interface LoadFailure {
  filepath: string;
  /** One line, bounded, with no value from the file. */
  reason: string;
  location?: SourceLocation | undefined;
  /** What was thrown, for debugging; never printed whole (it may quote the file). */
  error: unknown;
}

/** Thrown by the agent's own loaders when they already know the reason and the place. */
export class ConfigLoadError extends Error {
  readonly reason: string;
  readonly location: SourceLocation | undefined;

  constructor(reason: string, location?: SourceLocation, cause?: unknown) {
    super(reason, cause === undefined ? undefined : { cause });
    this.name = 'ConfigLoadError';
    this.reason = reason;
    this.location = location;
  }
}

const REASON_MAX = 160;
const PATH_MAX = 80;

/** Collapses to one line and cuts at `max` characters. */
export function oneLine(text: string, max = REASON_MAX): string {
  const flat = text.replace(/\s*\n\s*/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const shortPath = (p: string): string => (p.length > PATH_MAX ? `…${p.slice(-(PATH_MAX - 1))}` : p);

/** `file:line:column` (or just the path) and the reason: the text of the warning and of doctor. */
export function loadFailureText(f: LoadFailure, show: (path: string) => string = shortPath): string {
  const loc = f.location;
  const at =
    loc === undefined ? '' : `${show(loc.file)}:${loc.line}${loc.column === undefined ? '' : `:${loc.column}`}`;
  if (at === '') return `${show(f.filepath)}: ${f.reason}`;
  return loc!.file === f.filepath ? `${at}: ${f.reason}` : `${show(f.filepath)} (at ${at}): ${f.reason}`;
}

export function failureOf(error: unknown, filepath: string): LoadFailure {
  if (error instanceof ConfigLoadError)
    return { filepath, reason: oneLine(error.reason), location: samePath(error.location, filepath), error };
  // A parse error's code frame; where code threw, load-code.ts has said already.
  return {
    filepath,
    reason: reasonOf(error),
    location: error instanceof Error ? locationFromCodeFrame(error.stack) : undefined,
    error,
  };
}

/** Locations name real paths; the file found through a symlinked folder keeps its name. */
function samePath(location: SourceLocation | undefined, filepath: string): SourceLocation | undefined {
  if (location === undefined || location.file === filepath) return location;
  try {
    return realpathSync(filepath) === location.file ? { ...location, file: filepath } : location;
  } catch {
    return location;
  }
}

/** `error`, reported at `location` (which its own stack does not give). */
export function withLocation(error: unknown, location: SourceLocation): ConfigLoadError {
  return new ConfigLoadError(reasonOf(error), location, error);
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return oneLine(`threw ${typeof error === 'string' ? error : String(error)}`);
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_REQUIRE_ASYNC_MODULE')
    return 'top-level await is not supported in a config file (the agent loads it synchronously, before the app)';
  const first = error.message.split('\n')[0] ?? '';
  if (error.name === 'SyntaxError') return oneLine(`SyntaxError: ${scrubSyntaxMessage(first)}`);
  if (error.name === 'ReferenceError') return oneLine(`ReferenceError: ${scrubReferenceMessage(first)}`);
  return oneLine(error.name === 'Error' || first.startsWith(error.name) ? first : `${error.name}: ${first}`);
}

// Tokens a message may quote without saying anything about the file's values.
const KEYWORDS = new Set(
  (
    'await break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof let new null of return static super switch this throw true try typeof var void while with yield as async from get set ' +
    'type interface namespace declare abstract implements private protected public readonly satisfies keyof infer is unique ' +
    'import.meta ident identifier string literal numeric num number bigint template regexp jsx text tag start'
  ).split(' '),
);
const NAMES = new Set([
  'require',
  'module',
  'exports',
  '__dirname',
  '__filename',
  'defineConfig',
  'process',
  'import.meta',
]);

const keep = (token: string): boolean =>
  token.split(' ').every((w) => KEYWORDS.has(w)) || /^[^\p{L}\p{N}_$]{1,3}$/u.test(token);

/**
 * V8 and the TypeScript stripper name the token they stopped at: a keyword or punctuation
 * says what is wrong; an identifier or a string may be the value of a token written without
 * quotes, so it is replaced by an ellipsis (the location says where to look).
 */
export function scrubSyntaxMessage(message: string): string {
  return (
    message
      // The stripper describes a string as 'string literal (abc, 'abc')'.
      .replace(/'((?:string literal|num|bigint|template|regexp|ident|jsx [a-z]+)) \(.*\)'/g, "'$1'")
      .replace(/(Invalid regular expression: )\/.*\/[a-z]*:/, '$1/…/:')
      .replace(/(['"`])([^'"`]*)\1/g, (m, q: string, token: string) => (keep(token) ? m : `${q}…${q}`))
  );
}

/** `sk_live_123 is not defined`: a token written without quotes reads as a name. */
function scrubReferenceMessage(message: string): string {
  const m = /^(\S+)( is not defined.*)$/.exec(message);
  if (m === null) return message;
  return NAMES.has(m[1]!) ? message : `a name${m[2]!}`;
}

const toPath = (fileOrUrl: string): string => (fileOrUrl.startsWith('file://') ? fileURLToPath(fileOrUrl) : fileOrUrl);

/**
 * Where a parse error is, from the code frame Node puts at the head of some stacks:
 * `<file>:<line>`, source lines, and a line of `^` under the column.
 */
export function locationFromCodeFrame(stack: string | undefined): SourceLocation | undefined {
  if (stack === undefined) return undefined;
  const lines = stack.split('\n');
  const head = /^((?:file:\/\/)?\/.*|[A-Za-z]:\\.*):(\d+)$/.exec(lines[0] ?? '');
  if (head === null) return undefined;
  const caret = lines.slice(1, 8).find((l) => /^[\t ]*\^+[\t ]*$/.test(l));
  return {
    file: toPath(head[1]!),
    line: Number(head[2]),
    column: caret === undefined ? undefined : caret.indexOf('^') + 1,
  };
}

/**
 * Where evaluating a config file threw: the first stack frame in the config file, else the
 * first frame in a file that is neither Node's nor the agent's (a file the config imports).
 */
export function locationFromFrames(stack: string | undefined, filepath: string): SourceLocation | undefined {
  if (stack === undefined) return undefined;
  const frames: SourceLocation[] = [];
  for (const line of stack.split('\n')) {
    const m = /^\s+at (?:.*\()?((?:file:\/\/)?\/[^()]*?|[A-Za-z]:\\[^()]*?):(\d+):(\d+)\)?$/.exec(line);
    if (m !== null) frames.push({ file: toPath(m[1]!), line: Number(m[2]), column: Number(m[3]) });
  }
  return frames.find((f) => f.file === filepath) ?? frames.find((f) => !f.file.startsWith(agentDir()));
}

/** The agent's package folder (this file is bundled into dist/): its frames are the loader's. */
/** The agent's install folder, asked only when a config file failed (not at every start). */
const agentDir = (): string => `${dirname(dirname(fileURLToPath(import.meta.url)))}${sep}`;

/** 1-based line and column of a 0-based offset into `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const nl = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: before.length - nl };
}
