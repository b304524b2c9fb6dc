// The wrapping templates of the auto-trace runtime protocol, placed as insertions into the
// original text (splice.ts). A synchronous body becomes
//   { <directives> var T = Rt().enter(name, path, line, column);
//     try { <body> } catch (E) { Rt().fail(T, E); throw E; } finally { Rt().exit(T); } }
// and an async one
//   { <directives> var T = Rt().enterAsync(name, path, line, column);
//     try { return await Rt().run(T, { "<name>": async () => { <body> } }["<name>"]); }
//     catch (E) { Rt().fail(T, E); throw E; } finally { Rt().exitAsync(T); } }
//
// The body runs in an arrow because run() must make the call's frame the active context
// for everything the body awaits (an AsyncLocalStorage.run around the body). The timing, the
// error and the end stay in the function itself rather than in a runtime helper that chains
// `.then()` onto the body's promise: that helper cost two closures and a derived promise per
// call (~80 ns, benchmarks/autotrace.mjs). `return await` keeps V8's async stack trace going
// from the body to the callers (a returned promise ends it), and the arrow gets the
// function's qualified name (an object key names it), so an error thrown in the body shows
// `at UserService.getUser (file:line:col)` followed by `at async UserService.getUser` and its
// callers, where it would show `at <anonymous>` alone.
//
// Unlike the first draft of the protocol, function declarations of a synchronous body stay
// where they are, inside the try block. Hoisting them out of it would take them out of the
// scope of the body's `let`, `const` and `class` declarations, which they may close over
// (`let n = 0; inc(); function inc() { n++; }` would throw a ReferenceError). Inside the
// block they are still hoisted to its start, before any of the body runs. The few bodies
// where a block would change what the declarations mean are left unwrapped (analyze.ts).
// Every inserted piece is on the line where it is inserted, so lines do not move.
import type * as t from '@babel/types';
import type { Splice } from './splice.ts';
import type { FunctionNode } from './names.ts';

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
export const PROTOCOL = 2;

/**
 * Identifiers the user's code does not use. A textual check, which also counts strings and
 * comments: conservative, and no scope analysis needed. Every wrapper of the file uses the
 * same ones: an inner function's `var T` shadows the outer one's only inside itself.
 */
export function chooseIdents(source: string): Idents {
  for (let n = 0; ; n++) {
    const suffix = n === 0 ? '' : `_${n}`;
    const ids = { T: `__budT${suffix}`, E: `__budE${suffix}`, R: `__budR${suffix}`, Rt: `__budRt${suffix}` };
    if (!source.includes('__bud') || !Object.values(ids).some((id) => new RegExp(`(?<![\\w$])${id}(?![\\w$])`).test(source))) return ids;
  }
}

/** Appended at the end of the module: function declarations are hoisted, so it works before any code runs. */
export function footer(ids: Idents): string {
  return `\nvar ${ids.R};\nfunction ${ids.Rt}() { return ${ids.R} || (${ids.R} = globalThis[${KEY}] || { enter() { return 0; }, exit() {}, fail() {}, enterAsync() { return 0; }, run(T, t) { return t(); }, exitAsync() {} }); }\n`;
}

export interface Site {
  name: string;
  path: string;
  line: number;
  column: number;
}

/** A string literal; U+2028/9 escaped, which V8 would count as line breaks and shift lines. */
function str(value: string): string {
  return JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
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
  return extra?.parenthesized === true && typeof extra.parenStart === 'number' ? extra.parenStart : (body.start as number);
}

/**
 * Places the opening text of `fn`; called in pre-order, so that where an outer and an inner
 * function open at the same offset, the outer one's comes first. The inserted text is
 * attributed to the function's start in the source map.
 */
export function openWrap(splice: Splice, fn: FunctionNode, site: Site, ids: Idents, source: string): void {
  const origin = fn.start as number;
  const body = fn.body;
  if (body.type !== 'BlockStatement') {
    // `x => expr` gets a block: `{ ... return expr; ... }`, `return` right before the
    // expression (a line break after `return` would return undefined).
    const open = fn.async ? `{ var ${ids.T} = ${ids.Rt}().enterAsync(${args(site)}); try { return await ${ids.Rt}().run(${ids.T}, { ${str(site.name)}: async () => ` : `{ var ${ids.T} = ${ids.Rt}().enter(${args(site)}); try { return `;
    splice.insert(expressionStart(body), open, origin);
    return;
  }
  const { at, semicolon } = afterDirectives(body, source);
  const open = fn.async ? ` var ${ids.T} = ${ids.Rt}().enterAsync(${args(site)}); try { return await ${ids.Rt}().run(${ids.T}, { ${str(site.name)}: async () => {` : ` var ${ids.T} = ${ids.Rt}().enter(${args(site)}); try {`;
  splice.insert(at, semicolon + open, origin);
}

/** Places the closing text of `fn`; called in post-order, so an inner function's comes first. */
export function closeWrap(splice: Splice, fn: FunctionNode, site: Site, ids: Idents): void {
  const origin = fn.start as number;
  const exit = fn.async ? 'exitAsync' : 'exit';
  const catchFinally = `} catch (${ids.E}) { ${ids.Rt}().fail(${ids.T}, ${ids.E}); throw ${ids.E}; } finally { ${ids.Rt}().${exit}(${ids.T}); }`;
  const key = `[${str(site.name)}]`;
  if (fn.body.type !== 'BlockStatement') {
    splice.insert(fn.end as number, fn.async ? ` }${key}); ${catchFinally} }` : `; ${catchFinally} }`, origin);
    return;
  }
  // Before the closing brace: a line comment before it ends at a line break already.
  splice.insert((fn.body.end as number) - 1, fn.async ? `} }${key}); ${catchFinally} ` : ` ${catchFinally} `, origin);
}
