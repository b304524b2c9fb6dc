// Whether a TypeScript config file is written as an ES module: an `import` or `export`
// statement (or import.meta) outside comments, strings, template literals and regular
// expressions. A scan, not a parse: deciding by parsing would mean stripping the types first,
// and Node's stripper costs ~40 ms on every start (Node's own loading of the file strips it
// from the compile cache). JavaScript files are decided by V8 instead (load-code.ts).
// TypeScript-only forms that stripping erases (`import type`, `export type`, `export
// interface`, `export declare`) do not count, as they would not after stripping.
// Owns the scan; must not read files.

const WORD = /[\p{ID_Continue}$\u200c\u200d]/u;
/** After these, a `/` starts a regular expression, not a division. */
const BEFORE_REGEX = new Set([
  '',
  '(',
  ',',
  '=',
  ':',
  '[',
  '!',
  '&',
  '|',
  '?',
  '{',
  '}',
  ';',
  '+',
  '-',
  '*',
  '%',
  '<',
  '>',
  '~',
  '^',
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);
const ERASED_AFTER_EXPORT = new Set(['type', 'interface', 'declare']);

export function hasModuleSyntax(src: string): boolean {
  const s = new Scanner(src);
  let prev = '';
  for (let tok = s.next(); tok !== undefined; tok = s.next(prev)) {
    if ((tok === 'import' || tok === 'export') && prev !== '.' && isStatement(tok, s)) return true;
    prev = tok;
  }
  return false;
}

/** `import`/`export` as a statement (or import.meta), judged by the tokens after it. */
function isStatement(keyword: string, s: Scanner): boolean {
  const look = s.fork();
  const after = look.next(keyword);
  // A key ({ import: x }), a method (export() {}), TypeScript's `export =`; import('x'),
  // which CommonJS may use too.
  if (after === ':' || after === '=' || after === '(' || after === undefined) return false;
  if (keyword === 'import') {
    if (after === '.') return true; // import.meta
    // `import type X from` is erased; `import type from './t'` imports a default named type.
    return after !== 'type' || look.next(after) === 'from';
  }
  return !ERASED_AFTER_EXPORT.has(after);
}

class Scanner {
  #src: string;
  #i: number;
  /** Brace depth of each template literal whose `${` is open. */
  #templates: number[];
  #depth: number;

  constructor(
    src: string,
    i = src.startsWith('#!') ? src.indexOf('\n') + 1 || src.length : 0,
    templates: number[] = [],
    depth = 0,
  ) {
    this.#src = src;
    this.#i = i;
    this.#templates = templates;
    this.#depth = depth;
  }

  fork(): Scanner {
    return new Scanner(this.#src, this.#i, [...this.#templates], this.#depth);
  }

  /** The next token: a word, a punctuation character, or 'str' / 're' for literals. */
  next(prev = ''): string | undefined {
    const src = this.#src;
    while (this.#i < src.length) {
      const c = src[this.#i]!;
      const d = src[this.#i + 1];
      if (c === '/' && d === '/') this.#skipTo('\n', 2);
      else if (c === '/' && d === '*') this.#skipTo('*/', 2);
      else if (/\s/.test(c)) this.#i++;
      else if (c === '"' || c === "'") return this.#string(c);
      else if (c === '`') return this.#template(this.#i + 1);
      else if (c === '/' && BEFORE_REGEX.has(prev) && this.#regex()) return 're';
      else if (WORD.test(c)) return this.#word();
      else return this.#punct(c);
    }
    return undefined;
  }

  #skipTo(end: string, from: number): void {
    const at = this.#src.indexOf(end, this.#i + from);
    this.#i = at < 0 ? this.#src.length : at + end.length;
  }

  #word(): string {
    const start = this.#i;
    while (this.#i < this.#src.length && WORD.test(this.#src[this.#i]!)) this.#i++;
    return this.#src.slice(start, this.#i);
  }

  #punct(c: string): string {
    this.#i++;
    if (c === '{') this.#depth++;
    if (c === '}') {
      this.#depth--;
      if (this.#templates.at(-1) === this.#depth) {
        this.#templates.pop();
        return this.#template(this.#i); // back in the template's text
      }
    }
    return c;
  }

  #string(quote: string): string {
    let i = this.#i + 1;
    while (i < this.#src.length && this.#src[i] !== quote && this.#src[i] !== '\n') i += this.#src[i] === '\\' ? 2 : 1;
    this.#i = i + 1;
    return 'str';
  }

  /** Template text from `i` up to its end or its next `${`. */
  #template(i: number): string {
    const src = this.#src;
    while (i < src.length && src[i] !== '`') {
      if (src[i] === '\\') i += 2;
      else if (src[i] === '$' && src[i + 1] === '{') {
        this.#templates.push(this.#depth);
        this.#depth++;
        this.#i = i + 2;
        return 'str';
      } else i++;
    }
    this.#i = i + 1;
    return 'str';
  }

  /** Skips a regular expression literal; false (nothing skipped) if the line ends first. */
  #regex(): boolean {
    const src = this.#src;
    let i = this.#i + 1;
    let inClass = false;
    while (i < src.length && src[i] !== '\n') {
      const c = src[i];
      if (c === '\\') i++;
      else if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '/' && !inClass) {
        this.#i = i + 1;
        while (this.#i < src.length && WORD.test(src[this.#i]!)) this.#i++; // flags
        return true;
      }
      i++;
    }
    return false;
  }
}
