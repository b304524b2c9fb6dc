// The agent's context manager: OpenTelemetry's AsyncLocalStorage one, with the two calls the
// request path makes most done without the allocations OpenTelemetry's pay for. bind() of a
// function (an instrumentation binds each request's callbacks and middleware) made a closure
// per call of the bound function and then redefined its `length` (Object.defineProperty on a
// function costs ~0.3 µs and leaves it slower to call); here the wrapper is made with the
// target's arity from one of a few templates, and calls it through Reflect.apply with no
// closure. with() made a bound function when given a receiver. Emitters are bound by
// emitter-binding.ts, without eight closures and a WeakMap per event for each request.
// Same contract (length, receiver, arguments, the context the target runs in); the auto-trace
// runtime's context manager extends this one.
// Owns context binding; must not create spans.
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { Context } from '@opentelemetry/api';
import type { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { ObjectDefineProperty, ReflectApply } from '../primordials.ts';
import { EmitterBinder } from './emitter-binding.ts';

type Fn = (this: unknown, ...args: unknown[]) => unknown;
type Run = (context: Context, target: Fn, self: unknown, args: IArguments) => unknown;

// One template per arity, so that the wrapper's own `length` is the target's. `arguments`,
// not rest parameters: passed on as it is, with no array made per call.
/* eslint-disable prefer-rest-params */
const TEMPLATES: Array<(run: Run, context: Context, target: Fn) => Fn> = [
  (run, c, t) =>
    function contextWrapper(this: unknown) {
      return run(c, t, this, arguments);
    },
  (run, c, t) =>
    function contextWrapper(this: unknown, _a: unknown) {
      return run(c, t, this, arguments);
    },
  (run, c, t) =>
    function contextWrapper(this: unknown, _a: unknown, _b: unknown) {
      return run(c, t, this, arguments);
    },
  (run, c, t) =>
    function contextWrapper(this: unknown, _a: unknown, _b: unknown, _c: unknown) {
      return run(c, t, this, arguments);
    },
  (run, c, t) =>
    function contextWrapper(this: unknown, _a: unknown, _b: unknown, _c: unknown, _d: unknown) {
      return run(c, t, this, arguments);
    },
];
/* eslint-enable prefer-rest-params */

export class BudContextManager extends AsyncLocalStorageContextManager {
  /** OpenTelemetry's storage (a private field there), which with() and bind() run in. */
  protected readonly storage: AsyncLocalStorage<Context>;
  readonly #run: Run;
  readonly #emitters = new EmitterBinder((context, fn) => this.#bindFunction(context, fn));

  constructor() {
    super();
    const als = (this as unknown as { _asyncLocalStorage: AsyncLocalStorage<Context> })._asyncLocalStorage;
    this.storage = als;
    // als.run looked up at each call: the auto-trace context manager makes it an own property.
    this.#run = (context, target, self, args) => als.run(context, ReflectApply, target, self, args);
  }

  override with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    if (thisArg == null) return this.storage.run(context, fn, ...args);
    return this.storage.run(context, ReflectApply as (f: F, t: unknown, a: A) => ReturnType<F>, fn, thisArg, args);
  }

  override bind<T>(context: Context, target: T): T {
    // The emitter test first, as OpenTelemetry's: an emitter that is also a function is an emitter.
    if (target instanceof EventEmitter) return this.#emitters.bind(context, target);
    if (typeof target !== 'function') return target;
    return this.#bindFunction(context, target as unknown as Fn) as T;
  }

  #bindFunction(context: Context, fn: Fn): Fn {
    const length = fn.length;
    const template = TEMPLATES[length];
    if (template !== undefined) return template(this.#run, context, fn);
    const wrapper = TEMPLATES[0]!(this.#run, context, fn);
    ObjectDefineProperty(wrapper, 'length', { enumerable: false, configurable: true, writable: false, value: length });
    return wrapper;
  }
}
