// Cloud resource detection: OpenTelemetry's detectors (the lazily loaded chunk
// src/chunks/resource-detectors-cloud.ts) ask their metadata services after start, and
// nothing waits for them but the first export, at most CLOUD_DETECTION_BOUND_MS after they
// began. What settled by then is the result; what settles later is dropped, so that every
// export carries the same resource. Never throws, never rejects.
// Owns running the detectors and the bound; must not pick the detectors (names.ts) nor
// decide precedence (resource.ts).
import type { Attributes } from '@opentelemetry/api';
import { isAttributeValue } from '@opentelemetry/core';
import type { ResourceDetector } from '@opentelemetry/resources';
import type { CloudDetector } from './names.ts';
import type { ResourceDescription } from './resource.ts';

/** The longest the first export waits for the cloud detectors (README, "Resource"). */
export const CLOUD_DETECTION_BOUND_MS = 1000;

export interface CloudDetection {
  /** Resolves when every detector settled or the bound passed, whichever is first. */
  ready: Promise<void>;
  /** What settled in time, each attribute with the name that found it; final once ready. */
  result(): ResourceDescription;
}

export function startCloudDetection(
  names: readonly CloudDetector[],
  detectors: Readonly<Record<CloudDetector, readonly ResourceDetector[]>>,
  boundMs = CLOUD_DETECTION_BOUND_MS,
): CloudDetection {
  // One slot per (detector, attribute) in OTel's order, so that a later detector wins
  // whichever answers first.
  const slots: Array<{ name: CloudDetector; key: string; value?: Attributes[string] }> = [];
  const settling: Array<Promise<void>> = [];
  let open = true;
  for (const name of names) {
    for (const detector of detectors[name]) {
      let found: Record<string, unknown>;
      try {
        found = detector.detect().attributes ?? {};
      } catch {
        continue; // a detector that throws found nothing; OTel's detectResources does the same
      }
      for (const [key, raw] of Object.entries(found)) {
        const slot: (typeof slots)[number] = { name, key };
        slots.push(slot);
        settling.push(
          Promise.resolve(raw).then(
            (v) => {
              if (open && v !== undefined && isAttributeValue(v)) slot.value = v;
            },
            () => {
              /* not on this cloud, or its service did not answer */
            },
          ),
        );
      }
    }
  }
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, boundMs);
    timer.unref();
  });
  const ready = Promise.race([Promise.all(settling).then(() => undefined), bound]).then(() => {
    open = false;
    clearTimeout(timer);
  });
  return {
    ready,
    result: () => {
      const out: ResourceDescription = { attributes: {}, sources: {} };
      for (const s of slots) {
        if (s.value === undefined) continue;
        out.attributes[s.key] = s.value;
        out.sources[s.key] = s.name;
      }
      return out;
    },
  };
}
