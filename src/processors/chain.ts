// The ordered list of span processors the tracer provider runs. The SDK's TracerProvider
// takes its processors once, at construction; the chain lets Bud's own processors, the
// user's (config `spanProcessors`) and the exporters' be added in a fixed order after boot.
// Every span passes here inside the app's own call (an auto-traced call ends, a library's
// span ends): indexed loops, not for-of, so an app that replaces Array.prototype's iterator
// (a call counter, a test double) sees no call from the agent.
// Owns ordering and error containment; must not change spans itself.
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { warn } from '../errors.ts';

export class ProcessorChain implements SpanProcessor {
  readonly #processors: SpanProcessor[] = [];
  #shutdown: Promise<void> | undefined;
  #gate: ((span: ReadableSpan) => void) | undefined;
  #beforeFlush: (() => void) | undefined;
  readonly #holders: Array<{ releaseHeld(): void }> = [];

  /**
   * Routes finished spans through `gate` (the auto-trace runtime, which may hold a span
   * until its parent call is decided) before the processors; the gate calls deliver().
   */
  setGate(gate: (span: ReadableSpan) => void, beforeFlush: () => void): void {
    this.#gate = gate;
    this.#beforeFlush = beforeFlush;
  }

  /** A processor that holds spans for a decision (tail sampling): exit paths make it let them go. */
  addHolder(holder: { releaseHeld(): void }): void {
    this.#holders.push(holder);
  }

  add(processor: SpanProcessor): void {
    this.#processors.push(processor);
  }

  remove(processor: SpanProcessor): void {
    const i = this.#processors.indexOf(processor);
    if (i >= 0) this.#processors.splice(i, 1);
  }

  get processors(): readonly SpanProcessor[] {
    return this.#processors;
  }

  // A throwing processor (a user's, say) must not break the span or the app's call.
  onStart(span: Span, ctx: Context): void {
    const list = this.#processors;
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      try {
        p.onStart(span, ctx);
      } catch (error) {
        warn('BUDOBSERVE_INTERNAL', 'processor', [p.constructor.name, 'onStart'], {
          cause: error,
          once: `start:${p.constructor.name}`,
        });
      }
    }
  }

  // Before the span is read-only: processors that complete a span (db-summary.ts) run here.
  onEnding(span: Span): void {
    const list = this.#processors;
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      if (p.onEnding === undefined) continue;
      try {
        p.onEnding(span);
      } catch (error) {
        warn('BUDOBSERVE_INTERNAL', 'processor', [p.constructor.name, 'onEnding'], {
          cause: error,
          once: `ending:${p.constructor.name}`,
        });
      }
    }
  }

  onEnd(span: ReadableSpan): void {
    if (this.#gate !== undefined) this.#gate(span);
    else this.deliver(span);
  }

  deliver = (span: ReadableSpan): void => {
    const list = this.#processors;
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      try {
        p.onEnd(span);
      } catch (error) {
        warn('BUDOBSERVE_INTERNAL', 'processor', [p.constructor.name, 'onEnd'], {
          cause: error,
          once: `end:${p.constructor.name}`,
        });
      }
    }
  };

  /** Lets the gate, then the holders, release what they hold (before a drain at exit). */
  releaseHeld(): void {
    this.#beforeFlush?.();
    const list = this.#holders;
    for (let i = 0; i < list.length; i++) {
      try {
        list[i]!.releaseHeld();
      } catch (error) {
        warn('BUDOBSERVE_INTERNAL', 'releaseHeld', [], { cause: error, once: 'release' });
      }
    }
  }

  async forceFlush(): Promise<void> {
    this.#beforeFlush?.();
    await Promise.all(
      this.#processors.map((p) =>
        p.forceFlush().catch((error: unknown) => {
          warn('BUDOBSERVE_EXPORT_FAILED', 'flush', [p.constructor.name], {
            cause: error,
            once: `flush:${p.constructor.name}`,
          });
        }),
      ),
    );
  }

  shutdown(): Promise<void> {
    this.#beforeFlush?.();
    this.#shutdown ??= Promise.all(this.#processors.map((p) => p.shutdown().catch(() => undefined))).then(
      () => undefined,
    );
    return this.#shutdown;
  }
}
