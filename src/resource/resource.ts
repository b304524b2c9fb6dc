// The resource every signal carries: the SDK's identity, what the detectors read off this
// machine (detectors.ts), what the named cloud detectors found (cloud.ts), then the user's
// own attributes, which win over anything detected
// (the OpenTelemetry Operator sets service.instance.id to namespace.pod.container in
// OTEL_RESOURCE_ATTRIBUTES so that a restarted pod is recognisable; a random id must not
// replace it). The command line is left out on purpose: it often carries secrets.
// Owns precedence; must not read the environment (the configuration has done that).
import type { Attributes } from '@opentelemetry/api';
import type { ResolvedConfig } from '../config/types.ts';
import { AGENT_VERSION } from '../version.ts';
import { ATTR_BUD_PROJECT_ID, ATTR_BUD_ENDPOINT_ID, ATTR_BUD_MODEL_ID, ATTR_BUD_CLUSTER_ID } from '../attributes.ts';
import { detect, type ReadText, readText } from './detectors.ts';
import { LOCAL_DETECTORS, type CloudDetector, type LocalDetector } from './names.ts';

export type ResourceSource = LocalDetector | CloudDetector | 'sdk' | 'config';

/** Attributes, each with where it came from (`budobserve doctor` shows both). */
export interface ResourceDescription {
  attributes: Attributes;
  sources: Record<string, ResourceSource>;
}

/** The resource's attributes, each with where it came from (`budobserve doctor` shows both). */
export function describeResource(
  config: ResolvedConfig,
  detectors: readonly LocalDetector[] = LOCAL_DETECTORS,
  read: ReadText = readText,
): ResourceDescription {
  return layerResource(config, detect(detectors, read));
}

/**
 * The layers in precedence order, lowest first: the SDK's identity, the local detectors, the
 * cloud ones (which know better, host.id included, as in OTel where later detectors win),
 * and the configuration. Detection runs once, before: serviceinstance's id is random.
 */
export function layerResource(
  config: ResolvedConfig,
  local: ResourceDescription,
  cloud?: ResourceDescription,
): ResourceDescription {
  const sdk = sdkAttributes();
  const attributes: Attributes = { ...sdk, ...local.attributes, ...cloud?.attributes };
  const sources: Record<string, ResourceSource> = {
    ...Object.fromEntries(Object.keys(sdk).map((k) => [k, 'sdk' as const])),
    ...local.sources,
    ...cloud?.sources,
  };
  const own: Attributes = { ...config.resourceAttributes, 'service.name': config.serviceName };
  if (config.serviceVersion !== undefined) own['service.version'] = config.serviceVersion;
  if (config.environment !== undefined) own['deployment.environment.name'] = config.environment;
  const bud = config.bud;
  if (bud.projectId !== undefined) own[ATTR_BUD_PROJECT_ID] = bud.projectId;
  if (bud.endpointId !== undefined) own[ATTR_BUD_ENDPOINT_ID] = bud.endpointId;
  if (bud.modelId !== undefined) own[ATTR_BUD_MODEL_ID] = bud.modelId;
  if (bud.clusterId !== undefined) own[ATTR_BUD_CLUSTER_ID] = bud.clusterId;
  for (const [key, value] of Object.entries(own)) {
    attributes[key] = value;
    sources[key] = 'config';
  }
  return { attributes, sources };
}

function sdkAttributes(): Attributes {
  return {
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': OTEL_SDK_VERSION,
    'telemetry.distro.name': 'budobserve',
    'telemetry.distro.version': AGENT_VERSION,
  };
}

declare const __OTEL_SDK_VERSION__: string;
const OTEL_SDK_VERSION = typeof __OTEL_SDK_VERSION__ === 'string' ? __OTEL_SDK_VERSION__ : '0.0.0';
