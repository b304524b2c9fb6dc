// The Resource the tracer, meter and logger providers share. With only local detectors (the
// default) it is a LazyResource: the same attributes, detected when first read (the first
// export, or the console's first span), so that a process that makes no span reads no
// /proc and /etc files at start (about half a millisecond). With a cloud detector named it is a
// SettlingResource (settling-resource.ts): the local attributes at first, the cloud ones
// added once detection is ready (cloud.ts: at most its bound), and `ready` is what the first
// export waits for. Both are in the cloud chunk: the default start loads neither.
// Owns the choice between the two and the one-time settle; must not read the environment.
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { RawResourceAttribute, Resource } from '@opentelemetry/resources';
import type { Attributes } from '@opentelemetry/api';
import { errorText, warn } from '../errors.ts';
import type { ResolvedConfig } from '../config/types.ts';
import { loadChunk } from '../lazy.ts';
import { detect } from './detectors.ts';
import { selectDetectors } from './names.ts';
import { layerResource } from './resource.ts';

export interface AgentResource {
  resource: Resource;
  /** With cloud detectors: resolves once the resource is final (never rejects). */
  ready?: Promise<void>;
}

export function agentResource(config: ResolvedConfig): AgentResource {
  const { local, cloud } = selectDetectors(config.resourceDetectors);
  if (cloud.length === 0)
    return {
      resource: new LazyResource(
        () => layerResource(config, detect(local)).attributes,
        () => ({ 'service.name': config.serviceName }),
      ),
    };
  const detected = detect(local);
  const chunk = loadChunk<typeof import('../chunks/resource-detectors-cloud.ts')>('resource-detectors-cloud');
  const detection = chunk.startCloudDetection(cloud, chunk.cloudDetectors);
  const final = detection.ready.then(() => layerResource(config, detected, detection.result()).attributes);
  const resource = new chunk.SettlingResource(layerResource(config, detected).attributes, final);
  return { resource, ready: resource.ready };
}

/** A resource whose attributes are made at their first read; whole from then on. */
export class LazyResource implements Resource {
  #make: (() => Attributes) | undefined;
  readonly #fallback: () => Attributes;
  #resource: Resource | undefined;

  /** @param fallback what the resource holds if `make` throws (one warning). */
  constructor(make: () => Attributes, fallback: () => Attributes) {
    this.#make = make;
    this.#fallback = fallback;
  }

  get #inner(): Resource {
    if (this.#resource === undefined) {
      let attributes: Attributes;
      try {
        attributes = this.#make!();
      } catch (error) {
        warn('BUDOBSERVE_INTERNAL', 'resource', [errorText(error)], { cause: error, once: 'resource' });
        attributes = this.#fallback();
      }
      this.#make = undefined;
      this.#resource = resourceFromAttributes(attributes);
    }
    return this.#resource;
  }

  get attributes(): Attributes {
    return this.#inner.attributes;
  }

  readonly asyncAttributesPending = false;

  waitForAsyncAttributes(): Promise<void> {
    return Promise.resolve();
  }

  merge(other: Resource | null): Resource {
    return this.#inner.merge(other);
  }

  getRawAttributes(): RawResourceAttribute[] {
    return this.#inner.getRawAttributes();
  }
}
