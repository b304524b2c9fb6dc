// Built-ins for code that runs inside the app's calls, captured when the agent loads (the
// way Node's own `primordials` are): the auto-trace runtime (src/autotrace/runtime/) and the
// span processors it reaches (through context-span.ts). Not auto-trace specific, so it sits
// at src/ for any such user to import. An app or a test tool that later replaces
// `Array.prototype.push`, `Date.now`, `process.hrtime.bigint` or `Map.prototype.get` (sinon,
// fake timers, call counters) sees no call from the agent, and a throwing replacement cannot
// reach the agent's per-call path. Methods are uncurried (`MapGet(map, key)`) with
// `Function.prototype.bind.bind(Function.prototype.call)`, which calls through the engine,
// not through a property an app can replace.
// Owns that capture only; nothing else belongs here, and it imports only Node builtins.
import { AsyncLocalStorage } from 'node:async_hooks';
import { types } from 'node:util';

// uncurryThis(f)(self, ...args) is f.call(self, ...args), resolved once, here.
const uncurryThis = Function.prototype.bind.bind(Function.prototype.call) as <T, A extends unknown[], R>(
  fn: (this: T, ...args: A) => R,
) => (self: T, ...args: A) => R;

export const ReflectApply: (f: (...args: never[]) => unknown, self: unknown, args: ArrayLike<unknown>) => unknown =
  Reflect.apply;
export const hrtimeBigint: () => bigint = process.hrtime.bigint;
export const DateNow: () => number = Date.now;
export const MathRound: (x: number) => number = Math.round;
export const NumberOf: (x: unknown) => number = Number;
export const StringOf: (x: unknown) => string = String;
export const ObjectCreate = Object.create as <T>(proto: T, props: PropertyDescriptorMap) => T;
export const ArrayIsArray: (v: unknown) => v is unknown[] = Array.isArray;
export const ObjectPrototypeHasOwnProperty = uncurryThis(Object.prototype.hasOwnProperty) as (
  o: object,
  k: PropertyKey,
) => boolean;
export const ObjectDefineProperty = Object.defineProperty as <T>(
  o: T,
  k: PropertyKey,
  d: PropertyDescriptor & ThisType<unknown>,
) => T;
export const ObjectGetPrototypeOf: (o: object) => object | null = Object.getPrototypeOf;
export const ObjectGetOwnPropertyDescriptors: (o: object) => PropertyDescriptorMap = Object.getOwnPropertyDescriptors;
export const PromisePrototype = Promise.prototype;
export const isPromise: (v: unknown) => v is Promise<unknown> = types.isPromise;
export const isMap: (v: unknown) => v is Map<unknown, unknown> = types.isMap;
export const MathRandom: () => number = Math.random;

// node:crypto costs about 4 ms to load, at every start and in every worker, while most
// short processes never make a span: its randomFillSync is taken at the first fill, not at
// load. A replacement an app has put there by then (a test double) that throws, is no
// function or leaves the bytes all zero is passed over for Math.random as it was at load: ids
// must be unique, not secret, and a pool left zero would hold no valid id at all.
let randomFillSync: ((buf: Uint8Array) => Uint8Array) | undefined;
const TypedArrayPrototypeFill = uncurryThis(Uint8Array.prototype.fill) as (buf: Uint8Array, value: number) => void;
export function randomFill(buf: Uint8Array): void {
  let any = 0;
  try {
    randomFillSync ??= process.getBuiltinModule('node:crypto').randomFillSync;
    TypedArrayPrototypeFill(buf, 0);
    randomFillSync(buf);
    for (let i = 0; i < buf.length && any === 0; i++) any |= buf[i]!;
  } catch {
    // the fallback below
  }
  if (any === 0) for (let i = 0; i < buf.length; i++) buf[i] = (MathRandom() * 256) | 0;
}

