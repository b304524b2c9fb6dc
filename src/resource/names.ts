// The resource detector names of OTEL_NODE_RESOURCE_DETECTORS, as OpenTelemetry's Node SDK
// spells them, and what a list of them selects. Plain data with no imports: the option
// table (src/config/schema.ts) validates against it without loading any detector.
// Owns the names and their expansion; must not detect anything.

/** The detectors that read only this machine; the default is all of them. */
export const LOCAL_DETECTORS = ['host', 'os', 'process', 'container', 'serviceinstance'] as const;
export type LocalDetector = (typeof LOCAL_DETECTORS)[number];

/** The detectors that ask a cloud's metadata service over the network: only when named. */
export const CLOUD_DETECTORS = ['aws', 'gcp', 'azure', 'alibaba'] as const;
export type CloudDetector = (typeof CLOUD_DETECTORS)[number];

/**
 * Every name the option accepts. `env` is OTel's detector of OTEL_RESOURCE_ATTRIBUTES; here
 * that variable is configuration (resourceAttributes, service.name, …), which always applies
 * and wins over any detector, even with `none`, so `env` is accepted and selects nothing.
 */
export const DETECTOR_NAMES = ['env', ...LOCAL_DETECTORS, ...CLOUD_DETECTORS, 'all', 'none'] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

/** What a list selects: `all` is every local and every cloud one (as in OTel), `none` nothing. */
export function selectDetectors(names: readonly DetectorName[]): { local: LocalDetector[]; cloud: CloudDetector[] } {
  if (names.includes('none')) return { local: [], cloud: [] };
  if (names.includes('all')) return { local: [...LOCAL_DETECTORS], cloud: [...CLOUD_DETECTORS] };
  const has = (n: string): boolean => (names as readonly string[]).includes(n);
  return { local: LOCAL_DETECTORS.filter(has), cloud: CLOUD_DETECTORS.filter(has) };
}
