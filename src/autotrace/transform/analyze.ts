// Finds the functions to wrap, in one walk over the AST. A plain recursive walk rather than
// @babel/traverse: traverse builds a NodePath and crawls scopes for every node, which cost
// 3-8x the parse itself here (benchmarks/autotrace-transform.mjs), and the rewrite needs
// neither: names come from the ancestors, and the one scope question (is `eval` shadowed?)
// is answered conservatively (every `eval(...)` call counts as direct).
// In a bundle (bundle.ts), each function also has an origin, the original source it comes
// from: a function is named inside the nearest enclosing one of the same origin, as in that
// source alone (not inside a bundler's module wrapper, nor inside another module).
import type * as t from '@babel/types';
import { functionName, type Enclosing, type FunctionNode, type Ident } from './names.ts';
import { CHILD_KEYS, FUNCTION_TYPES, LEAVES, SKIP_KEYS } from './ast-shapes.ts';

export interface Planned {
  node: FunctionNode;
  name: string;
  /** Its AST depth: how insertions at one offset nest (splice.ts). */
  depth: number;
  /** Wrap it: not a generator, not ignored, no direct eval inside, nothing a wrapper would rebind. */
  wrap: boolean;
  /** An async function's awaits, returns, catch and finally blocks and `for await` loops (wrap.ts). */
  marks: AsyncMark[];
  /** In a bundle: the index of its original source in the bundle's map, -1 for the bundler's own code. */
  origin: number;
}

/** Where a bundle's functions come from, and what their names were there (bundle.ts). */
export interface Scoping {
  origin(fn: FunctionNode, ancestors: readonly t.Node[]): number;
  ident: Ident;
}

/** A place in an async body where the context switches (wrap.ts, markAsync). */
export interface AsyncMark {
  node: t.AwaitExpression | t.ReturnStatement | t.BlockStatement | t.ForOfStatement;
  depth: number;
  /** A `for await` loop: where its outermost label starts, and that label's depth. */
  start?: number;
  outerDepth?: number;
}

interface Frame extends Enclosing {
  plan: Planned;
  origin: number;
  ignored: boolean;
  hasEval: boolean;
  /** Names declared with `var` anywhere in the body (not in nested functions). */
  vars: Set<string>;
  /** Function declarations directly in the body, and those in blocks within it. */
  topFunctions: string[];
  blockFunctions: Set<string>;
}

const IGNORE = 'budobserve-ignore';

// Methods that send a function's source elsewhere to run (Puppeteer, Playwright, WebDriver:
// `page.evaluate(() => document.title)` runs in the browser), where the wrapper's runtime
// does not exist: a function literal passed to them is left as it is.
const SERIALIZING = new Set([
  'evaluate',
  'evaluateHandle',
  '$eval',
  '$$eval',
  'waitForFunction',
  'evaluateOnNewDocument',
  'addInitScript',
  'executeScript',
  'executeAsyncScript',
]);