export const PromiseResolve = uncurryThis(Promise.resolve) as (C: PromiseConstructor, v: unknown) => Promise<unknown>;
export const PromiseCtor = Promise;
export const PromisePrototypeThen = uncurryThis(Promise.prototype.then) as (
  p: Promise<unknown>,
  ok: (v: unknown) => void,
  err: (e: unknown) => void,
) => Promise<unknown>;
export const ArrayPrototypePush = uncurryThis(Array.prototype.push) as <T>(a: T[], v: T) => number;
export const ArrayPrototypeShift = uncurryThis(Array.prototype.shift) as <T>(a: T[]) => T | undefined;
export const ArrayPrototypeMap = uncurryThis(Array.prototype.map) as <T, U>(a: readonly T[], f: (v: T) => U) => U[];
export const ArrayPrototypeSlice = uncurryThis(Array.prototype.slice) as <T>(
  a: readonly T[],
  s?: number,
  e?: number,
) => T[];
export const StringPrototypeSubstring = uncurryThis(String.prototype.substring) as (
  s: string,
  a: number,
  b?: number,
) => string;
export const StringFromCharCode: (...codes: number[]) => string = String.fromCharCode;
export const Uint8ArrayPrototypeSlice = uncurryThis(Uint8Array.prototype.slice) as (
  a: Uint8Array,
  s?: number,
  e?: number,
) => Uint8Array;
export const ObjectKeys: (o: object) => string[] = Object.keys;
export const ObjectEntries: (o: object) => Array<[string, unknown]> = Object.entries;
export const ObjectAssign: <T extends object>(target: T, source: unknown) => T = Object.assign;
export const ObjectGetOwnPropertySymbols: (o: object) => symbol[] = Object.getOwnPropertySymbols;
export const MathTrunc: (x: number) => number = Math.trunc;
export const SetCtor = Set;
export const SetPrototypeHas = uncurryThis(Set.prototype.has) as (s: Set<unknown>, v: unknown) => boolean;
export const SetPrototypeAdd = uncurryThis(Set.prototype.add) as (s: Set<unknown>, v: unknown) => Set<unknown>;
// node:perf_hooks, which the global `performance` loads on first use, costs about a millisecond
// at every start and more in a worker: its clock is taken at the first reading (the first
// span), not at load. Taken from perf_hooks' own instance and from its prototype, not from the
// global: fake-timer libraries replace performance.now on that object, or the global itself.
let perfNow: (() => number) | undefined;
let perfTimeOrigin = 0;
function takeClock(): () => number {
  const p = process.getBuiltinModule('node:perf_hooks').performance;
  const proto = ObjectGetOwnPropertyDescriptors(ObjectGetPrototypeOf(p) as object);
  perfTimeOrigin = (proto['timeOrigin']!.get as () => number).call(p);
  return (perfNow = (proto['now']!.value as () => number).bind(p));
}

/** performance.now(), the real one. */
export function PerformanceNow(): number {
  return (perfNow ?? takeClock())();
}

/** performance.timeOrigin, the real one. */
export function PerformanceTimeOrigin(): number {
  if (perfNow === undefined) takeClock();
  return perfTimeOrigin;
}

export const MapPrototypeGet = uncurryThis(Map.prototype.get) as <K, V>(m: Map<K, V>, k: K) => V | undefined;
export const MapPrototypeSet = uncurryThis(Map.prototype.set) as <K, V>(m: Map<K, V>, k: K, v: V) => Map<K, V>;
export const MapPrototypeHas = uncurryThis(Map.prototype.has) as <K, V>(m: Map<K, V>, k: K) => boolean;
export const MapPrototypeDelete = uncurryThis(Map.prototype.delete) as <K, V>(m: Map<K, V>, k: K) => boolean;
export const MapPrototypeGetSize = uncurryThis(Object.getOwnPropertyDescriptor(Map.prototype, 'size')!.get!) as (
  m: Map<unknown, unknown>,
) => number;
export const MapPrototypeKeys = uncurryThis(Map.prototype.keys) as <K, V>(m: Map<K, V>) => IterableIterator<K>;
export const MapIteratorNext = uncurryThis((Object.getPrototypeOf(new Map().keys()) as Iterator<unknown>).next) as <K>(
  it: IterableIterator<K>,
) => IteratorResult<K>;
export const MapPrototypeClear = uncurryThis(Map.prototype.clear) as (m: Map<unknown, unknown>) => void;

// AsyncLocalStorage's methods (an app may wrap them too: some APM shims do), to be made own
// properties of the agent's instance (context.ts).
export const AlsGetStore = AsyncLocalStorage.prototype.getStore;
export const AlsEnterWith = AsyncLocalStorage.prototype.enterWith;
export const AlsRun = AsyncLocalStorage.prototype.run;
