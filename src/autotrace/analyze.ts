// Finds the functions to wrap, in one walk over the AST. A plain recursive walk rather than
// @babel/traverse: traverse builds a NodePath and crawls scopes for every node, which cost
// 3-8x the parse itself here (benchmarks/autotrace-transform.mjs), and the rewrite needs
// neither: names come from the ancestors, and the one scope question (is `eval` shadowed?)
// is answered conservatively (every `eval(...)` call counts as direct).
import type * as t from '@babel/types';
import { functionName, type Enclosing, type FunctionNode } from './names.ts';

export interface Planned {
  node: FunctionNode;
  name: string;
  /** Wrap it: not a generator, not ignored, no direct eval inside, has a body. */
  wrap: boolean;
}

interface Frame extends Enclosing {
  plan: Planned;
  ignored: boolean;
  hasEval: boolean;
  /** Names declared with `var` anywhere in the body (not in nested functions). */
  vars: Set<string>;
  /** Function declarations directly in the body, and those in blocks within it. */
  topFunctions: string[];
  blockFunctions: Set<string>;
}

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ObjectMethod', 'ClassMethod', 'ClassPrivateMethod']);

// Keys that never lead to code: positions, comments, and TypeScript types.
const SKIP_KEYS = new Set(['type', 'start', 'end', 'loc', 'range', 'extra', 'leadingComments', 'trailingComments', 'innerComments', 'typeAnnotation', 'returnType', 'typeParameters', 'typeArguments', 'superTypeParameters', 'superTypeArguments', 'implements', 'predicate']);

const IGNORE = 'budobserve-ignore';

function hasIgnoreComment(node: t.Node): boolean {
  const comments = node.leadingComments;
  if (comments === undefined || comments === null) return false;
  for (const c of comments) if (c.value.includes(IGNORE)) return true;
  return false;
}

export interface Analysis {
  /** In pre-order (outer before inner); `post` holds the same in post-order. */
  pre: Planned[];
  post: Planned[];
}

/**
 * `checkIgnore`: the file mentions budobserve-ignore somewhere (comments were attached);
 * a node with such a leading comment leaves every function in it untouched.
 */
export function analyze(program: t.Program, source: string, checkIgnore: boolean): Analysis {
  const pre: Planned[] = [];
  const post: Planned[] = [];
  const ancestors: t.Node[] = [];
  const frames: Frame[] = [];
  let ignoreDepth = 0; // nodes with an ignore comment on the ancestor stack
  // `with` statements around: a name the wrapper uses (`__budRt`) would be looked up on the
  // object first, and a sandbox proxy that claims every name would break the wrapper.
  let withDepth = 0;

  const visitFunction = (fn: FunctionNode): void => {
    const enclosing = frames[frames.length - 1];
    const { qualified, owner } = functionName(fn, ancestors, enclosing, source);
    const plan: Planned = { node: fn, name: qualified, wrap: false };
    pre.push(plan);
    const frame: Frame = { plan, qualified, owner, ignored: ignoreDepth > 0 || withDepth > 0, hasEval: false, vars: new Set(), topFunctions: [], blockFunctions: new Set() };
    frames.push(frame);
    ancestors.push(fn);
    if (fn.type !== 'ArrowFunctionExpression' && fn.type !== 'FunctionDeclaration' && fn.type !== 'FunctionExpression') {
      // A method: its computed key and decorators run outside it, but may hold functions.
      if (fn.computed) visit(fn.key);
      for (const d of (fn as { decorators?: t.Decorator[] | null }).decorators ?? []) visit(d);
    }
    for (const p of fn.params) visit(p);
    visit(fn.body);
    ancestors.pop();
    frames.pop();
    const parent = frames[frames.length - 1];
    if (frame.hasEval && parent !== undefined) parent.hasEval = true;
    plan.wrap = !frame.ignored && !frame.hasEval && fn.generator !== true && !isAsmJs(fn) && !redeclares(fn, frame);
    post.push(plan);
  };

  const visit = (node: t.Node): void => {
    const frame = frames[frames.length - 1];
    if (node.type === 'VariableDeclaration' && node.kind === 'var' && frame !== undefined) {
      for (const d of node.declarations) boundNames(d.id, frame.vars);
    }
    if (node.type === 'FunctionDeclaration' && node.id && frame !== undefined) {
      let i = ancestors.length - 1;
      while (ancestors[i]?.type === 'LabeledStatement') i--;
      if (ancestors[i] === frame.plan.node.body) frame.topFunctions.push(node.id.name);
      else frame.blockFunctions.add(node.id.name);
    }
    if (FUNCTION_TYPES.has(node.type)) {
      // TS overloads and abstract methods are other node types; a body is always there.
      const ignore = checkIgnore && hasIgnoreComment(node);
      if (ignore) ignoreDepth++;
      visitFunction(node as FunctionNode);
      if (ignore) ignoreDepth--;
      return;
    }
    if (node.type === 'CallExpression' && node.callee.type === 'Identifier' && node.callee.name === 'eval' && frame !== undefined) frame.hasEval = true;
    const ignore = checkIgnore && hasIgnoreComment(node);
    if (ignore) ignoreDepth++;
    const isWith = node.type === 'WithStatement';
    if (isWith) visit(node.object);
    if (isWith) withDepth++;
    ancestors.push(node);
    const record = node as unknown as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (SKIP_KEYS.has(key) || (isWith && key === 'object')) continue;
      const value = record[key];
      if (value === null || typeof value !== 'object') continue;
      if (Array.isArray(value)) {
        for (const child of value) if (child !== null && typeof (child as t.Node).type === 'string') visit(child as t.Node);
      } else if (typeof (value as t.Node).type === 'string') {
        visit(value as t.Node);
      }
    }
    ancestors.pop();
    if (isWith) withDepth--;
    if (ignore) ignoreDepth--;
  };

  visit(program);
  return { pre, post };
}

