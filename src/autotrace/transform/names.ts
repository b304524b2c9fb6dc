// Qualified names of functions, the `code.function.name` of their spans: `Class.method`,
// `Class.#private`, `Class.constructor`, `Class.x` (getters and setters alike), `outer.inner`
// for nested functions, `obj.key` for methods of an object literal, the variable or property
// a function expression is assigned to, `default` for an anonymous default export,
// `<anonymous>` when nothing names it. Containers that have no name (an object literal
// passed as an argument, an anonymous class) are left out rather than shown as `<anonymous>`.
// Identifiers are read through an `Ident`: in a bundle, the name a declaration had in its own
// source (bundlers rename colliding top-level names: `label` becomes `label2`).
import type * as t from '@babel/types';

/** The name an identifier has in the original source. */
export type Ident = (id: t.Identifier) => string;

const asWritten: Ident = (id) => id.name;

export type FunctionNode =
  | t.FunctionDeclaration
  | t.FunctionExpression
  | t.ArrowFunctionExpression
  | t.ObjectMethod
  | t.ClassMethod
  | t.ClassPrivateMethod;

/** What a function's name is relative to. */
export interface Enclosing {
  /** Qualified name of the enclosing function. */
  qualified: string;
  /** What `this` names inside it: the class of a method, the object of an object method, the function itself. */
  owner: string;
}

// Nodes that only wrap an expression: a function inside one is named by what is outside.
const TRANSPARENT = new Set([
  'ParenthesizedExpression',
  'TSAsExpression',
  'TSSatisfiesExpression',
  'TSNonNullExpression',
  'TSTypeAssertion',
  'TSInstantiationExpression',
  'TypeCastExpression',
]);

/**
 * esbuild's keepNames (on in tsx) wraps functions as `__name(fn, "name")`: the call only
 * sets `.name`, so the function is named by what the call is assigned to.
 */
function isKeepNames(parent: t.Node, child: t.Node): boolean {
  return (
    parent.type === 'CallExpression' &&
    parent.callee.type === 'Identifier' &&
    parent.callee.name === '__name' &&
    parent.arguments[0] === child
  );
}

function isIdentifierName(s: string): boolean {
  return /^[A-Za-z_$][\w$]*$/.test(s);
}

/** `x`, `#x`, `["a b"]`, `[1]`, `[Symbol.iterator]`. */
function keyName(key: t.Node, computed: boolean, source: string): string {
  if (!computed) {
    if (key.type === 'Identifier') return key.name;
    if (key.type === 'PrivateName') return `#${key.id.name}`;
    if (key.type === 'StringLiteral') return isIdentifierName(key.value) ? key.value : `[${JSON.stringify(key.value)}]`;
    if (key.type === 'NumericLiteral' || key.type === 'BigIntLiteral')
      return `[${source.slice(key.start ?? 0, key.end ?? 0)}]`;
  }
  if (key.type === 'StringLiteral') return isIdentifierName(key.value) ? key.value : `[${JSON.stringify(key.value)}]`;
  const text = source.slice(key.start ?? 0, key.end ?? 0).replace(/\s+/g, ' ');
  return `[${text.length > 40 ? `${text.slice(0, 39)}…` : text}]`;
}

/** Segments joined with dots, except computed keys (`A[Symbol.iterator]`). */
export function joinName(segments: readonly string[]): string {
  let out = '';
  for (const s of segments) out += out === '' || s.startsWith('[') ? s : `.${s}`;
  return out;
}

interface Named {
  segments: string[];
  /** The name starts at `this`: it is relative to the enclosing function's owner. */
  thisRooted: boolean;
}

const none = (): Named => ({ segments: [], thisRooted: false });

/** `a.b.c` of a member chain (without `prototype`); only the last property for anything else. */
function memberName(node: t.Node, source: string, ident: Ident): Named {
  const segments: string[] = [];
  let cur: t.Node = node;
  while (cur.type === 'MemberExpression' || cur.type === 'OptionalMemberExpression') {
    const key = keyName(cur.property, cur.computed, source);
    if (key !== 'prototype') segments.unshift(key);
    cur = cur.object;
  }
  if (cur.type === 'Identifier') return { segments: [ident(cur), ...segments], thisRooted: false };
  if (cur.type === 'ThisExpression') return { segments, thisRooted: true };
  return { segments: segments.slice(-1), thisRooted: false };
}

