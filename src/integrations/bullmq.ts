// PLACEHOLDER (replaced by the integration's own work): instruments nothing yet.
import { InstrumentationBase } from '@opentelemetry/instrumentation';
import type { InstrumentationConfig, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';

export class BullMQInstrumentation extends InstrumentationBase {
  constructor(config: InstrumentationConfig = {}) {
    super('@budobserve/instrumentation-bullmq', '0.0.0', config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [];
  }
}