function serializes(call: t.CallExpression | t.OptionalCallExpression): boolean {
  const callee = call.callee;
  return (
    (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') &&
    !callee.computed &&
    callee.property.type === 'Identifier' &&
    SERIALIZING.has(callee.property.name)
  );
}

function hasIgnoreComment(node: t.Node): boolean {
  const comments = node.leadingComments;
  if (comments === undefined || comments === null) return false;
  for (const c of comments) if (c.value.includes(IGNORE)) return true;
  return false;
}

export interface Analysis {
  /** In pre-order (outer before inner). */
  pre: Planned[];
}

/**
 * `checkIgnore`: the file mentions budobserve-ignore somewhere (comments were attached);
 * a node with such a leading comment leaves every function in it untouched.
 */
export function analyze(program: t.Program, source: string, checkIgnore: boolean, scoping?: Scoping): Analysis {
  const walk = new Walk(source, checkIgnore, scoping);
  walk.visit(program);
  return { pre: walk.pre };
}

/** The one walk over a module: where it is, and what it found so far. */
class Walk {
  /** The functions found, in pre-order. */
  readonly pre: Planned[] = [];
  readonly #source: string;
  readonly #checkIgnore: boolean;
  readonly #scoping: Scoping | undefined;
  readonly #ancestors: t.Node[] = [];
  readonly #frames: Frame[] = [];
  #ignoreDepth = 0; // nodes with an ignore comment on the ancestor stack
  // `with` statements around: a name the wrapper uses (`__budRt`) would be looked up on the
  // object first, and a sandbox proxy that claims every name would break the wrapper.
  #withDepth = 0;
  // Whose awaits, returns and catch blocks the nodes being walked are: the innermost async
  // function's, or nobody's (a synchronous function, a class static block).
  readonly #owners: (Planned | undefined)[] = [];
  // Async functions with a mark inside a `with` block (the names the marks use would be
  // looked up on the object first) or an await no mark can wrap: they stay unwrapped.
  readonly #unmarkable = new Set<Planned>();

  constructor(source: string, checkIgnore: boolean, scoping: Scoping | undefined) {
    this.#source = source;
    this.#checkIgnore = checkIgnore;
    this.#scoping = scoping;
  }

  /** The function a new one is named inside: the innermost, or in a bundle the innermost of its origin. */
  #enclosing(origin: number): Frame | undefined {
    const frames = this.#frames;
    if (this.#scoping === undefined) return frames[frames.length - 1];
    for (let i = frames.length - 1; i >= 0; i--) if ((frames[i] as Frame).origin === origin) return frames[i];
    return undefined;
  }

  visit(node: t.Node): void {
    const type = node.type;
    const frame = this.#frames[this.#frames.length - 1];
    if (FUNCTION_TYPES.has(type)) {
      this.#function(node as FunctionNode, frame);
      return;
    }
    if (frame !== undefined) this.#inBody(node, frame);
    this.#children(node);
  }

  /** A function met in the walk: noted in its enclosing function's body, then walked. */
  #function(fn: FunctionNode, frame: Frame | undefined): void {
    if (fn.type === 'FunctionDeclaration' && fn.id && frame !== undefined) {
      // Directly in the enclosing function's body (labels aside), or in a block of it.
      const ancestors = this.#ancestors;
      let i = ancestors.length - 1;
      while (ancestors[i]?.type === 'LabeledStatement') i--;
      if (ancestors[i] === frame.plan.node.body) frame.topFunctions.push(fn.id.name);
      else frame.blockFunctions.add(fn.id.name);
    }
    const ignore = this.#checkIgnore && hasIgnoreComment(fn);
    if (ignore) this.#ignoreDepth++;
    this.#functionBody(fn);
    if (ignore) this.#ignoreDepth--;
  }

  /** Plans the function, walks what belongs to it, then decides whether it can be wrapped. */
  #functionBody(fn: FunctionNode): void {
    const frames = this.#frames;
    const ancestors = this.#ancestors;
    const scoping = this.#scoping;
    const origin = scoping === undefined ? 0 : scoping.origin(fn, ancestors);
    const { qualified, owner } = functionName(fn, ancestors, this.#enclosing(origin), this.#source, scoping?.ident);
    const plan: Planned = { node: fn, name: qualified, depth: ancestors.length, wrap: false, marks: [], origin };
    this.pre.push(plan);
    const frame: Frame = {
      plan,
      origin,
      qualified,
      owner,
      ignored: this.#ignoreDepth > 0 || this.#withDepth > 0,
      hasEval: false,
      vars: new Set(),
      topFunctions: [],
      blockFunctions: new Set(),
    };
    frames.push(frame);
    ancestors.push(fn);
    if (
      fn.type !== 'ArrowFunctionExpression' &&
      fn.type !== 'FunctionDeclaration' &&
      fn.type !== 'FunctionExpression'
    ) {
      // A method: its computed key and decorators run outside it, but may hold functions
      // (and awaits of the enclosing function).
      if (fn.computed) this.visit(fn.key);
      for (const d of (fn as { decorators?: t.Decorator[] | null }).decorators ?? []) this.visit(d);
    }
    this.#owners.push(fn.async && fn.generator !== true ? plan : undefined);
    for (const p of fn.params) this.visit(p);
    this.visit(fn.body);
    this.#owners.pop();
    ancestors.pop();
    frames.pop();
    const parent = frames[frames.length - 1];
    if (frame.hasEval && parent !== undefined) parent.hasEval = true;
    plan.wrap =
      !frame.ignored &&
      !frame.hasEval &&
      fn.generator !== true &&
      !isAsmJs(fn) &&
      !redeclares(fn, frame) &&
      !this.#unmarkable.has(plan);
  }

  /** What a node inside a function's body tells about it: its vars, evals and async marks. */
  #inBody(node: t.Node, frame: Frame): void {
    const type = node.type;
    if (type === 'VariableDeclaration' && node.kind === 'var')
      for (const d of node.declarations) boundNames(d.id, frame.vars);
    // `await using` awaits where the block ends, with no await expression to mark.
    else if (type === 'VariableDeclaration' && (node.kind as string) === 'await using') {
      const o = this.#owners[this.#owners.length - 1];
      if (o !== undefined) this.#unmarkable.add(o);
    } else if (type === 'CallExpression' && node.callee.type === 'Identifier' && node.callee.name === 'eval')
      frame.hasEval = true;
    else if (type === 'AwaitExpression') this.#mark(node);
    else if (type === 'ReturnStatement' && node.argument !== null && node.argument !== undefined) this.#mark(node);
    else if (type === 'TryStatement') {
      if (node.handler !== null && node.handler !== undefined) this.#mark(node.handler.body);
      if (node.finalizer !== null && node.finalizer !== undefined) this.#mark(node.finalizer);
    } else if (type === 'ForOfStatement' && node.await) {
      // The block around the loop goes outside its labels (`continue label` needs them on the loop).
      const ancestors = this.#ancestors;
      let i = ancestors.length - 1;
      while (ancestors[i]?.type === 'LabeledStatement') i--;
      const label = ancestors[i + 1];
      this.#mark(
        node,
        label === undefined || label === node
          ? { start: node.start as number, outerDepth: ancestors.length }
          : { start: label.start as number, outerDepth: i + 1 },
      );
    }
  }

  /** A place where the innermost async function's context switches (wrap.ts, markAsync). */
  #mark(node: AsyncMark['node'], extra?: { start: number; outerDepth: number }): void {
    const owner = this.#owners[this.#owners.length - 1];
    if (owner === undefined) return;
    owner.marks.push({ node, depth: this.#ancestors.length, ...extra });
    if (this.#withDepth > 0) this.#unmarkable.add(owner);
  }

  /** The nodes below one that is not a function. */
  #children(node: t.Node): void {
    const type = node.type;
    // A class static block runs as a function of its own: its statements are nobody's.
    const isStatic = type === 'StaticBlock';
    if (isStatic) this.#owners.push(undefined);
    const ignore = this.#checkIgnore && hasIgnoreComment(node);
    if (ignore) this.#ignoreDepth++;
    const isWith = type === 'WithStatement';
    if (isWith) {
      this.#child(node.object);
      this.#withDepth++;
    }
    this.#ancestors.push(node);
    const record = node as unknown as Record<string, unknown>;
    const keys = CHILD_KEYS[type];
    if ((type === 'CallExpression' || type === 'OptionalCallExpression') && serializes(node)) {
      this.#child(node.callee);
      this.#ignoreDepth++;
      this.#child(node.arguments);
      this.#ignoreDepth--;
    } else if (keys !== undefined) {
      for (const key of keys) this.#child(record[key]);
    } else {
      for (const key of Object.keys(record))
        if (!SKIP_KEYS.has(key) && !(isWith && key === 'object')) this.#child(record[key]);
    }
    this.#ancestors.pop();
    if (isStatic) this.#owners.pop();
    if (isWith) this.#withDepth--;
    if (ignore) this.#ignoreDepth--;
  }

  /** A child key's value: a node, a list of nodes (with holes), or anything else. */
  #child(value: unknown): void {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const child of value)
        if (child !== null && typeof (child as t.Node).type === 'string' && !LEAVES.has((child as t.Node).type))
          this.visit(child as t.Node);
    } else if (typeof (value as t.Node).type === 'string' && !LEAVES.has((value as t.Node).type)) {
      this.visit(value as t.Node);
    }
  }
}