/** The names a parameter or `var` binding pattern declares. */
function boundNames(node: t.Node | null | undefined, into: Set<string>): void {
  if (node === null || node === undefined) return;
  switch (node.type) {
    case 'Identifier': into.add(node.name); break;
    case 'AssignmentPattern': boundNames(node.left, into); break;
    case 'RestElement': boundNames(node.argument, into); break;
    case 'ArrayPattern': for (const e of node.elements) boundNames(e, into); break;
    case 'ObjectPattern': for (const p of node.properties) boundNames(p.type === 'RestElement' ? p.argument : (p.value as t.Node), into); break;
    case 'TSParameterProperty': boundNames(node.parameter, into); break;
    default: break;
  }
}

/**
 * Whether wrapping would change what a declaration of the body binds, so the function is
 * left as it is:
 * - a synchronous body's function declarations end up in the try block, where a `var` or
 *   another function of the same name is an early error, a function named like a parameter
 *   or `arguments` no longer writes through to it, and a same-named function in a nested
 *   block stops being hoisted to the function (sloppy Annex B);
 * - an async body moves into an arrow, where a `var` or function redeclaring a parameter
 *   (`var opts = opts || {}`) or `arguments` would be a new, undefined binding.
 */
function redeclares(fn: FunctionNode, frame: Frame): boolean {
  if (fn.body.type !== 'BlockStatement') return false;
  if (frame.topFunctions.length === 0 && (!fn.async || frame.vars.size === 0)) return false;
  const params = new Set<string>(['arguments']);
  for (const p of fn.params) boundNames(p, params);
  if (fn.async) {
    for (const name of [...frame.vars, ...frame.topFunctions, ...frame.blockFunctions]) if (params.has(name)) return true;
    return false;
  }
  const seen = new Set<string>();
  for (const name of frame.topFunctions) {
    if (seen.has(name) || frame.vars.has(name) || frame.blockFunctions.has(name) || params.has(name)) return true;
    seen.add(name);
  }
  return false;
}

/** asm.js is validated as written; a wrapped body would only make it fall back (slowly). */
function isAsmJs(fn: FunctionNode): boolean {
  return fn.body.type === 'BlockStatement' && fn.body.directives.some((d) => d.value.value === 'use asm');
}
