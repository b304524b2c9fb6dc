// The Resource the tracer, meter and logger providers share. With only local detectors (the
// default) it is whole at once, a plain OTel resource. With a cloud detector named it is a
// SettlingResource (settling-resource.ts): the local attributes at first, the cloud ones
// added once detection is ready (cloud.ts: at most its bound), and `ready` is what the first
// export waits for. Both are in the cloud chunk: the default start loads neither.
// Owns the choice between the two and the one-time settle; must not read the environment.
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { Resource } from '@opentelemetry/resources';
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
  const detected = detect(local);
  if (cloud.length === 0) return { resource: resourceFromAttributes(layerResource(config, detected).attributes) };
  const chunk = loadChunk<typeof import('../chunks/resource-detectors-cloud.ts')>('resource-detectors-cloud');
  const detection = chunk.startCloudDetection(cloud, chunk.cloudDetectors);
  const final = detection.ready.then(() => layerResource(config, detected, detection.result()).attributes);
  const resource = new chunk.SettlingResource(layerResource(config, detected).attributes, final);
  return { resource, ready: resource.ready };
}
