// The wrapping templates of the auto-trace runtime protocol, placed as insertions into the
// original text (splice.ts). A synchronous body becomes
//   { <directives> var T = Rt().enter(name, path, line, column);
//     try { <body> } catch (E) { Rt().fail(T, E); throw E; } finally { Rt().exit(T); } }
// and an async one the same with enterAsync and exitAsync, its body staying where it is:
//   { <directives> var T = Rt().enterAsync(name, path, line, column);
//     try { <body> } catch (E) { Rt().fail(T, E); throw E; } finally { Rt().exitAsync(T); } }
// with, inside the body (not inside its nested functions),
//   await X            ->  Rt().back(T, await Rt().away(T, X))
//   return X           ->  return Rt().ret(T, (X))
//   catch (e) { ...    ->  catch (e) { Rt().back(T); ...      (and each finally block)
//   for await (v of X) S  ->  { for await (v of Rt().loop(T, X)) { Rt().resume(T); S } Rt().back(T); }
//
// Why: an async function's settling is observable (the order of `.then()` callbacks, of
// events emitted after an await), and apps and libraries depend on it. The first version of
// the protocol ran the body in an inner async arrow under AsyncLocalStorage.run and awaited
// it, which settled the call one or two microtasks later than the original. Now nothing is
// added to what the function awaits: enterAsync makes the call's frame the current context
// (enterWith), away() gives the caller its context back just before the first await returns
// to it (after its operand was evaluated in the call's context), back() makes the call's
// context current again when the body resumes there (or enters a catch or finally block
// after a rejected await; resume() at the start of a for-await body), and exitAsync restores the caller's context if the body ended
// without suspending. ret() notes a returned native promise, which the call's timing waits
// for (`return promise` settles with it). Return values, thrown values, `this`, `arguments`
// and `super` are the function's own.
//
// Function declarations of a body stay where they are, inside the try block. Hoisting them
// out of it would take them out of the scope of the body's `let`, `const` and `class`
// declarations, which they may close over (`let n = 0; inc(); function inc() { n++; }`
// would throw a ReferenceError). Inside the block they are still hoisted to its start,
// before any of the body runs. The few bodies where a block would change what the
// declarations mean are left unwrapped (analyze.ts).
// Every inserted piece is on the line where it is inserted, so lines do not move.
import type * as t from '@babel/types';
import { closing, opening, type Splice } from './splice.ts';
import type { FunctionNode } from './names.ts';
import type { AsyncMark } from './analyze.ts';

/** The identifiers the wrappers use, suffixed where the file already uses the plain ones. */
export interface Idents {
  T: string;
  E: string;
  R: string;
  Rt: string;
}

const KEY = "Symbol.for('budobserve.autotrace')";

/** Marks rewritten code: a file containing it is never rewritten again. */
export const MARKER = KEY;

/** Version of the calls the wrappers make: part of the rewrite cache key. */
export const PROTOCOL = 3;

/**
 * Identifiers the user's code does not use. A textual check, which also counts strings and
 * comments: conservative, and no scope analysis needed. Every wrapper of the file uses the
 * same ones: an inner function's `var T` shadows the outer one's only inside itself.
 */
export function chooseIdents(source: string): Idents {
  for (let n = 0; ; n++) {
    const suffix = n === 0 ? '' : `_${n}`;
    const ids = { T: `__budT${suffix}`, E: `__budE${suffix}`, R: `__budR${suffix}`, Rt: `__budRt${suffix}` };
    if (
      !source.includes('__bud') ||
      !Object.values(ids).some((id) => new RegExp(`(?<![\\w$])${id}(?![\\w$])`).test(source))
    )
      return ids;
  }
}

/** Appended at the end of the module: function declarations are hoisted, so it works before any code runs. */
export function footer(ids: Idents): string {
  return `\nvar ${ids.R};\nfunction ${ids.Rt}() { return ${ids.R} || (${ids.R} = globalThis[${KEY}] || { enter() { return 0; }, exit() {}, fail() {}, enterAsync() { return 0; }, away(T, v) { return v; }, loop(T, v) { return v; }, back(T, v) { return v; }, resume() {}, ret(T, v) { return v; }, exitAsync() {} }); }\n`;
}

export interface Site {
  name: string;
  path: string;
  line: number;
  column: number;
}

