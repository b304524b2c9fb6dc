// Makes an auto-traced call visible as the active span to everything it calls, without
// paying for an AsyncLocalStorage switch on every synchronous call: synchronous calls sit on
// a plain stack, and the context manager answers "active" with the innermost frame when
// that frame was entered in the current AsyncLocalStorage context (a context.with() or an
// async callback started since makes the stored context the more recent one).
// Owns context propagation for frames; must not create or export spans.
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Frame } from './frame.ts';
import { AlsGetStore } from './primordials.ts';

export class FrameAwareContextManager extends AsyncLocalStorageContextManager {
  /** Frames of the synchronous calls in progress; `depth` of them are live. */
  readonly stack: Frame[] = [];
  depth = 0;
  readonly als: AsyncLocalStorage<Context>;

  constructor() {
    super();
    this.als = (this as unknown as { _asyncLocalStorage: AsyncLocalStorage<Context> })._asyncLocalStorage;
  }

  override active(): Context {
    const store = AlsGetStore(this.als);
    const top = this.depth > 0 ? this.stack[this.depth - 1] : undefined;
    if (top !== undefined && top.store === store) {
      top.pinned = true;
      return top;
    }
    return store ?? ROOT_CONTEXT;
  }
}
