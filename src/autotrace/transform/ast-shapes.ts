// What the analysis walk (analyze.ts) needs to know about Babel's node types, as tables:
// which nodes are functions, which keys never hold code, which nodes have no code below
// them, and the child keys of the commonest nodes. Owns the tables; must not walk anything.
export const FUNCTION_TYPES = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
  'ObjectMethod',
  'ClassMethod',
  'ClassPrivateMethod',
]);

// Keys that never lead to code: positions, comments, directives and TypeScript types.
export const SKIP_KEYS = new Set([
  'type',
  'start',
  'end',
  'loc',
  'range',
  'extra',
  'leadingComments',
  'trailingComments',
  'innerComments',
  'directives',
  'typeAnnotation',
  'returnType',
  'typeParameters',
  'typeArguments',
  'superTypeParameters',
  'superTypeArguments',
  'implements',
  'predicate',
]);

// Nodes that hold no code below them: most nodes of a program are these, and not listing
// their keys halves the walk.
export const LEAVES = new Set([
  'Identifier',
  'StringLiteral',
  'NumericLiteral',
  'BooleanLiteral',
  'NullLiteral',
  'RegExpLiteral',
  'BigIntLiteral',
  'TemplateElement',
  'ThisExpression',
  'Super',
  'EmptyStatement',
  'DebuggerStatement',
  'BreakStatement',
  'ContinueStatement',
  'PrivateName',
  'MetaProperty',
  'Import',
]);

// The child keys of the commonest nodes (Babel's own VISITOR_KEYS for them, without types),
// so that they are not listed per node; other nodes are walked by all their keys.
export const CHILD_KEYS: Record<string, readonly string[]> = {
  MemberExpression: ['object', 'property'],
  OptionalMemberExpression: ['object', 'property'],
  CallExpression: ['callee', 'arguments'],
  OptionalCallExpression: ['callee', 'arguments'],
  NewExpression: ['callee', 'arguments'],
  BinaryExpression: ['left', 'right'],
  LogicalExpression: ['left', 'right'],
  AssignmentExpression: ['left', 'right'],
  UnaryExpression: ['argument'],
  UpdateExpression: ['argument'],
  SpreadElement: ['argument'],
  AwaitExpression: ['argument'],
  ConditionalExpression: ['test', 'consequent', 'alternate'],
  SequenceExpression: ['expressions'],
  TemplateLiteral: ['expressions'],
  ObjectExpression: ['properties'],
  ObjectProperty: ['decorators', 'key', 'value'],
  ArrayExpression: ['elements'],
  VariableDeclaration: ['declarations'],
  VariableDeclarator: ['id', 'init'],
  ExpressionStatement: ['expression'],
  BlockStatement: ['body'],
  ReturnStatement: ['argument'],
  ThrowStatement: ['argument'],
  IfStatement: ['test', 'consequent', 'alternate'],
  ForStatement: ['init', 'test', 'update', 'body'],
  ForInStatement: ['left', 'right', 'body'],
  ForOfStatement: ['left', 'right', 'body'],
  WhileStatement: ['test', 'body'],
  SwitchStatement: ['discriminant', 'cases'],
  SwitchCase: ['test', 'consequent'],
  TryStatement: ['block', 'handler', 'finalizer'],
  CatchClause: ['param', 'body'],
  AssignmentPattern: ['left', 'right'],
};