/** The names a parameter or `var` binding pattern declares. */
function boundNames(node: t.Node | null | undefined, into: Set<string>): void {
  if (node === null || node === undefined) return;
  switch (node.type) {
    case 'Identifier':
      into.add(node.name);
      break;
    case 'AssignmentPattern':
      boundNames(node.left, into);
      break;
    case 'RestElement':
      boundNames(node.argument, into);
      break;
    case 'ArrayPattern':
      for (const e of node.elements) boundNames(e, into);
      break;
    case 'ObjectPattern':
      for (const p of node.properties) boundNames(p.type === 'RestElement' ? p.argument : p.value, into);
      break;
    case 'TSParameterProperty':
      boundNames(node.parameter, into);
      break;
    default:
      break;
  }
}

/**
 * Whether wrapping would change what a declaration of the body binds, so the function is
 * left as it is: the body's function declarations end up in the try block, where a `var` or
 * another function of the same name is an early error, a function named like a parameter
 * or `arguments` no longer writes through to it, and a same-named function in a nested
 * block stops being hoisted to the function (sloppy Annex B).
 */
function redeclares(fn: FunctionNode, frame: Frame): boolean {
  if (fn.body.type !== 'BlockStatement' || frame.topFunctions.length === 0) return false;
  const params = new Set<string>(['arguments']);
  for (const p of fn.params) boundNames(p, params);
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
