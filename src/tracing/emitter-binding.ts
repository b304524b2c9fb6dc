// context.bind(context, emitter) as OpenTelemetry's context manager does it: listeners added
// from then on (on, addListener, once, prependListener, prependOnceListener) run in that
// context, listeners added before run as they did, and removeListener / off take the
// listener the app added. The http instrumentations bind every request and response, so
// OpenTelemetry's way cost each request eight closures per emitter, a patch map and a
// WeakMap per event. Here the replacement methods are made once per manager and read the
// emitter's binding (one small object) under the manager's own symbol; a bound listener
// carries its target, and removal looks it up among the emitter's listeners.
// One deliberate difference: the same listener added twice and removed twice is removed both
// times (OpenTelemetry's map remembers only the last wrapper, so one stays).
// Owns emitter binding; must not create spans or bind functions itself (it is handed bind).
import type { Context } from '@opentelemetry/api';
import { EventEmitter } from 'node:events';
import { ReflectApply } from '../primordials.ts';

type Listener = (...args: unknown[]) => unknown;
type Method = (this: EventEmitter, ...args: unknown[]) => unknown;
type AddName = 'addListener' | 'on' | 'once' | 'prependListener' | 'prependOnceListener';
type RemoveName = 'removeListener' | 'off';

const ADD_NAMES: readonly AddName[] = ['addListener', 'on', 'once', 'prependListener', 'prependOnceListener'];
const REMOVE_NAMES: readonly RemoveName[] = ['removeListener', 'off'];
// The prototype's own methods: what an emitter bound without its own one would have called.
const PROTOTYPE = EventEmitter.prototype as unknown as Record<AddName | RemoveName | 'rawListeners', Method>;
/** On a bound listener: the listener the app added. */
const kTarget = Symbol('budobserve.boundListenerTarget');

/** What bind() left on an emitter: the context, and the methods it replaced. */
interface Binding {
  readonly context: Context;
  readonly originals: Partial<Record<AddName | RemoveName, Method>>;
}

export class EmitterBinder {
  readonly #key = Symbol('budobserve.emitterBinding');
  readonly #bindFunction: (context: Context, fn: Listener) => Listener;
  readonly #replacements = new Map<AddName | RemoveName, Method>();
  /** Set while an original add method runs: once() adds through on(), which must not wrap again. */
  readonly #state = { adding: false };

  constructor(bindFunction: (context: Context, fn: Listener) => Listener) {
    this.#bindFunction = bindFunction;
    for (const name of ADD_NAMES) this.#replacements.set(name, this.#addMethod(name));
    for (const name of REMOVE_NAMES) this.#replacements.set(name, this.#removeMethod(name));
  }

  bind<T extends EventEmitter>(context: Context, ee: T): T {
    const target = ee as unknown as Record<PropertyKey, unknown>;
    // Bound once: the first context stays, as with OpenTelemetry's.
    if (target[this.#key] !== undefined) return ee;
    const originals: Binding['originals'] = {};
    for (const [name, replacement] of this.#replacements) {
      const original = target[name];
      // OpenTelemetry skips an add method that is missing, and a remove method that is no function.
      if (original === undefined || (REMOVE_NAMES.includes(name as RemoveName) && typeof original !== 'function'))
        continue;
      originals[name] = original as Method;
      target[name] = replacement;
    }
    const binding: Binding = { context, originals };
    target[this.#key] = binding;
    return ee;
  }

  #binding(ee: EventEmitter): Binding | undefined {
    return (ee as unknown as Record<symbol, Binding | undefined>)[this.#key];
  }

  #addMethod(name: AddName): Method {
    const bindingOf = (ee: EventEmitter): Binding | undefined => this.#binding(ee);
    const wrap = (context: Context, listener: Listener): Listener => this.#bindFunction(context, listener);
    const state = this.#state;
    return function (this: EventEmitter, event: unknown, listener: unknown) {
      const binding = bindingOf(this);
      const original = binding?.originals[name] ?? PROTOTYPE[name];
      if (binding === undefined || state.adding || typeof listener !== 'function')
        // eslint-disable-next-line prefer-rest-params
        return ReflectApply(original, this, arguments);
      const wrapped = wrap(binding.context, listener as Listener);
      (wrapped as unknown as Record<symbol, unknown>)[kTarget] = listener;
      state.adding = true;
      try {
        return ReflectApply(original, this, [event, wrapped]);
      } finally {
        state.adding = false;
      }
    };
  }

  #removeMethod(name: RemoveName): Method {
    const bindingOf = (ee: EventEmitter): Binding | undefined => this.#binding(ee);
    return function (this: EventEmitter, event: unknown, listener: unknown) {
      const binding = bindingOf(this);
      const original = binding?.originals[name] ?? PROTOTYPE[name];
      const bound = binding === undefined ? undefined : boundFor(this, event, listener);
      return ReflectApply(original, this, [event, bound ?? listener]);
    };
  }
}

/**
 * The bound listener added last for `listener` (removeListener takes the last match), as the
 * emitter's own removal recognises it: itself, or the once() wrapper's `listener`.
 */
function boundFor(ee: EventEmitter, event: unknown, listener: unknown): Listener | undefined {
  if (typeof listener !== 'function') return undefined;
  const list = ReflectApply(PROTOTYPE.rawListeners, ee, [event]) as Array<Listener & { listener?: Listener }>;
  for (let i = list.length - 1; i >= 0; i--) {
    const raw = list[i]!;
    const inner = raw.listener ?? raw;
    if ((inner as unknown as Record<symbol, unknown>)[kTarget] === listener) return inner;
  }
  return undefined;
}
