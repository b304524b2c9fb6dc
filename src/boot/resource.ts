// The resource every signal carries. Built from the configuration and cheap local facts
// (no resource detectors: the cloud ones probe metadata endpoints over the network, and
// loading all of them is a large part of what `auto-instrumentations-node/register` costs).
// The command line is left out on purpose: it often carries secrets.
import { hostname, arch, type as osType, release } from 'node:os';
import { basename } from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import type { ResolvedConfig } from '../config/types.ts';
import { AGENT_VERSION } from '../version.ts';
import { ATTR_BUD_PROJECT_ID, ATTR_BUD_ENDPOINT_ID, ATTR_BUD_MODEL_ID, ATTR_BUD_CLUSTER_ID } from '../attributes.ts';

export function resourceAttributes(config: ResolvedConfig): Attributes {
  const attrs: Attributes = {
    ...config.resourceAttributes,
    'service.name': config.serviceName,
    'service.instance.id': instanceId(),
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': OTEL_SDK_VERSION,
    'telemetry.distro.name': 'budobserve',
    'telemetry.distro.version': AGENT_VERSION,
    'host.name': hostname(),
    'host.arch': arch() === 'x64' ? 'amd64' : arch(),
    'os.type': osType().toLowerCase(),
    'os.version': release(),
    'process.pid': process.pid,
    'process.executable.name': basename(process.execPath),
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'process.runtime.description': 'Node.js',
  };
  if (config.serviceVersion !== undefined) attrs['service.version'] = config.serviceVersion;
  if (config.environment !== undefined) attrs['deployment.environment.name'] = config.environment;
  const bud = config.bud;
  if (bud.projectId !== undefined) attrs[ATTR_BUD_PROJECT_ID] = bud.projectId;
  if (bud.endpointId !== undefined) attrs[ATTR_BUD_ENDPOINT_ID] = bud.endpointId;
  if (bud.modelId !== undefined) attrs[ATTR_BUD_MODEL_ID] = bud.modelId;
  if (bud.clusterId !== undefined) attrs[ATTR_BUD_CLUSTER_ID] = bud.clusterId;
  return attrs;
}

declare const __OTEL_SDK_VERSION__: string;
const OTEL_SDK_VERSION = typeof __OTEL_SDK_VERSION__ === 'string' ? __OTEL_SDK_VERSION__ : '0.0.0';

/**
 * A random (v4-shaped) UUID from Math.random: the instance id must be unique, not secret,
 * and node:crypto costs a few milliseconds to load at every start while most processes
 * never need it.
 */
function instanceId(): string {
  const hex = (n: number): string => Math.floor(Math.random() * 16 ** n).toString(16).padStart(n, '0');
  const variant = (8 + Math.floor(Math.random() * 4)).toString(16);
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(6)}${hex(6)}`;
}