/**
 * The name of `node` (a function, class or object literal) from itself and where it stands.
 * `ancestors` ends with the node's parent at index `pi`.
 */
function nameAt(node: t.Node, ancestors: readonly t.Node[], pi: number, source: string, ident: Ident): Named {
  let parent = ancestors[pi];
  if (parent === undefined) return none();
  // Members: the container's name, then the key.
  if (
    node.type === 'ClassMethod' ||
    node.type === 'ClassPrivateMethod' ||
    node.type === 'ClassProperty' ||
    node.type === 'ClassPrivateProperty' ||
    node.type === 'ClassAccessorProperty'
  ) {
    const cls = ancestors[pi - 1];
    const key =
      node.type === 'ClassMethod' && node.kind === 'constructor'
        ? 'constructor'
        : keyName(node.key, 'computed' in node && node.computed === true, source);
    const container = cls === undefined ? none() : nameAt(cls, ancestors, pi - 2, source, ident);
    return { segments: [...container.segments, key], thisRooted: container.thisRooted };
  }
  if (node.type === 'ObjectMethod' || node.type === 'ObjectProperty') {
    const container = nameAt(parent, ancestors, pi - 1, source, ident);
    return {
      segments: [...container.segments, keyName(node.key, node.computed, source)],
      thisRooted: container.thisRooted,
    };
  }
  if (
    (node.type === 'FunctionDeclaration' ||
      node.type === 'FunctionExpression' ||
      node.type === 'ClassDeclaration' ||
      node.type === 'ClassExpression') &&
    node.id
  ) {
    return { segments: [ident(node.id)], thisRooted: false };
  }
  // Anonymous: named by what it is assigned to.
  let child: t.Node = node;
  while (TRANSPARENT.has(parent.type) || isKeepNames(parent, child)) {
    child = parent;
    parent = ancestors[--pi];
    if (parent === undefined) return none();
  }
  switch (parent.type) {
    case 'VariableDeclarator':
      return parent.init === child && parent.id.type === 'Identifier'
        ? { segments: [ident(parent.id)], thisRooted: false }
        : none();
    case 'AssignmentExpression':
      return parent.right === child ? memberName(parent.left, source, ident) : none();
    case 'AssignmentPattern':
      return parent.right === child && parent.left.type === 'Identifier'
        ? { segments: [ident(parent.left)], thisRooted: false }
        : none();
    case 'ObjectProperty':
    case 'ClassProperty':
    case 'ClassPrivateProperty':
    case 'ClassAccessorProperty':
      return parent.value === child ? nameAt(parent, ancestors, pi - 1, source, ident) : none();
    case 'ExportDefaultDeclaration':
      return { segments: ['default'], thisRooted: false };
    default:
      return none();
  }
}

export interface FunctionName {
  qualified: string;
  /** What `this` names inside the function, for the functions nested in it. */
  owner: string;
}

/** The qualified name of `fn`, whose parent is the last of `ancestors`. */
export function functionName(
  fn: FunctionNode,
  ancestors: readonly t.Node[],
  enclosing: Enclosing | undefined,
  source: string,
  ident: Ident = asWritten,
): FunctionName {
  const named = nameAt(fn, ancestors, ancestors.length - 1, source, ident);
  const prefix = named.thisRooted ? (enclosing?.owner ?? 'this') : enclosing?.qualified;
  const own = named.segments.length === 0 ? ['<anonymous>'] : named.segments;
  const qualified = joinName(prefix === undefined ? own : [prefix, ...own]);
  let owner = qualified;
  if (fn.type === 'ArrowFunctionExpression') {
    owner = enclosing?.owner ?? 'this'; // an arrow's `this` is the enclosing one's
  } else if (fn.type !== 'FunctionDeclaration' && fn.type !== 'FunctionExpression') {
    // A method's `this` is its class or object.
    const container = own.slice(0, -1);
    owner =
      container.length > 0
        ? joinName(prefix === undefined ? container : [prefix, ...container])
        : (prefix ?? '<anonymous>');
  }
  return { qualified, owner };
}
