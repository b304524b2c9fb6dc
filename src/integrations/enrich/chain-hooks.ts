// Bud's hook in front of the user's, for instrumentation options that take one hook
// (requestHook, publishHook, …). Owns that composition; must not know any instrumentation.
import type { Span } from '@opentelemetry/api';

export type Hook = (span: Span, ...rest: unknown[]) => void;

/** Bud's hook, then the user's; Bud's may never throw into the instrumentation. */
export function chainHooks(ours: Hook, user: unknown): Hook {
  return function hook(this: unknown, span: Span, ...rest: unknown[]): void {
    try {
      ours(span, ...rest);
    } catch {
      /* enrichment is best effort */
    }
    if (typeof user === 'function') Reflect.apply(user, this, [span, ...rest]);
  };
}
