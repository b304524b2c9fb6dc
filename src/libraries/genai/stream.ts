// Watching the streams the LLM SDKs return (openai's and Anthropic's `Stream`), so a span can
// see every chunk and end when the app has read the stream, stopped reading it, or it failed.
// Owns the iterator wrapper; must not change what the app receives: the same values, the
// same errors, the same laziness (nothing is read that the app did not ask for).
//
// A plain delegating iterator rather than an `async function*`: a generator queues calls,
// turns a `return()` during a pending `next()` into a wait, and would read on by itself
// after the app's `break` until its own finally ran. Delegation keeps the SDK's own
// semantics (its finally aborts the HTTP request on break) untouched.

export interface StreamWatcher<T> {
  /** Each value the app receives. Must not throw (failures are contained anyway). */
  item(value: T): void;
  /** Once: read to the end (`how` = 'done'), closed early ('closed'), or failed ('error'). */
  end(how: 'done' | 'closed' | 'error', error?: unknown): void;
}

/** `source`, with `watcher` told of every value and of the end. */
export function watchIterator<T>(source: AsyncIterator<T>, watcher: StreamWatcher<T>): AsyncIterableIterator<T> {
  let ended = false;
  const end = (how: 'done' | 'closed' | 'error', error?: unknown): void => {
    if (ended) return;
    ended = true;
    try {
      watcher.end(how, error);
    } catch {
      /* telemetry must not fail the app's read */
    }
  };
  const settle =
    (how: 'done' | 'closed') =>
    (r: IteratorResult<T>): IteratorResult<T> => {
      if (r.done === true) end(how);
      else if (!ended) {
        try {
          watcher.item(r.value);
        } catch {
          /* as above */
        }
      }
      return r;
    };
  const fail = (error: unknown): never => {
    end('error', error);
    throw error;
  };
  const wrapped: AsyncIterableIterator<T> = {
    next(...args: [] | [undefined]) {
      return source.next(...args).then(settle('done'), fail);
    },
    return(value?: unknown) {
      if (typeof source.return !== 'function') {
        end('closed');
        return Promise.resolve({ done: true, value } as IteratorResult<T>);
      }
      return source.return(value).then((r) => {
        end('closed');
        return r;
      }, fail);
    },
    [Symbol.asyncIterator]() {
      return wrapped;
    },
  };
  if (typeof source.throw === 'function') {
    const t = source.throw.bind(source);
    wrapped.throw = (error?: unknown) => t(error).then(settle('closed'), fail);
  }
  return wrapped;
}

interface SdkStream<T> {
  iterator: () => AsyncIterator<T>;
  controller?: { signal?: AbortSignal };
}

/**
 * Wraps the `iterator` factory of an SDK `Stream`: both SDKs build `[Symbol.asyncIterator]()`,
 * `tee()` and `toReadableStream()` on it, so every way of reading is seen. Only the first
 * iteration is watched (a `Stream` can be read once). An abort before any read (the app
 * gave up on the stream) ends the watch too, so the span does not stay open forever.
 * Returns false when `stream` is not shaped as expected.
 */
export function watchSdkStream<T>(stream: unknown, watcher: StreamWatcher<T>): boolean {
  const s = stream as SdkStream<T> | null;
  if (s === null || typeof s !== 'object' || typeof s.iterator !== 'function') return false;
  const original = s.iterator;
  let watched = false;
  let ended = false;
  const once: StreamWatcher<T> = {
    item: (v) => watcher.item(v),
    end(how, error) {
      if (ended) return;
      ended = true;
      watcher.end(how, error);
    },
  };
  const signal = s.controller?.signal;
  const onAbort = (): void => {
    if (!watched) once.end('closed');
  };
  signal?.addEventListener?.('abort', onAbort, { once: true });
  s.iterator = function iterator(this: unknown, ...args: unknown[]): AsyncIterator<T> {
    const it = Reflect.apply(original, this, args) as AsyncIterator<T>;
    if (watched) return it;
    watched = true;
    signal?.removeEventListener?.('abort', onAbort);
    return watchIterator(it, once);
  };
  return true;
}
