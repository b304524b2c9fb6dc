// The JSON and YAML config file loaders: cosmiconfig's, except that a parse error keeps the
// parser's reason and the line and column (cosmiconfig puts them on a second line of the
// message, after the file name, and js-yaml adds a code frame that quotes the file).
// Owns parsing data files; must not evaluate code.
import { ConfigLoadError, lineColumn } from './load-error.ts';
import { errorText } from '../errors.ts';

export function loadJson(filepath: string, content: string): unknown {
  try {
    return JSON.parse(content) as unknown;
  } catch (error) {
    const message = errorText(error);
    const at = /at position (\d+)/.exec(message);
    const offset = at === null ? jsonErrorOffset(content) : Number(at[1]);
    // V8 quotes the text around the error ("Unexpected token 'x', "{"token": ..." is not valid JSON").
    const reason = message.replace(/, .* is not valid JSON$/s, '').replace(/ (in JSON )?at position \d+.*$/s, '');
    throw new ConfigLoadError(
      `invalid JSON: ${reason}`,
      offset < 0 ? undefined : { file: filepath, ...lineColumn(content, offset) },
      error,
    );
  }
}

/** @param yamlLoader cosmiconfig's own (it brings js-yaml), so YAML parses as before. */
export function yamlLoader(yamlLoader: (filepath: string, content: string) => unknown) {
  return (filepath: string, content: string): unknown => {
    try {
      return yamlLoader(filepath, content);
    } catch (error) {
      const e = error as { reason?: unknown; mark?: { line?: unknown; column?: unknown } };
      if (typeof e.reason !== 'string') throw error;
      const line = typeof e.mark?.line === 'number' ? e.mark.line + 1 : undefined;
      const column = typeof e.mark?.column === 'number' ? e.mark.column + 1 : undefined;
      throw new ConfigLoadError(
        `invalid YAML: ${e.reason}`,
        line === undefined ? undefined : { file: filepath, line, column },
        error,
      );
    }
  };
}

/**
 * Offset of the first character that makes `text` invalid JSON, or -1: for V8 messages that
 * name the token but not its position. A strict RFC 8259 reader; only runs after a failure.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    // Control flow, not a failure: a plain object, because an Error would capture a stack for nothing.
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    throw new JsonStop(i);
  };
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const expect = (ch: string): void => {
    ws();
    if (text[i] !== ch) fail();
    i++;
  };
  const string = (): void => {
    i++;
    for (;;) {
      if (i >= text.length) fail();
      const ch = text.charCodeAt(i);
      if (ch === 0x22) break;
      if (ch < 0x20) fail();
      if (ch === 0x5c) {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '"') return string();
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') fail();
          string();
          expect(':');
        }
        value();
        ws();
        if (text[i] === ',') i++;
        else return expect(close);
      }
    }
    const literal = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
    literal.lastIndex = i;
    if (literal.exec(text) === null) fail();
    i = literal.lastIndex;
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (stop) {
    return stop instanceof JsonStop ? stop.offset : -1; // a RangeError: nested too deep to say
  }
}

class JsonStop {
  constructor(readonly offset: number) {}
}
