// Entry of the lazily loaded chunk dist/lazy/resource-detectors-cloud.cjs (loadChunk,
// src/lazy.ts): OpenTelemetry's cloud resource detectors, loaded only when
// OTEL_NODE_RESOURCE_DETECTORS names aws, gcp, azure or alibaba (or all). Each name selects
// the detectors OTel's Node SDK runs for it, in its order (auto-instrumentations-node's
// getResourceDetectorsFromEnv).
// Owns which packages each name maps to; running them is src/resource/cloud.ts's, which is
// bundled here too (with the resource it settles, settling-resource.ts): the default start (no cloud detector) carries none of it.
import type { ResourceDetector } from '@opentelemetry/resources';
import {
  awsBeanstalkDetector,
  awsEc2Detector,
  awsEcsDetector,
  awsEksDetector,
  awsLambdaDetector,
} from '@opentelemetry/resource-detector-aws';
import { gcpDetector } from '@opentelemetry/resource-detector-gcp';
import {
  azureAppServiceDetector,
  azureFunctionsDetector,
  azureVmDetector,
} from '@opentelemetry/resource-detector-azure';
import { alibabaCloudEcsDetector } from '@opentelemetry/resource-detector-alibaba-cloud';
import type { CloudDetector } from '../resource/names.ts';

export { startCloudDetection } from '../resource/cloud.ts';
export { SettlingResource } from '../resource/settling-resource.ts';

export const cloudDetectors: Readonly<Record<CloudDetector, readonly ResourceDetector[]>> = {
  aws: [awsEc2Detector, awsEcsDetector, awsEksDetector, awsBeanstalkDetector, awsLambdaDetector],
  gcp: [gcpDetector],
  azure: [azureAppServiceDetector, azureFunctionsDetector, azureVmDetector],
  alibaba: [alibabaCloudEcsDetector],
};
