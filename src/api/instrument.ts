// instrument(): a function, or (as a standard decorator) a class method, wrapped in a span
// named `Calling <name>` or a message template; arguments and the return value recorded
// when asked. The wrapper keeps the function's name and length.
import type { BudObserve, SpanOptions } from './bud.ts';
import { onSettle } from '../spans/settle.ts';

export interface InstrumentOptions extends SpanOptions {
  /** Default: `Calling <qualified name>`. Arguments are available to the template when extracted. */
  msgTemplate?: string;
  /** true: every named parameter; a list: those. Default: false. */
  extractArgs?: boolean | string[];
  /** Record the return value (the resolved value for promises) as attribute `return`. */
  recordReturn?: boolean;
  /** Overrides the name used in `Calling <name>` and code.function.name. */
  spanName?: string;
}

/** Parameter names from the function's source: identifiers only, others as argN. */
export function parameterNames(fn: (...args: never[]) => unknown): string[] {
  const src = Function.prototype.toString.call(fn);
  const open = src.indexOf('(');
  const arrowSimple = /^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(src);
  if (arrowSimple !== null) return [arrowSimple[1]!];
  if (open < 0) return [];
  let depth = 0;
  let end = open;
  for (let i = open; i < src.length; i++) {
    const ch = src[i];
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    if (depth === 0) {
      end = i;
      break;
    }
  }
  const inner = src.slice(open + 1, end).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  const params: string[] = [];
  let d = 0;
  let cur = '';
  for (const ch of inner) {
    if ('([{'.includes(ch)) d++;
    if (')]}'.includes(ch)) d--;
    if (ch === ',' && d === 0) {
      params.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') params.push(cur);
  return params.map((p, i) => {
    const m = /^\s*(?:\.\.\.)?([A-Za-z_$][\w$]*)\s*(?:=[\s\S]*)?$/.exec(p);
    return m === null ? `arg${i}` : m[1]!;
  });
}

export function instrumentFunction<F extends (...args: never[]) => unknown>(
  bud: BudObserve,
  fn: F,
  options: InstrumentOptions,
  decorator: ClassMethodDecoratorContext | undefined,
): F {
  const methodName = decorator === undefined ? undefined : String(decorator.name);
  const params = options.extractArgs === undefined || options.extractArgs === false ? undefined : parameterNames(fn);
  const wanted = Array.isArray(options.extractArgs) ? new Set(options.extractArgs) : undefined;
  const { msgTemplate, extractArgs: _e, recordReturn, spanName, ...spanOptions } = options;
  const wrapped = function (this: unknown, ...args: never[]): unknown {
    // Methods are named Class.method; the class is only known from `this` at call time.
    const owner =
      decorator === undefined
        ? undefined
        : decorator.static
          ? (this as { name?: string } | undefined)?.name
          : (this as object | undefined)?.constructor?.name;
    const name =
      spanName ??
      (methodName === undefined ? fn.name || 'anonymous' : owner === undefined ? methodName : `${owner}.${methodName}`);
    const values: Record<string, unknown> = { 'code.function.name': name };
    if (params !== undefined)
      params.forEach((p, i) => {
        if (wanted === undefined || wanted.has(p)) values[p] = args[i];
      });
    return bud.span(msgTemplate ?? `Calling ${name}`, values, spanOptions, (span) => {
      if (recordReturn !== true) return fn.apply(this, args);
      return onSettle(() => fn.apply(this, args), { value: (v) => span.setAttribute('return', v) }, true);
    });
  };
  Object.defineProperty(wrapped, 'name', { value: fn.name, configurable: true });
  Object.defineProperty(wrapped, 'length', { value: fn.length, configurable: true });
  return wrapped as unknown as F;
}
