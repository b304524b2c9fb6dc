// The same spans through the agent (preloaded by the benchmark): its processors, scrubbing
// and exporter.
import * as bud from '@budobserve/agent';
import { run } from './workload.mjs';

await run(() => bud.forceFlush());
