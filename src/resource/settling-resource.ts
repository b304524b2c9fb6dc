// A resource whose attributes change once, when cloud detection is ready (agent-resource.ts
// builds it; bundled in the cloud detectors' chunk, src/chunks/resource-detectors-cloud.ts).
// Owns that one change; must not detect anything nor decide precedence.
import type { Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { RawResourceAttribute, Resource } from '@opentelemetry/resources';

/**
 * A resource whose attributes change once, when cloud detection is ready. Not OTel's async
 * resource (unsettled promises as values): reading that one before it settles logs an error
 * through diag (a warning of the agent's) and drops every attribute still pending, and an
 * export at exit may read it at any time. The SDKs and serializers only read `attributes`.
 */
export class SettlingResource implements Resource {
  #attributes: Attributes;
  #pending = true;
  /** Resolves once the final attributes are in place. */
  readonly ready: Promise<void>;

  constructor(initial: Attributes, final: Promise<Attributes>) {
    this.#attributes = initial;
    this.ready = final.then((attributes) => {
      this.#attributes = attributes;
      this.#pending = false;
    });
  }

  get attributes(): Attributes {
    return this.#attributes;
  }

  get asyncAttributesPending(): boolean {
    return this.#pending;
  }

  waitForAsyncAttributes(): Promise<void> {
    return this.ready;
  }

  merge(other: Resource | null): Resource {
    return resourceFromAttributes(this.#attributes).merge(other);
  }

  getRawAttributes(): RawResourceAttribute[] {
    return Object.entries(this.#attributes);
  }
}
