// Preloaded into the app by benchmarks/throughput-alloc.mjs: samples every allocation (those
// the GC has since collected included, which is what a request's garbage is) from the app's
// first line until SIGTERM, and writes the sampling profile to HEAP_PROFILE_OUT.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const session = new Session();
session.connect();
session.post('HeapProfiler.enable');
session.post('HeapProfiler.startSampling', {
  samplingInterval: 4096,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
process.prependListener('SIGTERM', () => {
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error === null) writeFileSync(process.env.HEAP_PROFILE_OUT, JSON.stringify(result.profile));
    process.exit(0);
  });
});
