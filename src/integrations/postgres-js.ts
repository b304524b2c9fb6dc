// PLACEHOLDER (replaced by the integration's own work): instruments nothing yet.
import { InstrumentationBase } from '@opentelemetry/instrumentation';
import type { InstrumentationConfig, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';

export class PostgresJsInstrumentation extends InstrumentationBase {
  constructor(config: InstrumentationConfig = {}) {
    super('@budobserve/instrumentation-postgres', '0.0.0', config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [];
  }
}