/** A string literal; U+2028/9 escaped, which V8 would count as line breaks and shift lines. */
function str(value: string): string {
  return JSON.stringify(value)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function args(site: Site): string {
  return `${str(site.name)}, ${str(site.path)}, ${site.line}, ${site.column}`;
}

/**
 * Where the opening goes in a block body: after the directives, with a `;` ending a last
 * directive written without one (`'use strict'` followed by `var` would not parse).
 */
function afterDirectives(body: t.BlockStatement, source: string): { at: number; semicolon: string } {
  const last = body.directives[body.directives.length - 1];
  if (last === undefined) return { at: (body.start as number) + 1, semicolon: '' };
  return { at: last.end as number, semicolon: source[(last.end as number) - 1] === ';' ? '' : ';' };
}

/** Start of an arrow's expression body, with its parentheses: `() => ({})`. */
function expressionStart(body: t.Expression): number {
  const extra = body.extra as { parenthesized?: boolean; parenStart?: number } | undefined;
  return extra?.parenthesized === true && typeof extra.parenStart === 'number'
    ? extra.parenStart
    : (body.start as number);
}

/**
 * Places the opening and closing text of `fn` (at AST depth `depth`); the inserted text is
 * attributed to the function's start in the source map.
 */
export function wrapFunction(
  splice: Splice,
  fn: FunctionNode,
  depth: number,
  site: Site,
  ids: Idents,
  source: string,
): void {
  const origin = fn.start as number;
  const body = fn.body;
  const enter = `var ${ids.T} = ${ids.Rt}().${fn.async ? 'enterAsync' : 'enter'}(${args(site)}); try {`;
  const catchFinally = `} catch (${ids.E}) { ${ids.Rt}().fail(${ids.T}, ${ids.E}); throw ${ids.E}; } finally { ${ids.Rt}().${fn.async ? 'exitAsync' : 'exit'}(${ids.T}); }`;
  if (body.type !== 'BlockStatement') {
    // `x => expr` gets a block: `{ ... return expr; ... }`, `return` right before the
    // expression (a line break after `return` would return undefined).
    splice.insert(
      expressionStart(body),
      fn.async ? `{ ${enter} return ${ids.Rt}().ret(${ids.T}, (` : `{ ${enter} return `,
      origin,
      opening(depth),
    );
    splice.insert(fn.end as number, `${fn.async ? '))' : ''}; ${catchFinally} }`, origin, closing(depth));
    return;
  }
  const { at, semicolon } = afterDirectives(body, source);
  // Before the closing brace: a line comment before it ends at a line break already.
  const close = (body.end as number) - 1;
  if (close === at) {
    // An empty body (`{}`): one insertion, so that nothing can come between its halves.
    splice.insert(at, `${semicolon} ${enter} ${catchFinally} `, origin, opening(depth));
    return;
  }
  splice.insert(at, `${semicolon} ${enter}`, origin, opening(depth));
  splice.insert(close, ` ${catchFinally} `, origin, closing(depth));
}

/** Places what an async body needs around one of its awaits, returns, catch/finally blocks and `for await` loops. */
export function markAsync(splice: Splice, mark: AsyncMark, ids: Idents, source: string): void {
  const { Rt, T } = ids;
  const d = mark.depth;
  const node = mark.node;
  const start = node.start as number;
  const end = node.end as number;
  switch (node.type) {
    case 'AwaitExpression':
      splice.insert(start, `${Rt}().back(${T}, `, start, opening(d));
      // Right after the keyword: `await(x)` and `await x` alike.
      splice.insert(start + 5, ` ${Rt}().away(${T},`, start, opening(d + 0.5));
      splice.insert(end, '))', start, closing(d));
      break;
    case 'ReturnStatement': {
      const arg = node.argument!;
      // Parenthesized: `return a, b` must stay one argument. Minified code writes
      // return`…`, return"…", return[…] with nothing between: a space keeps `return` a keyword.
      const space = /[\w$]/.test(source[(arg.start as number) - 1] ?? '') ? ' ' : '';
      splice.insert(arg.start as number, `${space}${Rt}().ret(${T}, (`, start, opening(d));
      splice.insert(arg.end as number, '))', start, closing(d));
      break;
    }
    case 'BlockStatement':
      splice.insert(start + 1, ` ${Rt}().back(${T});`, start, opening(d));
      break;
    case 'ForOfStatement': {
      const outer = mark.start ?? start;
      splice.insert(outer, '{ ', outer, opening(mark.outerDepth ?? d));
      splice.insert(node.right.start as number, `${Rt}().loop(${T}, `, start, opening(d + 0.5));
      splice.insert(node.right.end as number, ')', start, closing(d + 0.5));
      const body = node.body;
      if (body.type === 'BlockStatement') {
        splice.insert((body.start as number) + 1, ` ${Rt}().resume(${T});`, start, opening(d + 0.5));
      } else {
        splice.insert(body.start as number, `{ ${Rt}().resume(${T}); `, start, opening(d + 0.5));
        splice.insert(body.end as number, ' }', start, closing(d + 0.5));
      }
      splice.insert(end, ` ${Rt}().back(${T}); }`, outer, closing(mark.outerDepth ?? d));
      break;
    }
    default:
      break;
  }
}
